import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { EXIT_CODES } from '../exit-codes';
import { runCli } from '../program';

const project = join(__dirname, '..', '__fixtures__', 'rollout-project');

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(() => schema.destroy());

async function safemig(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'safemig', '--database-url', schema.config.toUrl(), ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    isTTY: false,
    env: { USER: 'ci-user' },
    cwd: project,
  });
  return { code, stdout, stderr };
}

describe('safemig plan', () => {
  it('prints the plan as markdown and as JSON', async () => {
    const markdown = await safemig('plan');
    expect(markdown.code).toBe(EXIT_CODES.OK);
    expect(markdown.stdout).toContain('## Release 1.2.0');
    expect(markdown.stdout).toContain('### 3. Migration1700000300DropLegacyStatus (contract)');
    expect(markdown.stdout).toContain(
      '- Requires: flag external_order_status is new (`flag:external_order_status=new`)',
    );
    const json = JSON.parse((await safemig('--json', 'plan')).stdout);
    expect(json).toMatchObject({
      version: 1,
      review: null,
      generatedFrom: { contentHash: expect.stringMatching(/^sha256:/) },
    });
    expect(json.releases.map((r: { release: string }) => r.release)).toEqual(['1.0.0', '1.1.0', '1.2.0']);
  });

  it('--check passes on the reviewed file and fails when a step was edited or the review is missing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'safemig-cli-plan-')), 'migrations.plan.json');
    const unreviewed = await safemig('plan', '--write', '--file', file);
    expect(unreviewed.stdout).toMatch(/not reviewed/);
    const missingReview = await safemig('plan', '--check', '--file', file);
    expect(missingReview.code).toBe(EXIT_CODES.FAILURE);
    expect(missingReview.stderr).toMatch(/has no review/);

    expect((await safemig('plan', '--write', '--reviewer', 'alice', '--file', file)).code).toBe(EXIT_CODES.OK);
    expect(JSON.parse(readFileSync(file, 'utf8')).review).toMatchObject({ reviewer: 'alice' });
    const ok = await safemig('plan', '--check', '--file', file);
    expect(ok).toMatchObject({ code: EXIT_CODES.OK });
    expect(ok.stdout).toMatch(/matches the code and is reviewed/);

    const edited = await safemig('--config', 'safemig.edited.config.ts', 'plan', '--check', '--file', file);
    expect(edited.code).toBe(EXIT_CODES.FAILURE);
    expect(edited.stderr).toContain(
      'step ExternalOrders\\Migration\\Migration1700000300DropLegacyStatus changed: destructiveOperations, expectedLocking.',
    );
  });
});

describe('safemig lint', () => {
  it('exits OK on safe steps and FAILURE with the rule, reason and fix on unsafe ones', async () => {
    const clean = await safemig('lint');
    expect(clean.code).toBe(EXIT_CODES.OK);
    expect(clean.stdout).toMatch(/^0 error\(s\), 0 warning\(s\), 0 suppressed/m);

    const unsafe = await safemig('--config', 'safemig.unsafe.config.ts', 'lint');
    expect(unsafe.code).toBe(EXIT_CODES.FAILURE);
    expect(unsafe.stdout).toContain('SM001 error in update(): DROP COLUMN external_order.legacy_status in update().');
    expect(unsafe.stdout).toMatch(/fix: Move the drop to updateDestructive\(\)/);
    expect(unsafe.stderr).toMatch(/safemig lint found 1 error/);

    const json = await safemig('--json', '--config', 'safemig.unsafe.config.ts', 'lint');
    expect(JSON.parse(json.stdout)).toMatchObject({ errors: 1, findings: [{ code: 'SM001', phase: 'update' }] });
  });
});

describe('safemig flag', () => {
  it('sets, gets and lists flags with an audit trail', async () => {
    expect((await safemig('flag', 'get', 'external_order_status')).stdout).toMatch(
      /external_order_status {2}off {2}\(never set\)/,
    );
    const set = await safemig('flag', 'set', 'external_order_status', 'dual', '--reason', 'backfill started');
    expect(set).toMatchObject({ code: EXIT_CODES.OK, stdout: 'external_order_status: off -> dual (by ci-user)\n' });
    const skip = await safemig('flag', 'set', 'external_order_status', 'off', '--reason', 'x', '--by', 'bob');
    expect(skip.code).toBe(EXIT_CODES.OK);
    const refused = await safemig('flag', 'set', 'external_order_status', 'new', '--reason', 'hurry');
    expect(refused.code).toBe(EXIT_CODES.FAILURE);
    expect(refused.stderr).toMatch(/cannot go from off to new directly/);
    const got = JSON.parse((await safemig('--json', 'flag', 'get', 'external_order_status')).stdout);
    expect(got.history.map((c: { from: string; to: string; by: string }) => `${c.from}->${c.to}:${c.by}`)).toEqual([
      'off->dual:ci-user',
      'dual->off:bob',
    ]);
    expect((await safemig('flag', 'list')).stdout).toMatch(/^external_order_status {2}off {2}since .* by bob: x$/m);
    expect((await safemig('flag', 'set', 'x', 'dual')).code).toBe(EXIT_CODES.USAGE);
  });
});

describe('safemig migrate:destructive --mode', () => {
  it('holds back the current release in blue-green mode and names the held steps; --mode all runs them', async () => {
    expect((await safemig('migrate')).code).toBe(EXIT_CODES.OK);
    const safe = await safemig('migrate:destructive', '--current-release', '1.2.0');
    expect(safe.code).toBe(EXIT_CODES.OK);
    expect(safe.stdout).toMatch(
      /held back by --mode safe \(current release 1\.2\.0\): .*Migration1700000300DropLegacyStatus/,
    );
    const blueGreen = await safemig(
      '--json',
      'migrate:destructive',
      '--mode',
      'blue-green',
      '--current-release',
      '1.2.0',
    );
    expect(JSON.parse(blueGreen.stdout)).toMatchObject({
      heldBack: [expect.stringMatching(/Migration1700000300DropLegacyStatus$/)],
      gate: { mode: 'blue-green', currentRelease: '1.2.0' },
    });
    const bad = await safemig('migrate:destructive', '--mode', 'yolo');
    expect(bad.code).toBe(EXIT_CODES.USAGE);
    expect(bad.stderr).toMatch(/--mode <mode>' argument 'yolo' is invalid. Allowed choices are safe, blue-green, all/);
  });
});

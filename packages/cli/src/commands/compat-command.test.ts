import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { EXIT_CODES } from '../exit-codes';
import { runCli } from '../program';

let schema: TestSchema;
let project: string;
beforeAll(async () => {
  schema = await createTestSchema();
  await sql`CREATE TABLE external_order (id INT PRIMARY KEY, status VARCHAR(20) NULL)`.execute(schema.db);
  await sql`INSERT INTO external_order VALUES (1, 'paid'), (2, NULL), (3, NULL), (4, 'open')`.execute(schema.db);
  project = mkdtempSync(join(tmpdir(), 'safemig-compat-cli-'));
  writeFileSync(
    join(project, 'safemig.config.js'),
    `module.exports = { compat: { plans: [{
      migration: 'Migration1700000300Contract',
      checks: [{ id: 'status-not-null', type: 'nullability', table: 'external_order', column: 'status', fix: { strategy: 'fill-default', value: 'open' } }],
      views: [{ name: 'paid-orders', query: "SELECT id, status FROM external_order WHERE status = 'paid'" }],
    }] } };`,
  );
});
afterAll(async () => {
  rmSync(project, { recursive: true, force: true });
  await schema.destroy();
});

async function safemig(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'safemig', ...args, '--database-url', schema.config.toUrl()], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    isTTY: false,
    env: {},
    cwd: project,
  });
  return { code, stdout, stderr };
}

const statuses = async () =>
  (await sql<{ status: string | null }>`SELECT status FROM external_order ORDER BY id`.execute(schema.db)).rows.map(
    (row) => row.status,
  );

describe('safemig compat', () => {
  it('reports the findings and fails while error findings remain; a dry run changes nothing', async () => {
    const check = await safemig('compat');
    expect(check.code).toBe(EXIT_CODES.FAILURE);
    expect(check.stdout).toMatch(/# Compatibility report: Migration1700000300Contract/);
    expect(check.stdout).toMatch(
      /\| status-not-null \| null-values \| external_order\.status \| error \| 2 \| \{"id":2\} = null<br>\{"id":3\} = null \|/,
    );
    expect(check.stdout).toMatch(/\| paid-orders \| snapshot \| 1 \| snapshot taken \|/);
    expect(check.stderr).toMatch(/Compat plan\(s\) Migration1700000300Contract failed: 1 error finding/);

    const dry = await safemig('compat', '--fix', '--dry-run', '--json');
    expect(dry.code).toBe(EXIT_CODES.FAILURE);
    const [report] = JSON.parse(dry.stdout) as [
      { mode: string; checks: { fix: { changes: { rows: number; written: number }[] } }[] },
    ];
    expect(report.mode).toBe('dry-run');
    expect(report.checks[0]?.fix.changes[0]).toMatchObject({ rows: 2, written: 0 });
    expect(await statuses()).toEqual(['paid', null, null, 'open']);
  });

  it('fixes, writes the markdown report, passes, and undoes the run with one command', async () => {
    const fixed = await safemig('compat', '--fix', '--report', 'compat.md');
    expect(fixed.code).toBe(EXIT_CODES.OK);
    const markdown = readFileSync(join(project, 'compat.md'), 'utf8');
    expect(markdown).toMatch(/\*\*PASSED\*\*: 0 error finding\(s\), 0 warning\(s\) remain; 2 row\(s\) fixed\./);
    expect(markdown).toMatch(/\| status-not-null \| fill-default \| external_order\.status \| update \| 2 \| 2 \|/);
    expect(markdown).toMatch(/\| paid-orders \| compare \| 1 \| unchanged/);
    expect(await statuses()).toEqual(['paid', 'open', 'open', 'open']);
    const runId = /safemig compat --undo (\S+)`/.exec(markdown)?.[1];
    expect(runId).toBeDefined();

    const undo = await safemig('compat', '--undo', runId!);
    expect(undo).toMatchObject({ code: EXIT_CODES.OK });
    expect(undo.stdout).toMatch(/status-not-null: external_order\.status: 2 restored, 0 left/);
    expect(await statuses()).toEqual(['paid', null, null, 'open']);
    expect((await safemig('compat', '--undo', runId!)).stdout).toMatch(/Nothing to undo/);
  });

  it('names the plan it does not know and refuses --dry-run without --fix', async () => {
    const unknown = await safemig('compat', '--plan', 'Migration1');
    expect(unknown.code).toBe(EXIT_CODES.FAILURE);
    expect(unknown.stderr).toMatch(/No compat plan named Migration1\.\nDeclared plans: Migration1700000300Contract\./);
    const usage = await safemig('compat', '--dry-run');
    expect(usage.code).toBe(EXIT_CODES.USAGE);
    expect(usage.stderr).toMatch(/--dry-run: only makes sense with --fix/);
  });
});

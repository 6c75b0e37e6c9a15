import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { BackfillRunner } from '@safemig/backfill';
import { createTestDatabase, type TestDatabase } from '@safemig/testkit';
import { EXIT_CODES } from '../exit-codes';
import { runCli } from '../program';

const migrations = join(__dirname, '..', '__fixtures__', 'rollback-project', 'migrations');
const statusBackfill = {
  name: 'external_order.status',
  table: 'external_order',
  where: 'status IS NULL AND legacy_status IS NOT NULL',
  set: { status: 'LOWER(legacy_status)' },
};

let testDb: TestDatabase;
let server: Server;
let metricsUrl: string;
let directory: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  server = createServer((request, response) => {
    if (request.url === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(
        '# HELP external_orders_imported_total Imported orders.\n# TYPE external_orders_imported_total counter\nexternal_orders_imported_total 42\n',
      );
    } else {
      response.writeHead(500);
      response.end('down');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  directory = mkdtempSync(join(tmpdir(), 'safemig-validate-'));
  writeFileSync(
    join(directory, 'alerts.yml'),
    'groups:\n  - name: external-orders\n    rules:\n      - alert: ExternalOrdersImportErrors\n        expr: rate(x[5m]) > 0\n',
  );
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await testDb.destroy();
});

/** Writes a config file with this validation section and returns its path. */
function config(name: string, validation: Record<string, unknown>): string {
  const file = join(directory, `${name}.config.js`);
  const body = { migrations: { directory: migrations }, backfills: [statusBackfill], validation };
  writeFileSync(file, `module.exports = ${JSON.stringify(body, null, 2)};\n`);
  return file;
}

function healthy(): Record<string, unknown> {
  return {
    expectedDeltas: { external_order: { rows: [0, 10] } },
    smoke: [
      {
        name: 'open orders',
        sql: "SELECT id FROM external_order WHERE legacy_status = 'OPEN'",
        expect: { rows: [1, 1000] },
      },
      { name: 'new status is read', sql: 'SELECT id, status FROM external_order LIMIT 5', expect: { rows: 5 } },
    ],
    monitoring: {
      metricsUrl: `${metricsUrl}/metrics`,
      alertRulesFile: 'alerts.yml',
      alertRules: ['ExternalOrdersImportErrors'],
    },
    maxBackfillErrorRate: 0.01,
  };
}

async function safemig(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'safemig', '--database-url', testDb.url, ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    isTTY: false,
    env: { USER: 'ci-user' },
    cwd: directory,
  });
  return { code, stdout, stderr };
}

describe('safemig validate', () => {
  it('captures a baseline, produces the checklist after the deploy, records sign-offs and writes the report', async () => {
    const file = config('healthy', healthy());
    expect((await safemig('-c', file, 'migrate', '--until', '1700000000')).code).toBe(EXIT_CODES.OK);
    const values = Array.from({ length: 60 }, (_, i) => sql`(${i + 1}, ${['OPEN', 'PAID', null][i % 3]}, ${i})`);
    await sql`INSERT INTO external_order (id, legacy_status, amount) VALUES ${sql.join(values)}`.execute(testDb.db);

    const noBaseline = await safemig('-c', file, 'validate');
    expect(noBaseline.code).toBe(EXIT_CODES.FAILURE);
    expect(noBaseline.stdout).toContain('No baseline: run `safemig validate --capture-baseline` before the deploy.');

    const captured = await safemig('-c', file, 'validate', '--capture-baseline', '--by', 'deploy-job');
    expect(captured).toMatchObject({ code: EXIT_CODES.OK });
    expect(captured.stdout).toMatch(
      /^Baseline captured for 1 table\(s\) by deploy-job; earlier sign-offs cleared\.\n {2}external_order: 60 rows/,
    );

    // The deploy: expand, backfill, and two orders imported meanwhile.
    expect((await safemig('-c', file, 'migrate')).code).toBe(EXIT_CODES.OK);
    expect((await new BackfillRunner({ db: testDb.db, definition: statusBackfill }).run()).status).toBe('completed');
    await sql`INSERT INTO external_order (id, legacy_status, status) VALUES (61, 'OPEN', 'open'), (62, 'PAID', 'paid')`.execute(
      testDb.db,
    );

    const report = await safemig('-c', file, '--json', 'validate');
    expect(report.code).toBe(EXIT_CODES.OK);
    const json = JSON.parse(report.stdout);
    expect(json).toMatchObject({ passed: true, baseline: { capturedBy: 'deploy-job' } });
    expect(json.items.map((item: { id: string; status: string }) => `${item.id}:${item.status}`)).toEqual([
      'migrations:pass',
      'data-integrity:pass',
      'backfills:pass',
      'smoke:pass',
      'monitoring:pass',
      'business-acceptance:pending',
      'change-closed:pending',
    ]);
    expect(json.items[1].details).toEqual(['ok external_order: rows 60 -> 62 (+2), expected [0, 10]']);
    expect(json.items[2].details[0]).toMatch(/^ok external_order\.status: completed, 40 processed, 0 failed/);

    expect(
      (await safemig('-c', file, 'validate', '--sign-off', 'business-acceptance', '--by', 'alice')).stdout,
    ).toMatch(/^business-acceptance signed off by alice at /);
    expect((await safemig('-c', file, 'validate', '--sign-off', 'change-closed')).code).toBe(EXIT_CODES.USAGE);
    const unknown = await safemig('-c', file, 'validate', '--sign-off', 'coffee', '--by', 'bob');
    expect(unknown.code).toBe(EXIT_CODES.FAILURE);
    expect(unknown.stderr).toMatch(
      /"coffee" is not a manual checklist item.\nManual items \(validation.manual\): business-acceptance, change-closed/,
    );

    const markdown = await safemig('-c', file, 'validate', '--report', 'validation.md');
    expect(markdown.code).toBe(EXIT_CODES.OK);
    const written = readFileSync(join(directory, 'validation.md'), 'utf8');
    expect(written).toBe(`${markdown.stdout}`);
    expect(written).toContain('| 6 | Business acceptance | manual | PASS |');
    expect(written).toMatch(
      /- \[x\] \*\*Business acceptance\*\* \(`business-acceptance`, manual\): PASS\n {2}- signed off by alice at /,
    );
    expect(written).toContain('- [ ] **Change closed** (`change-closed`, manual): PENDING');
  });

  it('exits non-zero and names the item when a smoke query fails, monitoring is down or data changed unexpectedly', async () => {
    const file = config('broken', {
      ...healthy(),
      expectedDeltas: {},
      smoke: [
        { name: 'open orders', sql: "SELECT id FROM external_order WHERE legacy_status = 'OPEN'" },
        { name: 'renamed column', sql: 'SELECT id, order_state FROM external_order' },
      ],
      monitoring: { metricsUrl: `${metricsUrl}/down`, alertRulesFile: 'alerts.yml', alertRules: ['ExternalOrdersLag'] },
    });
    const result = await safemig('-c', file, 'validate');
    expect(result.code).toBe(EXIT_CODES.FAILURE);
    expect(result.stderr).toMatch(/Post-migration validation failed: data-integrity, smoke, monitoring\./);
    expect(result.stdout).toContain('FAIL external_order: rows 60 -> 62 (+2), no expected delta declared');
    expect(result.stdout).toMatch(
      / {2}- ok open orders: \d+ row\(s\)\n {2}- FAIL renamed column: Unknown column 'order_state'/,
    );
    expect(result.stdout).toContain(`FAIL metrics endpoint ${metricsUrl}/down: HTTP 500`);
    expect(result.stdout).toContain('missing alert: ExternalOrdersLag');
    expect(result.stdout).toContain('| 4 | Smoke tests | automated | FAIL |');
  });

  it('refuses a smoke query that is not one SELECT, naming the field', async () => {
    const file = config('invalid', { smoke: [{ name: 'sneaky', sql: 'SELECT 1; DROP TABLE external_order' }] });
    const result = await safemig('-c', file, 'validate');
    expect(result.code).toBe(EXIT_CODES.USAGE);
    expect(result.stderr).toContain('validation.smoke.0.sql: must be one statement without ;');
  });
});

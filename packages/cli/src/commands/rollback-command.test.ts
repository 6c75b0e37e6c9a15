import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { columnExists, getFlag } from '@safemig/core';
import { createTestDatabase, rollbackDrill, snapshotData, type TestDatabase } from '@safemig/testkit';
import { EXIT_CODES } from '../exit-codes';
import { runCli } from '../program';

const project = join(__dirname, '..', '__fixtures__', 'rollback-project');
const snapshotName = `before_1_2_0_${randomBytes(4).toString('hex')}`;

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
  expect((await safemig('migrate', '--until', '1700000000')).code).toBe(EXIT_CODES.OK);
  const values = Array.from({ length: 120 }, (_, i) => sql`(${i + 1}, ${['OPEN', 'PAID', null][i % 3]}, ${i})`);
  await sql`INSERT INTO external_order (id, legacy_status, amount) VALUES ${sql.join(values)}`.execute(testDb.db);
});
afterAll(async () => {
  // Snapshot schemas live next to the test schema on the server: drop them before the test schema goes.
  await sql`DROP DATABASE IF EXISTS ${sql.id(`safemig_snapshot_${snapshotName}`)}`.execute(testDb.db);
  await testDb.destroy();
});

async function safemig(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'safemig', '--database-url', testDb.url, ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    isTTY: false,
    env: { USER: 'ci-user' },
    cwd: project,
  });
  return { code, stdout, stderr };
}

async function ok(...args: string[]) {
  const result = await safemig(...args);
  expect({ args, ...result }).toMatchObject({ code: EXIT_CODES.OK });
  return result;
}

const smoke = {
  'list open orders (1.0.0)': (db: Kysely<any>) =>
    sql`SELECT id, legacy_status, amount FROM external_order WHERE legacy_status = 'OPEN'`.execute(db),
};

describe('safemig rollback', () => {
  it('passes the rollback drill: deploy 1.1.0 with the CLI, roll back with `safemig rollback`, schema and data as before', async () => {
    const report = await rollbackDrill({
      db: testDb.db,
      deploy: async () => {
        await ok('migrate');
        await ok('flag', 'set', 'external_order_status', 'dual', '--reason', 'deploy 1.1.0');
        const check = await ok('rollback', 'check', '--to', '1.0.0');
        expect(check.stdout).toMatch(/^Rollback to 1\.0\.0: compatible: release 1\.0\.0 runs on the current schema/);
        expect(check.stdout).toContain('Compensation order: ExternalOrders\\Migration\\Migration1700000100AddStatus');
      },
      smoke,
      rollback: async () => {
        const result = await ok('rollback', '--to', '1.0.0', '--by', 'oncall');
        expect(result.stdout).toContain('flag external_order_status: dual -> off');
        expect(result.stdout).toContain('compensated ExternalOrders\\Migration\\Migration1700000100AddStatus');
      },
    });
    expect(report.kept).toEqual([]);
    expect(await getFlag(testDb.db, 'external_order_status')).toMatchObject({
      state: 'off',
      updatedBy: 'oncall',
      reason: 'rollback to 1.0.0',
    });
    const status = JSON.parse((await ok('--json', 'status')).stdout) as { name: string; state: string }[];
    expect(status.map((step) => `${step.name}:${step.state}`)).toEqual([
      'Migration1700000000CreateExternalOrder:updated',
      'Migration1700000100AddStatus:pending',
      'Migration1700000300DropLegacyStatus:updated',
    ]);
  });

  it('refuses after a contract step, names the snapshot, and restores it with --snapshot', async () => {
    await ok('migrate');
    await ok('flag', 'set', 'external_order_status', 'dual', '--reason', 'deploy 1.1.0');
    await ok('flag', 'set', 'external_order_status', 'new', '--reason', 'all instances on 1.1.0');
    const before = await snapshotData(testDb.db, { tables: ['external_order'] });
    const created = await ok('snapshot', 'create', '--tables', 'external_order', '--name', snapshotName, '--by', 'dba');
    expect(created.stdout).toContain(`Created table snapshot ${snapshotName}:\n  external_order: 120 rows`);
    await ok('migrate:destructive', '--mode', 'all');
    expect(await columnExists(testDb.db, 'external_order', 'legacy_status')).toBe(false);

    const check = await safemig('rollback', 'check', '--to', '1.0.0');
    expect(check.code).toBe(EXIT_CODES.FAILURE);
    expect(check.stdout).toContain('Rollback to 1.0.0: refused');
    expect(check.stdout).toContain(`Table snapshots: ${snapshotName}`);

    const refused = await safemig('rollback', '--to', '1.0.0', '--by', 'oncall');
    expect(refused.code).toBe(EXIT_CODES.FAILURE);
    expect(refused.stderr).toMatch(/Rollback to 1\.0\.0 refused; nothing was changed/);
    expect(refused.stderr).toMatch(
      /Migration1700000300DropLegacyStatus \(contract, release 1\.2\.0\) ran its destructive part/,
    );
    expect(refused.stderr).toContain(`Table snapshots of this schema, newest first: ${snapshotName}`);
    expect((await getFlag(testDb.db, 'external_order_status')).state).toBe('new');

    const restored = await ok('rollback', '--to', '1.0.0', '--snapshot', snapshotName, '--by', 'oncall');
    expect(restored.stdout).toContain(`restored table snapshot ${snapshotName}`);
    expect(await columnExists(testDb.db, 'external_order', 'legacy_status')).toBe(true);
    expect(await columnExists(testDb.db, 'external_order', 'status')).toBe(false);
    const after = await snapshotData(testDb.db, { tables: ['external_order'], ignoreColumns: ['status'] });
    expect(after.tables.external_order!.rows).toBe(120);
    expect(after.tables.external_order!.columns.legacy_status).toBe(
      before.tables.external_order!.columns.legacy_status,
    );
    expect((await ok('rollback', 'check', '--to', '1.0.0')).stdout).toMatch(/compatible/);
  });
});

describe('safemig snapshot', () => {
  it('verifies, refuses to restore a corrupted snapshot, lists and drops', async () => {
    const list = JSON.parse((await ok('--json', 'snapshot', 'list')).stdout);
    expect(list.snapshots.map((s: { name: string }) => s.name)).toEqual([snapshotName]);
    expect((await ok('snapshot', 'verify', snapshotName)).stdout).toMatch(
      /verifies:\n {2}external_order: 120 rows, checksum \d+ ok/,
    );

    await sql`UPDATE ${sql.id(`safemig_snapshot_${snapshotName}`, 'external_order')} SET amount = amount + 1 WHERE id = 7`.execute(
      testDb.db,
    );
    const verify = await safemig('snapshot', 'verify', snapshotName);
    expect(verify.code).toBe(EXIT_CODES.FAILURE);
    expect(verify.stdout).toContain('MISMATCH');
    const live = await snapshotData(testDb.db, { tables: ['external_order'] });
    const restore = await safemig('snapshot', 'restore', snapshotName);
    expect(restore.code).toBe(EXIT_CODES.FAILURE);
    expect(restore.stderr).toMatch(
      /does not verify; nothing was restored:\n {2}- external_order: manifest 120 rows, checksum \d+; the snapshot schema 120 rows, checksum \d+/,
    );
    expect(await snapshotData(testDb.db, { tables: ['external_order'] })).toEqual(live);

    expect((await ok('snapshot', 'drop', snapshotName)).stdout).toBe(`Dropped table snapshot ${snapshotName}.\n`);
    expect((await safemig('snapshot', 'verify', snapshotName)).stderr).toMatch(/does not exist/);
    expect((await safemig('snapshot', 'create', '--tables', 'nope')).stderr).toMatch(/Table nope does not exist/);
  });
});

import { sql, type Kysely } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { flagAt, flagHistory, getFlag, setFlag } from '../flags';
import { MigrationSource, MigrationStep, Migrator, readMigrationRows, stepMetadata } from '../migration';
import { columnExists } from '../schema';
import { executeRollback } from './execute-rollback';
import { CompensationFailedError, RollbackRefusedError } from './rollback-errors';
import { planRollback } from './rollback-plan';

class Migration1700000000CreateExternalOrder extends MigrationStep {
  getCreationTimestamp() {
    return 1700000000;
  }
  async update(db: Kysely<any>) {
    await sql`CREATE TABLE IF NOT EXISTS external_order (id INT NOT NULL PRIMARY KEY, legacy_status VARCHAR(64) NULL)`.execute(
      db,
    );
  }
  override getMetadata() {
    return stepMetadata({ phase: 'expand', release: '1.0.0' });
  }
}

class Migration1700000100AddStatus extends MigrationStep {
  getCreationTimestamp() {
    return 1700000100;
  }
  async update(db: Kysely<any>) {
    await this.addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { nullable: true });
  }
  override async compensate(db: Kysely<any>) {
    await this.dropColumnIfExists(db, 'external_order', 'status');
  }
  override getMetadata() {
    return stepMetadata({ phase: 'expand', release: '1.1.0', dependsOn: [Migration1700000000CreateExternalOrder] });
  }
}

/** A generated column over `status`: `status` cannot be dropped while it exists, so the order of compensation shows. */
class Migration1700000150AddStatusUpper extends MigrationStep {
  getCreationTimestamp() {
    return 1700000150;
  }
  async update(db: Kysely<any>) {
    if (await this.columnExists(db, 'external_order', 'status_upper')) return;
    await sql`ALTER TABLE external_order ADD COLUMN status_upper VARCHAR(32) AS (UPPER(status)) VIRTUAL`.execute(db);
  }
  override async compensate(db: Kysely<any>) {
    await this.dropColumnIfExists(db, 'external_order', 'status_upper');
  }
  override getMetadata() {
    return stepMetadata({ phase: 'expand', release: '1.1.0', dependsOn: [Migration1700000100AddStatus] });
  }
}

class Migration1700000180ReadStatus extends MigrationStep {
  getCreationTimestamp() {
    return 1700000180;
  }
  async update() {}
  override getMetadata() {
    return stepMetadata({ phase: 'adapt', release: '1.1.0', dependsOn: [Migration1700000100AddStatus] });
  }
}

class Migration1700000200WriteStatus extends MigrationStep {
  getCreationTimestamp() {
    return 1700000200;
  }
  async update() {}
  override getMetadata() {
    return stepMetadata({
      phase: 'activate',
      release: '1.1.0',
      dependsOn: [Migration1700000180ReadStatus],
      requires: [flagAt('external_order_status', 'dual')],
    });
  }
}

class Migration1700000300DropLegacyStatus extends MigrationStep {
  getCreationTimestamp() {
    return 1700000300;
  }
  async update() {}
  override async updateDestructive(db: Kysely<any>) {
    await this.dropColumnIfExists(db, 'external_order', 'legacy_status');
  }
  override getMetadata() {
    return stepMetadata({
      phase: 'contract',
      release: '1.2.0',
      dependsOn: [Migration1700000100AddStatus],
      requires: [flagAt('external_order_status', 'new')],
    });
  }
}

const source = MigrationSource.fromClasses([
  Migration1700000000CreateExternalOrder,
  Migration1700000100AddStatus,
  Migration1700000150AddStatusUpper,
  Migration1700000180ReadStatus,
  Migration1700000200WriteStatus,
  Migration1700000300DropLegacyStatus,
]);

let schema: TestSchema;
beforeEach(async () => {
  schema = await createTestSchema();
  await setFlag(schema.db, 'external_order_status', 'dual', { by: 'deploy', reason: 'release 1.1.0' });
  await new Migrator({ db: schema.db, source }).migrate();
});
afterEach(() => schema.destroy());

async function updated(): Promise<string[]> {
  const rows = await readMigrationRows(schema.db, 'migration');
  return [...rows.values()].filter((row) => row.update !== null).map((row) => row.className);
}

describe('planRollback', () => {
  it('calls an expand-only rollback compatible and lists compensations in reverse order and the flags to switch off', async () => {
    const plan = await planRollback(schema.db, source, { to: '1.0.0', flags: ['external_order_extra'] });
    expect(plan).toMatchObject({
      to: '1.0.0',
      verdict: 'compatible',
      compensations: ['Migration1700000150AddStatusUpper', 'Migration1700000100AddStatus'],
      destructive: [],
      flags: ['external_order_extra', 'external_order_status'],
      refusals: [],
    });
    expect(plan.steps.map((step) => `${step.className}:${step.action}`)).toEqual([
      'Migration1700000100AddStatus:compensate',
      'Migration1700000150AddStatusUpper:compensate',
      'Migration1700000180ReadStatus:keep',
      'Migration1700000200WriteStatus:keep',
      'Migration1700000300DropLegacyStatus:keep',
    ]);
    expect((await planRollback(schema.db, source, { to: '1.1.0' })).compensations).toEqual([]);
    await expect(planRollback(schema.db, source, { to: 'one' })).rejects.toThrow(/to: must be a semver release/);
  });
});

describe('executeRollback', () => {
  it('switches flags off, compensates in reverse order, clears the bookkeeping so migrate runs the steps again', async () => {
    const result = await executeRollback(schema.db, source, { to: '1.0.0', by: 'alice' });
    expect(result.compensated).toEqual(['Migration1700000150AddStatusUpper', 'Migration1700000100AddStatus']);
    expect(result.kept).toEqual([
      'Migration1700000180ReadStatus',
      'Migration1700000200WriteStatus',
      'Migration1700000300DropLegacyStatus',
    ]);
    expect(result.flags.map((change) => `${change.name}:${change.from}->${change.to}`)).toEqual([
      'external_order_status:dual->off',
    ]);
    expect((await flagHistory(schema.db, 'external_order_status')).at(-1)).toMatchObject({
      by: 'alice',
      reason: 'rollback to 1.0.0',
    });
    expect(await columnExists(schema.db, 'external_order', 'status')).toBe(false);
    expect(await columnExists(schema.db, 'external_order', 'status_upper')).toBe(false);
    expect(await updated()).toEqual([
      'Migration1700000000CreateExternalOrder',
      'Migration1700000180ReadStatus',
      'Migration1700000200WriteStatus',
      'Migration1700000300DropLegacyStatus',
    ]);

    // Running it again changes nothing: there is nothing left to compensate and the flag is off.
    const again = await executeRollback(schema.db, source, { to: '1.0.0', by: 'alice' });
    expect(again).toMatchObject({ compensated: [], flags: [] });

    const rerun = await new Migrator({ db: schema.db, source }).migrate();
    expect(rerun.executed.map((step) => step.className)).toEqual([
      'Migration1700000100AddStatus',
      'Migration1700000150AddStatusUpper',
    ]);
    expect(await columnExists(schema.db, 'external_order', 'status_upper')).toBe(true);
  });

  it('refuses once a contract step ran its destructive part, changes nothing, and points to a snapshot', async () => {
    await setFlag(schema.db, 'external_order_status', 'new', { by: 'deploy', reason: 'all instances on 1.1.0' });
    await new Migrator({ db: schema.db, source }).migrateDestructive({ mode: 'all' });
    const plan = await planRollback(schema.db, source, { to: '1.0.0' });
    expect(plan).toMatchObject({ verdict: 'refused', destructive: ['Migration1700000300DropLegacyStatus'] });

    const refused = executeRollback(schema.db, source, { to: '1.0.0', by: 'alice' });
    await expect(refused).rejects.toBeInstanceOf(RollbackRefusedError);
    await expect(executeRollback(schema.db, source, { to: '1.0.0', by: 'alice' })).rejects.toThrow(
      /Migration1700000300DropLegacyStatus \(contract, release 1\.2\.0\) ran its destructive part[\s\S]*--snapshot <name>/,
    );
    expect((await getFlag(schema.db, 'external_order_status')).state).toBe('new');
    expect(await columnExists(schema.db, 'external_order', 'status')).toBe(true);

    // With a snapshot to restore, the rollback goes ahead and the contract step can run again later.
    const result = await executeRollback(schema.db, source, {
      to: '1.0.0',
      by: 'alice',
      restore: {
        name: 'before_1_2_0',
        run: (db) =>
          sql`ALTER TABLE external_order ADD COLUMN legacy_status VARCHAR(64) NULL`.execute(db).then(() => {}),
      },
    });
    expect(result).toMatchObject({ restored: 'before_1_2_0', compensated: plan.compensations });
    expect(await columnExists(schema.db, 'external_order', 'legacy_status')).toBe(true);
    const rows = await readMigrationRows(schema.db, 'migration');
    expect(rows.get('Migration1700000300DropLegacyStatus')).toMatchObject({ updateDestructive: null });
  });

  it('stops at a failing compensation and leaves that step as it was, so the rollback can run again', async () => {
    await sql`ALTER TABLE external_order ADD COLUMN status_lower VARCHAR(32) AS (LOWER(status)) VIRTUAL`.execute(
      schema.db,
    );
    const failed = executeRollback(schema.db, source, { to: '1.0.0', by: 'alice' });
    await expect(failed).rejects.toBeInstanceOf(CompensationFailedError);
    await expect(failed).rejects.toMatchObject({
      migration: 'Migration1700000100AddStatus',
      compensated: ['Migration1700000150AddStatusUpper'],
    });
    expect(await updated()).toContain('Migration1700000100AddStatus');
    expect(await updated()).not.toContain('Migration1700000150AddStatusUpper');

    await sql`ALTER TABLE external_order DROP COLUMN status_lower`.execute(schema.db);
    const retried = await executeRollback(schema.db, source, { to: '1.0.0', by: 'alice' });
    expect(retried.compensated).toEqual(['Migration1700000100AddStatus']);
  });
});

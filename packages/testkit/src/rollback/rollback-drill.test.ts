import { sql, type Kysely } from 'kysely';
import {
  executeRollback,
  flagAt,
  getFlag,
  MigrationSource,
  MigrationStep,
  Migrator,
  RollbackRefusedError,
  setFlag,
  stepMetadata,
} from '@safemig/core';
import { BackfillRunner } from '@safemig/backfill';
import { useTestDatabase } from '../provisioning';
import { rollbackDrill } from './rollback-drill';
import { RollbackDrillError } from './rollback-drill-error';

/** Release 1.0.0: the legacy table. */
class Migration1700000000CreateExternalOrder extends MigrationStep {
  getCreationTimestamp() {
    return 1700000000;
  }
  async update(db: Kysely<any>) {
    await sql`CREATE TABLE IF NOT EXISTS external_order (
      id INT NOT NULL PRIMARY KEY, legacy_status VARCHAR(64) NULL, amount DECIMAL(12,2) NULL)`.execute(db);
  }
  override getMetadata() {
    return stepMetadata({ phase: 'expand', release: '1.0.0' });
  }
}

/** Release 1.1.0 expand: the normalized status column and its index, with the inverse. */
class Migration1700000100AddStatus extends MigrationStep {
  getCreationTimestamp() {
    return 1700000100;
  }
  async update(db: Kysely<any>) {
    await this.addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { nullable: true });
    await this.addIndex(db, 'external_order', 'idx_external_order_status', ['status']);
  }
  override async compensate(db: Kysely<any>) {
    await this.dropIndexIfExists(db, 'external_order', 'idx_external_order_status');
    await this.dropColumnIfExists(db, 'external_order', 'status');
  }
  override getMetadata() {
    return stepMetadata({ phase: 'expand', release: '1.1.0', dependsOn: [Migration1700000000CreateExternalOrder] });
  }
}

/** Release 1.1.0 expand, forgetting its compensate(): the drill must catch it. */
class Migration1700000150AddNote extends MigrationStep {
  getCreationTimestamp() {
    return 1700000150;
  }
  async update(db: Kysely<any>) {
    await this.addColumn(db, 'external_order', 'note', 'VARCHAR(255)', { nullable: true });
  }
  override getMetadata() {
    return stepMetadata({ phase: 'expand', release: '1.1.0', dependsOn: [Migration1700000000CreateExternalOrder] });
  }
}

/** Release 1.2.0 contract: drops the legacy column once every instance writes the new model. */
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

const release10 = MigrationSource.fromClasses([Migration1700000000CreateExternalOrder]);
const release11 = MigrationSource.fromClasses([Migration1700000000CreateExternalOrder, Migration1700000100AddStatus]);
const release12 = MigrationSource.fromClasses([
  Migration1700000000CreateExternalOrder,
  Migration1700000100AddStatus,
  Migration1700000300DropLegacyStatus,
]);

const statusBackfill = {
  name: 'external_order.status',
  table: 'external_order',
  where: 'status IS NULL AND legacy_status IS NOT NULL',
  set: { status: 'LOWER(legacy_status)' },
  batchSize: 50,
};

/** What release 1.0.0 (N-1) does with the table. */
const smoke = {
  'list open orders': (db: Kysely<any>) =>
    sql`SELECT id, legacy_status, amount FROM external_order WHERE legacy_status = 'OPEN'`.execute(db),
  'import an order': (db: Kysely<any>) =>
    db
      .transaction()
      .execute((trx) =>
        sql`INSERT INTO external_order (id, legacy_status, amount) VALUES (999999, 'OPEN', 1)`
          .execute(trx)
          .then(() => sql`DELETE FROM external_order WHERE id = 999999`.execute(trx)),
      ),
};

const testDb = useTestDatabase({ scope: 'test' });

beforeEach(async () => {
  const db = testDb.db;
  await new Migrator({ db, source: release10 }).migrate();
  const values = Array.from(
    { length: 300 },
    (_, i) => sql`(${i + 1}, ${['OPEN', 'PAID', 'SHIPPED', null][i % 4]}, ${(i * 3.5).toFixed(2)})`,
  );
  await sql`INSERT INTO external_order (id, legacy_status, amount) VALUES ${sql.join(values)}`.execute(db);
});

/** Release 1.1.0: migrate, backfill the new column, switch dual writes on, and take orders under N. */
async function deploy11(db: Kysely<any>) {
  await new Migrator({ db, source: release11 }).migrate();
  const summary = await new BackfillRunner({ db, definition: statusBackfill }).run();
  expect(summary.status).toBe('completed');
  await setFlag(db, 'external_order_status', 'dual', { by: 'deploy 1.1.0', reason: 'backfill completed' });
  // Orders imported under 1.1.0 with dual writes: both models written. The runbook keeps them after a rollback.
  await sql`INSERT INTO external_order (id, legacy_status, status, amount) VALUES (1001, 'OPEN', 'open', 10), (1002, 'PAID', 'paid', 20)`.execute(
    db,
  );
}

describe('rollbackDrill', () => {
  it('deploys 1.1.0, runs the 1.0.0 smoke queries, rolls back and proves the schema and data are as before', async () => {
    const report = await rollbackDrill({
      db: testDb.db,
      deploy: deploy11,
      smoke,
      // No 1.1.0 step requires the flag, so the rollback names it (the config's rollback.flags in the CLI).
      rollback: (db) => executeRollback(db, release11, { to: '1.0.0', by: 'drill', flags: ['external_order_status'] }),
      keep: { rows: { external_order: 'id >= 1000' } },
    });
    expect(report.smoke).toEqual(['list open orders', 'import an order']);
    expect(report.kept.map((change) => change.line)).toEqual(['external_order: rows 300 -> 302']);
    expect((await getFlag(testDb.db, 'external_order_status')).state).toBe('off');
  });

  it('fails with the readable diff when an expand step has no compensate()', async () => {
    const source = MigrationSource.fromClasses([
      Migration1700000000CreateExternalOrder,
      Migration1700000100AddStatus,
      Migration1700000150AddNote,
    ]);
    const drill = rollbackDrill({
      db: testDb.db,
      deploy: (db) => new Migrator({ db, source }).migrate(),
      smoke,
      rollback: (db) => executeRollback(db, source, { to: '1.0.0', by: 'drill' }),
    });
    await expect(drill).rejects.toBeInstanceOf(RollbackDrillError);
    await expect(drill).rejects.toMatchObject({ stage: 'compare' });
    await expect(drill).rejects.toThrow(/external_order\.note: column added \(varchar\(255\) NULL\)/);
  });

  it('fails when rows from before the deploy changed, even though the rows written under N may stay', async () => {
    const drill = rollbackDrill({
      db: testDb.db,
      deploy: async (db) => {
        await deploy11(db);
        await sql`UPDATE external_order SET amount = amount + 1 WHERE id = 5`.execute(db);
      },
      smoke,
      rollback: (db) => executeRollback(db, release11, { to: '1.0.0', by: 'drill' }),
      keep: { rows: { external_order: 'id >= 1000' } },
    });
    await expect(drill).rejects.toThrow(/external_order: rows not written under N changed \(300 -> 300 rows/);
  });

  it('fails at the rollback once the 1.2.0 contract step ran, because rollback refuses', async () => {
    const drill = rollbackDrill({
      db: testDb.db,
      deploy: async (db) => {
        await deploy11(db);
        await setFlag(db, 'external_order_status', 'new', { by: 'deploy 1.2.0', reason: 'all on 1.1.0' });
        await new Migrator({ db, source: release12 }).migrate();
        await new Migrator({ db, source: release12 }).migrateDestructive({ mode: 'all' });
      },
      smoke: {},
      rollback: (db) => executeRollback(db, release12, { to: '1.0.0', by: 'drill' }),
    });
    await expect(drill).rejects.toMatchObject({ stage: 'rollback', cause: expect.any(RollbackRefusedError) });
    await expect(drill).rejects.toThrow(
      /Migration1700000300DropLegacyStatus \(contract, release 1\.2\.0\) ran its destructive part/,
    );
  });
});

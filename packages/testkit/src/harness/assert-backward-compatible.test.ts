import { sql, type Kysely } from 'kysely';
import { MigrationFailedError, MigrationStep } from '@safemig/core';
import { useTestDatabase } from '../provisioning';
import { BackwardCompatibilityError } from '../errors';
import { assertBackwardCompatible, type PreviousReleaseQuery } from './assert-backward-compatible';
import { LEGACY_HISTORY, seedLegacyOrders } from './__fixtures__/legacy-schema';
import { Migration1700000202AddStatus } from './__fixtures__/correct-migrations';

const testDb = useTestDatabase({ scope: 'test' });

/** What release N-1 of the plugin runs against external_order. */
const PREVIOUS_RELEASE: Record<string, PreviousReleaseQuery> = {
  'list orders': (db) =>
    sql`SELECT id, order_number, legacy_status FROM external_order ORDER BY order_number`.execute(db),
  'insert order': (db) =>
    sql`INSERT INTO external_order (id, order_number, legacy_status, created_at) VALUES (UNHEX('AB'), 'EO-2001', 'open', NOW(3))`.execute(
      db,
    ),
  'update status': (db) =>
    sql`UPDATE external_order SET legacy_status = 'paid' WHERE order_number = 'EO-1003'`.execute(db),
};

class Migration1700000301AddRequiredChannel extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000301;
  }
  async update(db: Kysely<any>): Promise<void> {
    await this.addColumn(db, 'external_order', 'channel', 'VARCHAR(32)', { nullable: false });
  }
}

class Migration1700000302RenameLegacyStatus extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000302;
  }
  async update(db: Kysely<any>): Promise<void> {
    if (await this.columnExists(db, 'external_order', 'legacy_status')) {
      await sql`ALTER TABLE external_order CHANGE legacy_status source_status VARCHAR(64) NULL`.execute(db);
    }
  }
}

const options = (queries = PREVIOUS_RELEASE) => ({
  db: testDb.db,
  history: LEGACY_HISTORY,
  seed: seedLegacyOrders,
  queries,
});

describe('assertBackwardCompatible', () => {
  it("passes an expand step that keeps the previous release's reads and writes working", async () => {
    const report = await assertBackwardCompatible(Migration1700000202AddStatus, options());
    expect(report).toEqual({
      step: 'Migration1700000202AddStatus',
      queries: ['list orders', 'insert order', 'update status'],
    });
  });

  it('rolls every query back, so the checks leave the data as the seed made it', async () => {
    await assertBackwardCompatible(Migration1700000202AddStatus, options());
    const rows = await sql<{ order_number: string; legacy_status: string | null }>`
      SELECT order_number, legacy_status FROM external_order ORDER BY order_number`.execute(testDb.db);
    expect(rows.rows).toEqual([
      { order_number: 'EO-1001', legacy_status: 'paid' },
      { order_number: 'EO-1002', legacy_status: 'PAID ' },
      { order_number: 'EO-1003', legacy_status: null },
    ]);
  });

  it('fails a NOT NULL column without a default: the old INSERT cannot fill it', async () => {
    const error = await assertBackwardCompatible(Migration1700000301AddRequiredChannel, options()).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(BackwardCompatibilityError);
    expect(error).toMatchObject({
      code: 'SAFEMIG_NOT_BACKWARD_COMPATIBLE',
      step: 'Migration1700000301AddRequiredChannel',
    });
    expect((error as Error).message).toMatch(
      /Migration1700000301AddRequiredChannel\.update\(\) breaks the previous release: 1 of its queries fail/,
    );
    expect((error as Error).message).toMatch(/insert order: Field 'channel' doesn't have a default value/);
  });

  it('fails a rename: every old query naming the column breaks', async () => {
    const error = (await assertBackwardCompatible(Migration1700000302RenameLegacyStatus, options()).catch(
      (thrown: unknown) => thrown,
    )) as BackwardCompatibilityError;
    expect(error.broken.map((query) => query.name)).toEqual(['list orders', 'insert order', 'update status']);
    expect(error.message).toContain("Unknown column 'legacy_status'");
  });

  it('refuses queries that fail even before update(): they do not describe the previous release', async () => {
    const wrong = { typo: (db: Kysely<any>) => sql`SELECT legacy_stat FROM external_order`.execute(db) };
    await expect(assertBackwardCompatible(Migration1700000202AddStatus, options(wrong))).rejects.toThrow(
      /1 query fails even BEFORE update\(\)[\s\S]*typo: Unknown column 'legacy_stat'/,
    );
  });

  it('reports a step that throws as a failed migration', async () => {
    class Migration1700000303Broken extends MigrationStep {
      getCreationTimestamp(): number {
        return 1700000303;
      }
      async update(db: Kysely<any>): Promise<void> {
        await sql`ALTER TABLE missing_table ADD COLUMN x INT NULL`.execute(db);
      }
    }
    await expect(assertBackwardCompatible(Migration1700000303Broken, options())).rejects.toBeInstanceOf(
      MigrationFailedError,
    );
  });
});

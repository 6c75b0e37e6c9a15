import { sql, type Kysely } from 'kysely';
import { MigrationSource, MigrationStep, type MigrationStepClass } from '@safemig/core';
import { createTestDatabase, useTestDatabase } from '../provisioning';
import { IdempotencyError } from '../errors';
import { LEGACY_HISTORY, seedLegacyOrders } from '../harness/__fixtures__/legacy-schema';
import {
  Migration1700000202AddStatus,
  Migration1700000203SeedStates,
} from '../harness/__fixtures__/correct-migrations';
import {
  Migration1700000101SeedStatesWithoutGuard,
  Migration1700000105AddUnnamedIndex,
} from '../harness/__fixtures__/broken-migrations';

const testDb = useTestDatabase();

beforeAll(async () => {
  for (const step of LEGACY_HISTORY) await new step().update(testDb.db);
  await seedLegacyOrders(testDb.db);
});

describe('toBeIdempotent()', () => {
  it("passes a correct step on the file's test database", async () => {
    await expect(Migration1700000202AddStatus).toBeIdempotent();
    await expect(new Migration1700000203SeedStates()).toBeIdempotent({ runs: 3 });
  });

  it('fails a broken step with the diff in the message', async () => {
    await expect(Migration1700000101SeedStatesWithoutGuard).not.toBeIdempotent();
    await expect(expect(Migration1700000105AddUnnamedIndex).toBeIdempotent()).rejects.toThrow(
      /index legacy_status_\d+ added \(legacy_status\)/,
    );
  });

  it('checks a whole collection', async () => {
    await expect(
      MigrationSource.fromClasses([Migration1700000202AddStatus, Migration1700000203SeedStates]),
    ).toBeIdempotent();
    await expect([
      Migration1700000203SeedStates,
      Migration1700000101SeedStatesWithoutGuard,
    ] as MigrationStepClass[]).not.toBeIdempotent();
  });

  it('throws, even under .not, when the step fails on its first run: that proves nothing', async () => {
    class Migration1700000401NeedsMissingTable extends MigrationStep {
      getCreationTimestamp(): number {
        return 1700000401;
      }
      async update(db: Kysely<any>): Promise<void> {
        await sql`UPDATE missing_table SET x = 1`.execute(db);
      }
    }
    await expect(expect(Migration1700000401NeedsMissingTable).not.toBeIdempotent()).rejects.toThrow(
      /failed on its first run/,
    );
    await expect(expect(Migration1700000401NeedsMissingTable).not.toBeIdempotent()).rejects.toBeInstanceOf(
      IdempotencyError,
    );
  });

  it('says what it expected when something else is passed', async () => {
    await expect(expect({ not: 'a step' }).toBeIdempotent()).rejects.toThrow(
      /expects a MigrationStep .* got an object \(Object\)/,
    );
  });
});

describe('toBeIdempotentWith()', () => {
  it('runs on the database, history and seed it is given', async () => {
    const other = await createTestDatabase();
    try {
      await expect(Migration1700000202AddStatus).toBeIdempotentWith({
        db: other.db,
        history: LEGACY_HISTORY,
        seed: seedLegacyOrders,
      });
      await expect(Migration1700000101SeedStatesWithoutGuard).not.toBeIdempotentWith({ db: other.db });
      const states = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM external_order_state`.execute(other.db);
      expect(Number(states.rows[0]?.n)).toBe(6);
    } finally {
      await other.destroy();
    }
  });
});

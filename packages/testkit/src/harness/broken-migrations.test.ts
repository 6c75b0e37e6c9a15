import { sql, type Kysely } from 'kysely';
import { MigrationStep } from '@safemig/core';
import { useTestDatabase } from '../provisioning';
import { IdempotencyError } from '../errors';
import { assertIdempotent } from './assert-idempotent';
import type { StepUnderTest } from './harness-options';
import { LEGACY_HISTORY, seedLegacyOrders } from './__fixtures__/legacy-schema';
import {
  Migration1700000101SeedStatesWithoutGuard,
  Migration1700000102AddColumnWithoutCheck,
  Migration1700000103CountImports,
  Migration1700000104CreateTriggerTwice,
  Migration1700000105AddUnnamedIndex,
  Migration1700000106TouchUpdatedAt,
  Migration1700000107DropLegacyStatusUnguarded,
  Migration1700000108ToggleStatusCase,
} from './__fixtures__/broken-migrations';

const testDb = useTestDatabase({ scope: 'test' });

/** Runs the harness and returns the error it must throw. */
async function failureOf(step: StepUnderTest): Promise<IdempotencyError> {
  const error = await assertIdempotent(step, { db: testDb.db, history: LEGACY_HISTORY, seed: seedLegacyOrders }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof IdempotencyError)) {
    throw new Error(`expected an IdempotencyError, got ${error === undefined ? 'success' : String(error)}`);
  }
  return error;
}

describe('the harness fails every broken migration, naming the problem', () => {
  it('seed rows inserted without a guard: the row count doubles', async () => {
    const error = await failureOf(Migration1700000101SeedStatesWithoutGuard);
    expect(error).toMatchObject({
      code: 'SAFEMIG_NOT_IDEMPOTENT',
      step: 'Migration1700000101SeedStatesWithoutGuard',
      mode: 'update',
      run: 2,
      failure: 'changed',
    });
    expect(error.message).toContain(
      'Migration1700000101SeedStatesWithoutGuard.update() is not idempotent: run 2 changed the database',
    );
    expect(error.message).toContain('external_order_state: rows 4 -> 6');
    expect(error.message).toMatch(/Rows were inserted again \(external_order_state\)/);
  });

  it('ADD COLUMN without an existence check: run 2 fails with a duplicate column', async () => {
    const error = await failureOf(Migration1700000102AddColumnWithoutCheck);
    expect(error).toMatchObject({ mode: 'update', run: 2, failure: 'error' });
    expect(error.message).toMatch(
      /Migration1700000102AddColumnWithoutCheck\.update\(\) is not idempotent: run 2 failed after run 1 succeeded: Duplicate column name 'status'/,
    );
    expect(error.message).toContain('SQL: ALTER TABLE external_order ADD COLUMN status');
    expect(error.message).toContain('use addColumn()');
  });

  it('a counter SET n = n + 1: the column is named', async () => {
    const error = await failureOf(Migration1700000103CountImports);
    expect(error).toMatchObject({ mode: 'update', run: 2, failure: 'changed' });
    expect(error.message).toContain('plugin_counter.n: values changed (same 1 row)');
    expect(error.message).toMatch(/Values are rewritten on every run \(plugin_counter\.n\)/);
  });

  it('a trigger created twice: run 2 fails because it exists', async () => {
    const error = await failureOf(Migration1700000104CreateTriggerTwice);
    expect(error).toMatchObject({ mode: 'update', run: 2, failure: 'error' });
    expect(error.message).toMatch(/Trigger .*external_order_default_status.* already exists/);
    expect(error.message).toContain('use createTrigger()');
  });

  it('the same index added twice under another name', async () => {
    const error = await failureOf(Migration1700000105AddUnnamedIndex);
    expect(error).toMatchObject({ mode: 'update', run: 2, failure: 'changed' });
    expect(error.message).toContain('external_order: index legacy_status_2 added (legacy_status)');
    expect(error.message).toContain('An index was added again under another name');
  });

  it('updated_at = NOW() rewritten on every run, even within the same second', async () => {
    const error = await failureOf(Migration1700000106TouchUpdatedAt);
    expect(error).toMatchObject({ mode: 'update', run: 2, failure: 'changed' });
    expect(error.message).toContain('external_order.updated_at: values changed (same 3 rows)');
    expect(error.message).toContain(
      'external_order.updated_at is rewritten on every run (e.g. SET updated_at = NOW())',
    );
  });

  it('a destructive step that fails when the column is already gone', async () => {
    const error = await failureOf(Migration1700000107DropLegacyStatusUnguarded);
    expect(error).toMatchObject({ mode: 'updateDestructive', run: 2, failure: 'error' });
    expect(error.message).toMatch(
      /Migration1700000107DropLegacyStatusUnguarded\.updateDestructive\(\) is not idempotent: run 2 failed after run 1 succeeded: .*legacy_status/,
    );
    expect(error.message).toContain('dropColumnIfExists()');
  });

  it('a value mapping that is not a fixed point flips values on every run', async () => {
    const error = await failureOf(Migration1700000108ToggleStatusCase);
    expect(error.message).toContain('external_order.legacy_status: values changed (same 3 rows)');
  });

  it('with runs: 3 it reports the first run that differs from run 1', async () => {
    const error = await assertIdempotent(Migration1700000103CountImports, {
      db: testDb.db,
      history: LEGACY_HISTORY,
      seed: seedLegacyOrders,
      runs: 3,
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(IdempotencyError);
    expect((error as IdempotencyError).run).toBe(2);
  });

  it('moves the session clock one day per run, so NOW() differs even between runs in the same second', async () => {
    await sql`CREATE TABLE clock_probe (seen_at DATETIME NOT NULL)`.execute(testDb.db);
    class Migration1700000109RecordNow extends MigrationStep {
      getCreationTimestamp(): number {
        return 1700000109;
      }
      async update(db: Kysely<any>): Promise<void> {
        await sql`INSERT INTO clock_probe (seen_at) VALUES (NOW())`.execute(db);
      }
    }
    await expect(assertIdempotent(Migration1700000109RecordNow, { db: testDb.db })).rejects.toThrow(
      'clock_probe: rows 1 -> 2',
    );
    const seen = await sql<{ seconds: string }>`
      SELECT TIMESTAMPDIFF(SECOND, MIN(seen_at), MAX(seen_at)) AS seconds FROM clock_probe`.execute(testDb.db);
    expect(Number(seen.rows[0]?.seconds)).toBe(86_400);
    // The connection the steps ran on goes back to the pool with the real clock.
    const drifts = await Promise.all(
      Array.from({ length: 10 }, () =>
        sql<{ drift: string }>`SELECT ABS(TIMESTAMPDIFF(SECOND, NOW(), SYSDATE())) AS drift`.execute(testDb.db),
      ),
    );
    expect(Math.max(...drifts.map((result) => Number(result.rows[0]?.drift)))).toBeLessThan(3_600);
  });

  it('stops at the first failing run and leaves the database as that run left it', async () => {
    await failureOf(Migration1700000101SeedStatesWithoutGuard);
    const rows = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM external_order_state`.execute(testDb.db);
    expect(Number(rows.rows[0]?.n)).toBe(6);
  });
});

import { sql } from 'kysely';
import { columnExists, indexExists, MigrationSource, stepMetadata, triggerExists } from '@safemig/core';
import { useTestDatabase } from '../provisioning';
import { IdempotencyError } from '../errors';
import { assertCollectionIdempotent } from './assert-collection-idempotent';
import { assertIdempotent } from './assert-idempotent';
import { LEGACY_HISTORY, seedLegacyOrders } from './__fixtures__/legacy-schema';
import * as correct from './__fixtures__/correct-migrations';
import { Migration1700000103CountImports, Migration1700000105AddUnnamedIndex } from './__fixtures__/broken-migrations';

const testDb = useTestDatabase({ scope: 'test' });
const options = () => ({ db: testDb.db, history: LEGACY_HISTORY, seed: seedLegacyOrders });

describe('the harness passes every correct migration', () => {
  it.each(Object.entries(correct))('%s', async (name, step) => {
    const report = await assertIdempotent(step, options());
    expect(report.steps).toEqual([name]);
    expect(report.runs).toBe(2);
  });

  it('runs update() and updateDestructive() the requested number of times', async () => {
    const report = await assertIdempotent(correct.Migration1700000207ContractStatus, { ...options(), runs: 3 });
    expect(report.phases).toEqual(['update', 'updateDestructive']);
    expect(await columnExists(testDb.db, 'external_order', 'legacy_status')).toBe(false);
    const statuses = await sql<{ status: string }>`SELECT status FROM external_order ORDER BY order_number`.execute(
      testDb.db,
    );
    expect(statuses.rows.map((row) => row.status)).toEqual(['paid', 'paid', 'open']);
  });

  it('skips the destructive phase of a step that does not override it', async () => {
    const report = await assertIdempotent(correct.Migration1700000202AddStatus, options());
    expect(report.phases).toEqual(['update']);
    expect(await indexExists(testDb.db, 'external_order', 'idx_external_order_status')).toBe(true);
  });

  it('exercises the blue-green trigger path by default', async () => {
    await assertIdempotent(correct.Migration1700000205ForwardLegacyStatus, options());
    expect(await triggerExists(testDb.db, 'trg_external_order_forward_status')).toBe(true);
  });

  it('leaves the bookkeeping of the history alone: the step under test runs outside the Migrator', async () => {
    await assertIdempotent(correct.Migration1700000202AddStatus, options());
    const rows = await sql<{ class: string }>`SELECT class FROM migration ORDER BY class`.execute(testDb.db);
    expect(rows.rows.map((row) => row.class)).toEqual(['Migration1700000000CreateExternalOrder']);
  });

  it('ignores the columns and tables it is told to ignore, but never schema changes', async () => {
    await assertIdempotent(Migration1700000103CountImports, {
      ...options(),
      ignore: { columns: ['plugin_counter.n'] },
    });
    await expect(
      assertIdempotent(Migration1700000105AddUnnamedIndex, { db: testDb.db, ignore: { tables: ['external_order'] } }),
    ).rejects.toThrow('external_order: index legacy_status_2 added');
  });

  it('applies the contract of the history too when asked, whatever release the steps declare', async () => {
    class Migration1700000208ContractStatusOfRelease1 extends correct.Migration1700000207ContractStatus {
      override getCreationTimestamp(): number {
        return 1700000208;
      }
      override getMetadata() {
        return stepMetadata({ phase: 'contract', release: '1.0.0' });
      }
    }
    await assertIdempotent(correct.Migration1700000203SeedStates, {
      db: testDb.db,
      history: [...LEGACY_HISTORY, Migration1700000208ContractStatusOfRelease1],
      historyDestructive: true,
    });
    expect(await columnExists(testDb.db, 'external_order', 'legacy_status')).toBe(false);
    const rows = await sql<{ class: string; destructive: unknown }>`
      SELECT class, update_destructive AS destructive FROM migration ORDER BY class`.execute(testDb.db);
    expect(rows.rows.map((row) => [row.class, row.destructive !== null])).toEqual([
      ['Migration1700000000CreateExternalOrder', true],
      ['Migration1700000208ContractStatusOfRelease1', true],
    ]);
  });

  it('refuses fewer than two runs: one run proves nothing', async () => {
    await expect(assertIdempotent(correct.Migration1700000202AddStatus, { ...options(), runs: 1 })).rejects.toThrow(
      /runs 1/,
    );
  });
});

describe('assertCollectionIdempotent', () => {
  it('passes the whole correct chain: updates, updates again, destructive, destructive again', async () => {
    const report = await assertCollectionIdempotent(MigrationSource.fromClasses(Object.values(correct)), options());
    expect(report.steps).toEqual(Object.keys(correct).sort());
    expect(report.phases).toEqual(['update', 'updateDestructive']);
    expect(await columnExists(testDb.db, 'external_order', 'legacy_status')).toBe(false);
  });

  it('names the one step in a chain that is not idempotent', async () => {
    const chain = [...Object.values(correct), Migration1700000103CountImports];
    const error = await assertCollectionIdempotent(chain, options()).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(IdempotencyError);
    expect(error).toMatchObject({ step: 'Migration1700000103CountImports', mode: 'update', run: 2 });
    expect((error as Error).message).toContain('plugin_counter.n: values changed');
  });
});

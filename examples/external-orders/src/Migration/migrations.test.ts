import { BackfillRunner } from '@safemig/backfill';
import { runCompatPlan } from '@safemig/compat';
import { executeRollback, MigrationSource, Migrator, type MigrationStepClass } from '@safemig/core';
import { assertIdempotent, rollbackDrill, useTestDatabase } from '@safemig/testkit';
import { sql, type Kysely } from 'kysely';
import { ExternalOrderRepository, LegacyExternalOrderRepository } from '../data';
import { contractPlan, normalizedFieldsBackfill, NORMALIZED_WRITES_FLAG } from '../rollout';
import { seedLegacyOrders } from '../seed';
import { Migration1700000000ExternalOrder } from './Migration1700000000ExternalOrder';
import { Migration1700000100ExternalOrderNormalizedFields } from './Migration1700000100ExternalOrderNormalizedFields';
import { Migration1700000200ExternalOrderDualWrites } from './Migration1700000200ExternalOrderDualWrites';
import { Migration1700000300ExternalOrderNewWrites } from './Migration1700000300ExternalOrderNewWrites';
import { Migration1700000400ExternalOrderContract } from './Migration1700000400ExternalOrderContract';

const STEPS: readonly MigrationStepClass[] = [
  Migration1700000000ExternalOrder,
  Migration1700000100ExternalOrderNormalizedFields,
  Migration1700000200ExternalOrderDualWrites,
  Migration1700000300ExternalOrderNewWrites,
  Migration1700000400ExternalOrderContract,
];
const NAMESPACE = { namespace: 'ExternalOrders\\Migration' };

const database = useTestDatabase({ scope: 'test' });

/**
 * Legacy orders; for the steps that need it, what the rollout does before them: the backfill before the activate
 * step (its prerequisite), and for the contract step also the activate step and the compat fixes.
 */
async function seedFor(step: MigrationStepClass, db: Kysely<any>): Promise<void> {
  if (step === Migration1700000000ExternalOrder) return;
  await seedLegacyOrders(db, { rows: 600, seed: 11 });
  if (step === Migration1700000300ExternalOrderNewWrites || step === Migration1700000400ExternalOrderContract) {
    await new BackfillRunner({ db, definition: normalizedFieldsBackfill }).run();
  }
  if (step !== Migration1700000400ExternalOrderContract) return;
  await new Migrator({ db, source: MigrationSource.fromClasses(STEPS.slice(0, 4), NAMESPACE) }).migrate();
  const report = await runCompatPlan(db, contractPlan, { fix: true });
  if (!report.passed) throw new Error('the contract plan did not pass on the seed');
}

/** The steps applied (as the Migrator would) before the step under test; the contract's seed applies step 300. */
function historyOf(index: number): MigrationSource {
  const history = STEPS[index] === Migration1700000400ExternalOrderContract ? STEPS.slice(0, 3) : STEPS.slice(0, index);
  return MigrationSource.fromClasses(history, NAMESPACE);
}

describe('every ExternalOrders migration', () => {
  it.each(STEPS.map((step, index) => [step.name, index] as const))(
    '%s runs twice (update and updateDestructive) with no error and no change on the repeat',
    async (_name, index) => {
      const step = STEPS[index]!;
      await assertIdempotent(step, {
        db: database.db,
        history: historyOf(index),
        seed: (db) => seedFor(step, db),
      });
    },
    60_000,
  );
});

describe('the rollback drill of release 1.1', () => {
  it('deploys 1.1 with its backfill, keeps 1.0 working, rolls back to 1.0 and leaves schema and data as before', async () => {
    const db = database.db;
    const source = MigrationSource.fromClasses(STEPS, NAMESPACE);
    await new Migrator({ db, source }).migrate({ until: 1700000000 });
    await seedLegacyOrders(db, { rows: 500, seed: 3 });
    const legacy = new LegacyExternalOrderRepository(db);
    const aChannel = await sql<{ id: string }>`SELECT LOWER(HEX(id)) AS id FROM sales_channel LIMIT 1`.execute(db);
    const channel = aChannel.rows[0]!.id;

    const report = await rollbackDrill({
      db,
      deploy: async () => {
        await new Migrator({ db, source }).migrate({ until: 1700000200 });
        await new BackfillRunner({ db, definition: normalizedFieldsBackfill }).run();
        // Release 1.1 takes an order while it is live (dual writes: the legacy columns are written too).
        const orders = new ExternalOrderRepository(db, { writeMode: async () => 'dual' });
        await orders.create({
          id: 'f1'.repeat(16),
          salesChannelId: channel,
          externalReference: 'EO-1.1-LIVE',
          status: 'paid',
          totalAmount: '10.00',
          currency: 'EUR',
          createdAt: new Date('2026-11-24T10:00:00Z'),
        });
      },
      smoke: {
        'release 1.0 reads an order': () => legacy.findById('f1'.repeat(16)),
        'release 1.0 takes an order': () =>
          legacy.create({
            id: 'f2'.repeat(16),
            salesChannelId: channel,
            reference: 'EO-1.0-LIVE',
            status: 'open',
            amount: '5,00 EUR',
          }),
        'release 1.0 changes a status': () => legacy.setStatus('f1'.repeat(16), 'versendet'),
      },
      rollback: () => executeRollback(db, source, { to: '1.0.0', by: 'drill', flags: [NORMALIZED_WRITES_FLAG] }),
      // The runbook keeps the orders taken while 1.1 was live.
      keep: { rows: { external_order: "external_reference IN ('EO-1.1-LIVE', 'EO-1.0-LIVE')" } },
    });
    expect(report.smoke).toHaveLength(3);
    const kept = await legacy.findById('f1'.repeat(16));
    expect(kept).toEqual({ reference: 'EO-1.1-LIVE', status: 'versendet', amount: '10.00 EUR' });
  });
});

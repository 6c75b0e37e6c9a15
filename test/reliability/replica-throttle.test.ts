import { sql, type Kysely } from 'kysely';
import {
  BackfillRunner,
  type BackfillProgressEvent,
  type SetBackfillDefinitionInput,
  type ThrottleReason,
} from '@safemig/backfill';
import { createDatabase } from '@safemig/core';
import { snapshotData } from '@safemig/testkit';
import { waitFor } from './support/processes';
import { startReplicationPair, type ReplicationPair } from './support/replication';
import { COUNTING_SET, createCountingTable, touchCounts } from './support/tables';

const SCHEMA = 'replicated';

let pair: ReplicationPair;
let primary: Kysely<any>;
beforeAll(async () => {
  pair = await startReplicationPair();
  await sql`CREATE DATABASE ${sql.id(SCHEMA)}`.execute(pair.primaryDb);
  primary = createDatabase(pair.primary.config.withDatabase(SCHEMA));
}, 120_000);
afterAll(async () => {
  await primary?.destroy();
  await pair?.stop();
}, 60_000);

function throttledBackfill(table: string, rows: number, checkIntervalMs = 50) {
  const definition: SetBackfillDefinitionInput = {
    name: `reliability.${table}`,
    table,
    where: 'done = 0',
    set: COUNTING_SET,
    batchSize: Math.floor(rows / 10),
    minBatchSize: Math.floor(rows / 10),
    maxBatchSize: Math.floor(rows / 10),
  };
  const runner = new BackfillRunner({
    db: primary,
    definition,
    throttle: {
      replicas: [pair.replica.config.toUrl()],
      maxReplicaLagSeconds: 1,
      checkIntervalMs,
      waitMs: 100,
    },
  });
  const events: BackfillProgressEvent[] = [];
  runner.on('progress', (event) => events.push(event));
  const throttles = () =>
    events.flatMap((event) => (event.type === 'throttle' ? [event.reasons] : [])) as (readonly ThrottleReason[])[];
  const batches = () => events.filter((event) => event.type === 'batch').length;
  return { runner, events, throttles, batches };
}

/** Primary and replica hold the same rows in the schema (testkit checksums). */
async function expectIdenticalChecksums(table: string): Promise<void> {
  await pair.caughtUp();
  const [onPrimary, onReplica] = await Promise.all([
    snapshotData(pair.primaryDb, { schema: SCHEMA }),
    snapshotData(pair.replicaDb, { schema: SCHEMA }),
  ]);
  expect(onPrimary.tables[table]?.rows).toBeGreaterThan(0);
  expect(onReplica).toEqual(onPrimary);
}

describe('replica-lag throttling against a real replica', () => {
  it('holds back while the replica SQL thread is stopped and completes once it runs again', async () => {
    await createCountingTable(primary, 'stalled', 20_000);
    await pair.caughtUp();
    await sql`STOP SLAVE SQL_THREAD`.execute(pair.replicaDb);
    const { runner, throttles, batches } = throttledBackfill('stalled', 20_000);
    const running = runner.run();
    await waitFor(async () => (throttles().length >= 1 ? true : undefined), 'the first throttle event');
    const batchesWhenThrottled = batches();
    await waitFor(async () => (throttles().length >= 5 ? true : undefined), 'five throttle events');
    // Not one batch while the replica stood still.
    expect(batches()).toBe(batchesWhenThrottled);
    expect(batchesWhenThrottled).toBeLessThan(10);
    await sql`START SLAVE SQL_THREAD`.execute(pair.replicaDb);
    const summary = await running;

    expect(summary.status).toBe('completed');
    expect(summary.throttledMs).toBeGreaterThan(0);
    const reason = throttles()[0]?.[0];
    expect(reason).toMatchObject({ kind: 'replica-lag', value: null, limit: 1 });
    expect(reason?.message).toMatch(/lag is unknown: replication is not running \(.*Slave_SQL_Running=No\)/);
    expect(reason?.message).toContain(`127.0.0.1:${pair.replica.port}`);
    expect(await touchCounts(primary, 'stalled')).toEqual({ '1': 20_000 });
    await expectIdenticalChecksums('stalled');
  });

  it('holds back while a MASTER_DELAY replica lags and completes once the lag recovers', async () => {
    await createCountingTable(primary, 'delayed', 20_000);
    await sql`CREATE TABLE marker (id INT PRIMARY KEY)`.execute(primary);
    await pair.caughtUp();
    await pair.changeMaster('MASTER_DELAY = 3');
    try {
      // A write the replica holds back for 3 s: its lag is visible before the backfill starts.
      await sql`INSERT INTO marker VALUES (1)`.execute(primary);
      await waitFor(async () => {
        const status = await sql<Record<string, unknown>>`SHOW SLAVE STATUS`.execute(pair.replicaDb);
        return Number(status.rows[0]?.Seconds_Behind_Master) >= 2 ? true : undefined;
      }, 'the delayed replica to lag 2 s');
      const { runner, throttles } = throttledBackfill('delayed', 20_000, 10);
      const summary = await runner.run();

      expect(summary.status).toBe('completed');
      expect(summary.throttledMs).toBeGreaterThan(0);
      const reasons = throttles().flat();
      expect(reasons.length).toBeGreaterThan(0);
      for (const reason of reasons) {
        expect(reason).toMatchObject({ kind: 'replica-lag', limit: 1 });
        expect(reason.value).toBeGreaterThan(1);
        expect(reason.message).toMatch(/is \d+ s behind \(max 1 s\)/);
      }
      expect(await touchCounts(primary, 'delayed')).toEqual({ '1': 20_000 });
    } finally {
      await pair.changeMaster('MASTER_DELAY = 0');
    }
    await expectIdenticalChecksums('delayed');
  }, 90_000);
});

import { createTestSchema, type TestSchema } from '../../../test/support/test-schema';
import { createOrders, touchCounts } from './__fixtures__/orders';
import { BackfillReplicaError, BackfillRunner, ReplicaLagMonitor, Throttle, type BackfillProgressEvent } from './index';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(() => schema.destroy());

describe('throttling', () => {
  it('waits while Threads_running is above the limit, says why, and goes on once the limit is raised', async () => {
    await createOrders(schema.db, 200, 'busy_order');
    const runner = new BackfillRunner({
      db: schema.db,
      definition: {
        name: 'throttle.busy',
        table: 'busy_order',
        where: 'done = 0',
        set: { n: 'n + 1', done: '1' },
        batchSize: 100,
        maxBatchSize: 100,
      },
      // This query itself is running, so Threads_running is at least 1 and a limit of 0 always throttles.
      throttle: { maxThreadsRunning: 0, checkIntervalMs: 0, waitMs: 20 },
    });
    const events: BackfillProgressEvent[] = [];
    runner.on('progress', (event) => {
      events.push(event);
      if (event.type === 'throttle' && events.filter((e) => e.type === 'throttle').length === 3) {
        runner.configureThrottle({ maxThreadsRunning: 100_000 });
      }
    });
    const summary = await runner.run();
    const throttles = events.filter((event) => event.type === 'throttle');
    expect(throttles).toHaveLength(3);
    expect(throttles[0]).toMatchObject({
      reasons: [
        { kind: 'threads-running', limit: 0, message: expect.stringMatching(/^Threads_running is \d+ \(max 0\)$/) },
      ],
    });
    const firstBatch = events.findIndex((event) => event.type === 'batch');
    expect(events.findIndex((event) => event.type === 'throttle')).toBeLessThan(firstBatch);
    expect(summary).toMatchObject({ status: 'completed', updated: 200 });
    expect(summary.throttledMs).toBeGreaterThan(0);
    expect(await touchCounts(schema.db, 'busy_order')).toEqual({ '1': 200 });
  });

  it('refuses a configured replica that is not a replica, naming it, before touching a row', async () => {
    await createOrders(schema.db, 10, 'lag_order');
    const runner = new BackfillRunner({
      db: schema.db,
      definition: { name: 'throttle.lag', table: 'lag_order', where: 'done = 0', set: { done: '1' } },
      throttle: { replicas: [schema.config.toUrl()], maxReplicaLagSeconds: 1 },
    });
    const failure = runner.run();
    await expect(failure).rejects.toBeInstanceOf(BackfillReplicaError);
    await expect(runner.run()).rejects.toThrow(
      new RegExp(
        `Replica ${schema.config.redactedUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot report replication lag: SHOW (REPLICA|SLAVE) STATUS returned no row`,
      ),
    );
    expect(await touchCounts(schema.db, 'lag_order')).toEqual({ '0': 10 });
    expect((await runner.status()).status).toBe('not-started');
  });

  it('treats an unreachable replica as unknown lag, which throttles', async () => {
    const monitor = new ReplicaLagMonitor(['mysql://root@127.0.0.1:1/none']);
    try {
      const [lag] = await monitor.lags();
      expect(lag).toMatchObject({
        replica: 'mysql://root@127.0.0.1:1/none',
        lagSeconds: null,
        problem: expect.stringMatching(/^unreachable/),
      });
    } finally {
      await monitor.close();
    }
    const throttle = new Throttle(schema.db, { replicas: ['mysql://root@127.0.0.1:1/none'] });
    try {
      expect(await throttle.check()).toEqual([
        expect.objectContaining({
          kind: 'replica-lag',
          value: null,
          message: expect.stringContaining('lag is unknown: unreachable'),
        }),
      ]);
    } finally {
      await throttle.close();
    }
  });
});

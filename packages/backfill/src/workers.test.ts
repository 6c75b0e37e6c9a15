import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../test/support/test-schema';
import { createOrders, touchCounts } from './__fixtures__/orders';
import { BackfillKeyError, BackfillRunner, type BackfillProgressEvent, type SetBackfillDefinitionInput } from './index';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(() => schema.destroy());

describe('scale-out over key ranges', () => {
  const definition: SetBackfillDefinitionInput = {
    name: 'workers.counts',
    table: 'shared_order',
    where: 'done = 0',
    set: { n: 'n + 1', done: '1' },
    batchSize: 50,
    minBatchSize: 50,
    maxBatchSize: 50,
    parts: 6,
  };

  it('lets several processes share one backfill without two workers ever processing the same range', async () => {
    await createOrders(schema.db, 3_000, 'shared_order');
    // Two "processes": separate pools and worker names; the first also runs two workers of its own.
    const runners = [
      new BackfillRunner({ db: schema.connect(), definition, worker: 'machine-a' }),
      new BackfillRunner({ db: schema.connect(), definition, worker: 'machine-b' }),
    ];
    const claims: { worker: string; part: number }[] = [];
    const batchesByPart = new Map<number, Set<string>>();
    for (const runner of runners) {
      runner.on('progress', (event: BackfillProgressEvent) => {
        if (event.type === 'claim') claims.push({ worker: event.worker, part: event.part });
        if (event.type === 'batch') {
          const owner = claims.find((claim) => claim.part === event.batch.part)?.worker ?? '?';
          batchesByPart.set(event.batch.part, new Set([...(batchesByPart.get(event.batch.part) ?? []), owner]));
        }
      });
    }
    const [a, b] = await Promise.all([runners[0]?.run({ workers: 2 }), runners[1]?.run()]);

    expect(await touchCounts(schema.db, 'shared_order')).toEqual({ '1': 3_000 });
    expect(claims.map((claim) => claim.part).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const owners of batchesByPart.values()) expect(owners.size).toBe(1);
    expect((a?.updated ?? 0) + (b?.updated ?? 0)).toBe(3_000);
    const status = await runners[0]?.status();
    expect(status?.status).toBe('completed');
    expect(status?.parts).toHaveLength(6);
    expect(status?.total.updated).toBe(3_000);
    // Ranges cover the key space without gaps or overlaps: each ends where the next starts.
    const parts = status?.parts ?? [];
    expect(parts[0]?.rangeStart).toBeNull();
    expect(parts.at(-1)?.rangeEnd).toBeNull();
    for (let i = 1; i < parts.length; i += 1) expect(parts[i]?.rangeStart).toBe(parts[i - 1]?.rangeEnd);
    const workers = new Set(parts.map((part) => part.worker));
    expect([...workers].every((worker) => /^machine-(a#[12]|b)$/.test(String(worker)))).toBe(true);
  });

  it('refuses to split a character key', async () => {
    await sql`CREATE TABLE coded (code VARCHAR(20) NOT NULL PRIMARY KEY, v INT NULL) ENGINE=InnoDB`.execute(schema.db);
    await sql`INSERT INTO coded (code) VALUES ('a'), ('b'), ('c')`.execute(schema.db);
    const runner = new BackfillRunner({
      db: schema.db,
      definition: { name: 'workers.coded', table: 'coded', where: 'v IS NULL', set: { v: '1' }, parts: 2 },
    });
    await expect(runner.run()).rejects.toBeInstanceOf(BackfillKeyError);
    const single = await new BackfillRunner({
      db: schema.db,
      definition: { name: 'workers.coded1', table: 'coded', where: 'v IS NULL', set: { v: '1' } },
    }).run();
    expect(single).toMatchObject({ status: 'completed', updated: 3 });
  });
});

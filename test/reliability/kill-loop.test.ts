import { sql } from 'kysely';
import { BackfillRunner, type SetBackfillDefinitionInput } from '@safemig/backfill';
import { createTestDatabase, type TestDatabase } from '@safemig/testkit';
import { buildPackages, seededRandom, sleep, startScript } from './support/processes';
import {
  applyReference,
  COUNTING_SET,
  createCountingTable,
  tableChecksum,
  touchCounts,
  waitForRangesReleased,
} from './support/tables';

const ROWS = 200_000;
const KILLS = 24;
/** Seed of the kill moments: set RELIABILITY_SEED to replay a run. */
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000_007);

let testDb: TestDatabase;
beforeAll(async () => {
  await buildPackages();
  testDb = await createTestDatabase();
}, 180_000);
afterAll(() => testDb?.destroy());

const definition: SetBackfillDefinitionInput = {
  name: 'reliability.kill9',
  table: 'kill_target',
  where: 'done = 0',
  set: COUNTING_SET,
  // Fixed small batches: a kill lands after a few committed batches, so many kills fit into one backfill.
  batchSize: 500,
  minBatchSize: 500,
  maxBatchSize: 500,
};

describe('kill -9 of the backfill process', () => {
  it(`resumes after ${KILLS} kills at random moments of a ${ROWS}-row backfill and equals one UPDATE statement`, async () => {
    const { db } = testDb;
    await createCountingTable(db, 'kill_target', ROWS);
    await sql`CREATE TABLE kill_reference LIKE kill_target`.execute(db);
    await sql`INSERT INTO kill_reference SELECT * FROM kill_target`.execute(db);
    await applyReference(db, 'kill_reference');

    const random = seededRandom(SEED);
    const observer = new BackfillRunner({ db, definition });
    const moments: string[] = [];
    for (let kill = 1; kill <= KILLS; kill += 1) {
      const worker = startScript('backfill-worker.js', {
        WORKER_DB_URL: testDb.url,
        WORKER_DEFINITION: JSON.stringify(definition),
      });
      await worker.line(/^claim /);
      // A moment after the claim: before the first batch, between batches, or inside a running UPDATE.
      const batches = Math.floor(random() * 5);
      const delayMs = Math.floor(random() * 40);
      if (batches > 0) await worker.line(/^batch /, batches);
      await sleep(delayMs);
      worker.child.kill('SIGKILL');
      expect(await worker.exited).toBe('SIGKILL');
      moments.push(`${batches}b+${delayMs}ms`);
      await waitForRangesReleased(observer);

      // After every kill: exactly the committed batches are in the data and in the counters, nothing twice.
      const status = await observer.status();
      const touched = await touchCounts(db, 'kill_target');
      expect(touched['2']).toBeUndefined();
      expect(status.total.updated).toBe(touched['1'] ?? 0);
      expect(status.total.processed).toBe(touched['1'] ?? 0);
      expect(status.status).toBe('running');
    }
    console.log(`kill -9 loop: seed ${SEED}, ${KILLS} kills after ${moments.join(', ')}`);

    const summary = await observer.resume();
    expect(summary.status).toBe('completed');
    expect(await touchCounts(db, 'kill_target')).toEqual({ '1': ROWS });
    const status = await observer.status();
    expect(status.total).toMatchObject({ processed: ROWS, updated: ROWS, skipped: 0, failed: 0 });
    expect(status.errorRows).toBe(0);
    const [target, reference] = await Promise.all([
      tableChecksum(db, 'kill_target'),
      tableChecksum(db, 'kill_reference'),
    ]);
    expect(target).toEqual(reference);
  }, 170_000);
});

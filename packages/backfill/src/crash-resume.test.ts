import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../test/support/test-schema';
import { createOrders, touchCounts } from './__fixtures__/orders';
import { partLockName } from './checkpoint-store';
import { BackfillRunner, type BackfillProgressEvent, type SetBackfillDefinitionInput } from './index';

const ROOT = join(__dirname, '..', '..', '..');
const CHILD = join(__dirname, '__fixtures__', 'backfill-child.js');

let schema: TestSchema;
beforeAll(async () => {
  // The child process runs the compiled package, like a deployed worker would.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/backfill'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  schema = await createTestSchema();
}, 120_000);
afterAll(() => schema.destroy());

/** The definition the child runs, so the parent can resume the same backfill. */
function definition(table: string, set: Record<string, string>): SetBackfillDefinitionInput {
  return { name: `crash.${table}`, table, where: 'done = 0', set, batchSize: 50, minBatchSize: 50, maxBatchSize: 50 };
}

function startChild(
  table: string,
  set: Record<string, string>,
  killAfter?: number,
): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, [CHILD], {
    cwd: ROOT,
    env: {
      ...process.env,
      CHILD_DB_URL: schema.config.toUrl(),
      CHILD_TABLE: table,
      CHILD_SET: JSON.stringify(set),
      CHILD_KILL_AFTER: killAfter ? String(killAfter) : '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  return { child, exited };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 300; i += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function checkpoint(name: string) {
  const result = await sql<{
    status: string;
    last_key: string | null;
    batches: number;
    updated: number;
  }>`SELECT status, last_key, batches, updated
    FROM safemig_backfill WHERE name = ${name}`.execute(schema.db);
  const row = result.rows[0];
  return row && { ...row, batches: Number(row.batches), updated: Number(row.updated) };
}

/** Waits until no session of the killed child is left on the server (its open transaction is then rolled back). */
async function waitForSessionsToClose(table: string): Promise<void> {
  await waitFor(async () => {
    const result = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
      WHERE DB = ${schema.name} AND INFO LIKE ${`UPDATE \`${table}\`%`}`.execute(schema.db);
    const lock = await sql<{
      holder: unknown;
    }>`SELECT IS_USED_LOCK(${partLockName(`crash.${table}`, 0, schema.name)}) AS holder`.execute(schema.db);
    return Number(result.rows[0]?.n) === 0 && lock.rows[0]?.holder === null ? true : undefined;
  }, 'the killed process to disappear from the server');
}

async function resume(table: string, set: Record<string, string>) {
  const runner = new BackfillRunner({ db: schema.db, definition: definition(table, set) });
  const batches: BackfillProgressEvent[] = [];
  runner.on('progress', (event) => event.type === 'batch' && batches.push(event));
  const summary = await runner.resume();
  return { summary, batches };
}

describe('crash safety', () => {
  it('resumes after the process is killed between batches, without losing or repeating a row', async () => {
    await createOrders(schema.db, 500, 'between_order');
    const set = { n: 'n + 1', done: '1' };
    const { exited } = startChild('between_order', set, 3);
    expect(await exited).toBe('SIGKILL');

    expect(await checkpoint('crash.between_order')).toMatchObject({
      status: 'running',
      last_key: '["150"]',
      batches: 3,
      updated: 150,
    });
    expect(await touchCounts(schema.db, 'between_order')).toEqual({ '0': 350, '1': 150 });
    await waitForSessionsToClose('between_order');

    const { summary, batches } = await resume('between_order', set);
    expect(summary).toMatchObject({ status: 'completed', updated: 350, batches: 7 });
    expect(batches[0]?.type === 'batch' && batches[0].batch.lastKey).toBe('["200"]');
    expect(summary.total).toMatchObject({ updated: 500, batches: 10 });
    expect(await touchCounts(schema.db, 'between_order')).toEqual({ '1': 500 });
  });

  it('resumes after kill -9 inside a batch: the open transaction rolls back with its cursor advance', async () => {
    await createOrders(schema.db, 400, 'inside_order');
    // SLEEP makes each 50-row UPDATE take about half a second, so the kill lands inside a running statement.
    const set = { n: 'n + 1 + SLEEP(0.01)', done: '1' };
    const { child, exited } = startChild('inside_order', set);
    await waitFor(async () => {
      const state = await checkpoint('crash.inside_order');
      if (!state || state.batches < 2) return undefined;
      const running = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
        WHERE DB = ${schema.name} AND INFO LIKE 'UPDATE \`inside_order\`%'`.execute(schema.db);
      return Number(running.rows[0]?.n) > 0 ? true : undefined;
    }, 'the child to be inside its third batch or later');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    await waitForSessionsToClose('inside_order');

    const before = await checkpoint('crash.inside_order');
    expect(before?.status).toBe('running');
    const committed = Number(before?.updated);
    expect(committed).toBeGreaterThanOrEqual(100);
    expect(committed).toBeLessThan(400);
    // Exactly the committed batches are visible: the killed batch left no row behind.
    expect(await touchCounts(schema.db, 'inside_order')).toEqual({ '0': 400 - committed, '1': committed });

    const { summary } = await resume('inside_order', set);
    expect(summary).toMatchObject({ status: 'completed', updated: 400 - committed });
    expect(await touchCounts(schema.db, 'inside_order')).toEqual({ '1': 400 });
  });
});

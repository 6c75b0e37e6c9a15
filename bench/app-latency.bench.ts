// Latency of a concurrent application write load with and without a running backfill
// (npm run bench -- app-latency).
//
// The "application" is 4 connections to 127.0.0.1, each issuing one single-row write every 10 ms (400 writes/s in
// all, alternating an UPDATE of a random row of the backfilled table and an INSERT into an event table). Phase 1
// runs the load alone for 10 s; phase 2 runs the same load while a set-based backfill (defaults: adaptive batches
// toward 100 ms, 1 s lock wait) fills a column of the same table, until the backfill completes. The backfill runs in
// a process of its own, as a migration runner does next to the application. Latencies are per statement, measured
// in Node, and reported per kind: the UPDATEs can wait for a batch's row locks, the INSERTs into another table
// cannot, so an INSERT slowed as much as the UPDATEs points at the machine (CPU, I/O), not at the backfill's locks.
// A slow UPDATE that ended within 3 ms after a batch committed is counted as a lock wait. Creates and drops its own
// schema. Options (environment):
//   SAFEMIG_BENCH_DATABASE_URL   server to use (default mysql://root@127.0.0.1:3306)
//   SAFEMIG_BENCH_LATENCY_ROWS   rows of the backfilled table (default 1000000)
//   SAFEMIG_BENCH_LATENCY_RUNS   how many times to run both phases (default 1)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackfillRunner } from '@safemig/backfill';
import { createDatabase, parseDatabaseConfig, quoteIdentifier, type DatabaseConfig } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { digits } from './bench-support';

const CONNECTIONS = 4;
const INTERVAL_MS = 10;
const BASELINE_MS = 10_000;
/** Bound on writes per connection and phase, whatever happens. */
const MAX_WRITES = 20_000;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

/** One application write: when it ended (epoch ms, comparable across processes), how long it took, what it was. */
interface Write {
  readonly endedAt: number;
  readonly ms: number;
  readonly kind: 'update' | 'insert';
}

/** Runs the write load until `until` resolves (or the bound is reached); returns every write. */
async function writeLoad(pools: readonly Kysely<any>[], rows: number, until: Promise<unknown>): Promise<Write[]> {
  let stopped = false;
  void until.finally(() => (stopped = true));
  const writes: Write[] = [];
  await Promise.all(
    pools.map(async (pool, index) => {
      let next = performance.now();
      for (let i = 0; i < MAX_WRITES && !stopped; i += 1) {
        const started = performance.now();
        const kind = i % 2 === 0 ? 'update' : 'insert';
        if (kind === 'update') {
          const id = 1 + Math.floor(Math.random() * rows);
          await sql`UPDATE latency_order SET app_value = app_value + 1 WHERE id = ${id}`.execute(pool);
        } else {
          await sql`INSERT INTO app_event (connection, seq) VALUES (${index}, ${i})`.execute(pool);
        }
        writes.push({ endedAt: performance.timeOrigin + performance.now(), ms: performance.now() - started, kind });
        next += INTERVAL_MS;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
      }
    }),
  );
  return writes;
}

/** What the backfill child prints: its summary and when each batch committed (epoch ms). */
interface ChildReport {
  readonly updated: number;
  readonly durationMs: number;
  readonly batches: number;
  readonly longestBatchMs: number;
  readonly retries: number;
  readonly commits: readonly number[];
}

function runBackfillChild(config: DatabaseConfig): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [__filename, 'child'],
      { env: { ...process.env, SAFEMIG_BENCH_CHILD_URL: config.toUrl() }, maxBuffer: 64 * 2 ** 20 },
      (error, stdout) => {
        if (error) reject(error);
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildReport);
      },
    );
  });
}

/** The backfill process: one set-based backfill with default settings over the whole table. */
async function child(): Promise<void> {
  const db = createDatabase(process.env.SAFEMIG_BENCH_CHILD_URL as string);
  try {
    const runner = new BackfillRunner({
      db,
      definition: {
        name: 'latency.status',
        table: 'latency_order',
        where: 'status IS NULL',
        set: { status: "CASE legacy_status WHEN 'P' THEN 'paid' WHEN 'O' THEN 'open' ELSE 'cancelled' END" },
      },
    });
    const commits: number[] = [];
    runner.on('progress', (event) => {
      if (event.type === 'batch') commits.push(performance.timeOrigin + performance.now());
    });
    const summary = await runner.run();
    const { updated, durationMs, batches, longestBatchMs, retries } = summary;
    console.log(JSON.stringify({ updated, durationMs, batches, longestBatchMs, retries, commits }));
  } finally {
    await db.destroy();
  }
}

function row(run: number, name: string, writes: readonly Write[], seconds: number): string {
  const all = writes.map((write) => write.ms);
  const of = (kind: Write['kind']) => writes.filter((write) => write.kind === kind).map((write) => write.ms);
  return `| ${run} | ${name} | ${all.length.toLocaleString('en-US')} | ${(all.length / seconds).toFixed(0)} | ${percentile(all, 50).toFixed(1)} ms | ${percentile(all, 99).toFixed(1)} ms | ${percentile(of('update'), 99).toFixed(1)} ms | ${percentile(of('insert'), 99).toFixed(1)} ms | ${Math.max(...all).toFixed(0)} ms |`;
}

async function main(): Promise<void> {
  const server = parseDatabaseConfig(process.env.SAFEMIG_BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306');
  if (server.host !== '127.0.0.1' && server.host !== 'localhost')
    throw new Error('the load runs against 127.0.0.1 only');
  const rows = Number(process.env.SAFEMIG_BENCH_LATENCY_ROWS ?? 1_000_000);
  const schemaName = `safemig_bench_${randomBytes(4).toString('hex')}`;
  const admin = createDatabase(server.withDatabase(undefined));
  await sql`CREATE DATABASE ${sql.raw(quoteIdentifier(schemaName))}`.execute(admin);
  const config = server.withDatabase(schemaName);
  const db = createDatabase(config);
  const pools = Array.from({ length: CONNECTIONS }, () => createDatabase({ url: config.toUrl(), connectionLimit: 1 }));
  try {
    await sql`CREATE TABLE latency_order (id INT UNSIGNED NOT NULL PRIMARY KEY, legacy_status CHAR(1) NOT NULL,
      app_value INT NOT NULL DEFAULT 0, status VARCHAR(16) NULL) ENGINE=InnoDB`.execute(db);
    await sql`CREATE TABLE app_event (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, connection INT NOT NULL,
      seq INT NOT NULL, created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB`.execute(db);
    for (let offset = 0; offset < rows; offset += 1_000_000) {
      const size = Math.min(1_000_000, rows - offset);
      await sql`INSERT INTO latency_order (id, legacy_status)
        SELECT s.n + ${offset}, ELT(1 + s.n % 3, 'P', 'O', 'C') FROM (${digits(size)}) s WHERE s.n <= ${size}`.execute(
        db,
      );
    }

    const runs = Number(process.env.SAFEMIG_BENCH_LATENCY_RUNS ?? 1);
    const table: string[] = [];
    const notes: string[] = [];
    for (let run = 1; run <= runs; run += 1) {
      if (run > 1) await sql`UPDATE latency_order SET status = NULL`.execute(db);
      await sql`DELETE FROM safemig_backfill WHERE name = 'latency.status'`.execute(db).catch(() => undefined);
      const baselineStarted = performance.now();
      const baseline = await writeLoad(pools, rows, sleep(BASELINE_MS));
      const baselineSeconds = (performance.now() - baselineStarted) / 1000;

      const duringStarted = performance.now();
      const backfill = runBackfillChild(config);
      const [during, report] = await Promise.all([writeLoad(pools, rows, backfill), backfill]);
      const duringSeconds = (performance.now() - duringStarted) / 1000;

      const baselineP99 = percentile(
        baseline.map((write) => write.ms),
        99,
      );
      const slow = during.filter((write) => write.ms > 2 * baselineP99);
      const lockWaits = slow.filter(
        (write) =>
          write.kind === 'update' &&
          report.commits.some((commit) => write.endedAt >= commit - 1 && write.endedAt - commit <= 3),
      );
      const ratio =
        percentile(
          during.map((write) => write.ms),
          99,
        ) / baselineP99;
      table.push(row(run, 'without backfill', baseline, baselineSeconds));
      table.push(row(run, 'during the backfill', during, duringSeconds));
      notes.push(
        `run ${run}: backfill ${report.updated.toLocaleString('en-US')} rows in ${(report.durationMs / 1000).toFixed(1)} s, ${report.batches} batches, longest ${report.longestBatchMs} ms, ${report.retries} retries; ` +
          `p99 during / without ${ratio.toFixed(2)}x (target at most 2x: ${ratio <= 2 ? 'met' : 'missed'}); ` +
          `${slow.length} writes slower than 2x the baseline p99 (${slow.filter((write) => write.kind === 'insert').length} INSERTs into the other table, ${slow.filter((write) => write.kind === 'update').length} UPDATEs, of which ${lockWaits.length} ended within 3 ms after a batch committed: lock waits)`,
      );
    }
    console.log('\n| run | application writes | count | writes/s | p50 | p99 | p99 UPDATE | p99 INSERT | max |');
    console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const line of table) console.log(line);
    console.log('');
    for (const note of notes) console.log(`- ${note}`);
  } finally {
    await Promise.all(pools.map((pool) => pool.destroy()));
    await db.destroy();
    await sql`DROP DATABASE IF EXISTS ${sql.raw(quoteIdentifier(schemaName))}`.execute(admin);
    await admin.destroy();
  }
}

if (process.argv[2] === 'child') {
  child().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

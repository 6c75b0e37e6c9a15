// Latency of a concurrent application write load with and without a running backfill
// (npm run bench -- app-latency).
//
// The "application" is 4 connections to 127.0.0.1, each issuing one single-row write every 10 ms (400 writes/s in
// all, alternating an UPDATE of a random row of the backfilled table and an INSERT into an event table). Phase 1
// runs the load alone for 10 s; phase 2 runs the same load while a set-based backfill (defaults: adaptive batches
// toward 100 ms, 1 s lock wait) fills a column of the same table, until the backfill completes. Latencies are per
// statement, measured in Node. Creates and drops its own schema. Options (environment):
//   SAFEMIG_BENCH_DATABASE_URL   server to use (default mysql://root@127.0.0.1:3306)
//   SAFEMIG_BENCH_LATENCY_ROWS   rows of the backfilled table (default 1000000)
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackfillRunner } from '@safemig/backfill';
import { createDatabase, parseDatabaseConfig, quoteIdentifier } from '@safemig/core';
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

/** Runs the write load until `until` resolves (or the bound is reached); returns every write's latency in ms. */
async function writeLoad(pools: readonly Kysely<any>[], rows: number, until: Promise<unknown>): Promise<number[]> {
  let stopped = false;
  void until.finally(() => (stopped = true));
  const latencies: number[] = [];
  await Promise.all(
    pools.map(async (pool, index) => {
      let next = performance.now();
      for (let i = 0; i < MAX_WRITES && !stopped; i += 1) {
        const started = performance.now();
        if (i % 2 === 0) {
          const id = 1 + Math.floor(Math.random() * rows);
          await sql`UPDATE latency_order SET app_value = app_value + 1 WHERE id = ${id}`.execute(pool);
        } else {
          await sql`INSERT INTO app_event (connection, seq) VALUES (${index}, ${i})`.execute(pool);
        }
        latencies.push(performance.now() - started);
        next += INTERVAL_MS;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
      }
    }),
  );
  return latencies;
}

function describe(name: string, latencies: readonly number[], seconds: number): string {
  return `| ${name} | ${latencies.length.toLocaleString('en-US')} | ${(latencies.length / seconds).toFixed(0)} | ${percentile(latencies, 50).toFixed(1)} ms | ${percentile(latencies, 99).toFixed(1)} ms | ${Math.max(...latencies).toFixed(0)} ms |`;
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

    const baselineStarted = performance.now();
    const baseline = await writeLoad(pools, rows, sleep(BASELINE_MS));
    const baselineSeconds = (performance.now() - baselineStarted) / 1000;

    const runner = new BackfillRunner({
      db,
      definition: {
        name: 'latency.status',
        table: 'latency_order',
        where: 'status IS NULL',
        set: { status: "CASE legacy_status WHEN 'P' THEN 'paid' WHEN 'O' THEN 'open' ELSE 'cancelled' END" },
      },
    });
    const duringStarted = performance.now();
    const backfill = runner.run();
    const [during, summary] = await Promise.all([writeLoad(pools, rows, backfill), backfill]);
    const duringSeconds = (performance.now() - duringStarted) / 1000;

    const ratio = percentile(during, 99) / percentile(baseline, 99);
    console.log(
      `backfill: ${summary.updated.toLocaleString('en-US')} rows in ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.batches} batches, longest ${summary.longestBatchMs} ms, ${summary.retries} retries`,
    );
    console.log('\n| application writes | count | writes/s | p50 | p99 | max |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    console.log(describe('without backfill', baseline, baselineSeconds));
    console.log(describe('during the backfill', during, duringSeconds));
    console.log(
      `\np99 during / p99 without: ${ratio.toFixed(2)}x (target at most 2x: ${ratio <= 2 ? 'met' : 'missed'})`,
    );
  } finally {
    await Promise.all(pools.map((pool) => pool.destroy()));
    await db.destroy();
    await sql`DROP DATABASE IF EXISTS ${sql.raw(quoteIdentifier(schemaName))}`.execute(admin);
    await admin.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

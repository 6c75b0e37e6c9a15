// Backfill throughput and per-batch time as the table grows (npm run bench -- backfill-scale).
//
// At each size (default 100k, 1M, 5M rows) it fills three NULL columns from the same CASE expression: one UPDATE
// over the whole table (the ceiling), the set-based keyset backfill with a FIXED batch of 5,000 keys (so the batch
// time itself shows whether a batch gets slower as the table grows), and a naive `LIMIT 5000 OFFSET n` loop capped
// at 20 s. Per-batch p50/p99/max, and the mean of the first and last tenth of the batches, are printed for both
// loops. Creates and drops its own schema. Options (environment):
//   SAFEMIG_BENCH_DATABASE_URL   server to use (default mysql://root@127.0.0.1:3306)
//   SAFEMIG_BENCH_SCALE_SIZES    comma-separated row counts (default 100000,1000000,5000000)
//   SAFEMIG_BENCH_OFFSET_CAP_MS  time cap of the OFFSET loop per size (default 20000)
import { randomBytes } from 'node:crypto';
import { BackfillRunner } from '@safemig/backfill';
import { createDatabase, parseDatabaseConfig, quoteIdentifier } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { digits } from './bench-support';

const CASE_STATUS = "CASE legacy_status WHEN 'P' THEN 'paid' WHEN 'O' THEN 'open' ELSE 'cancelled' END";
const BATCH = 5_000;

async function createTable(db: Kysely<any>, count: number): Promise<void> {
  await sql`DROP TABLE IF EXISTS scale_order`.execute(db);
  await sql`CREATE TABLE scale_order (
    id INT UNSIGNED NOT NULL PRIMARY KEY,
    legacy_status CHAR(1) NOT NULL,
    status_single VARCHAR(16) NULL,
    status_set VARCHAR(16) NULL,
    status_offset VARCHAR(16) NULL
  ) ENGINE=InnoDB`.execute(db);
  for (let offset = 0; offset < count; offset += 1_000_000) {
    const size = Math.min(1_000_000, count - offset);
    await sql`INSERT INTO scale_order (id, legacy_status)
      SELECT s.n + ${offset}, ELT(1 + s.n % 3, 'P', 'O', 'C') FROM (${digits(size)}) s WHERE s.n <= ${size}`.execute(
      db,
    );
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
const ms = (n: number) => `${n.toFixed(0)} ms`;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function batchStats(durations: readonly number[]): string {
  const tenth = Math.max(1, Math.floor(durations.length / 10));
  return `${ms(percentile(durations, 50))} / ${ms(percentile(durations, 99))} / ${ms(Math.max(...durations))} | ${ms(
    mean(durations.slice(0, tenth)),
  )} -> ${ms(mean(durations.slice(-tenth)))}`;
}

async function main(): Promise<void> {
  const server = parseDatabaseConfig(process.env.SAFEMIG_BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306');
  const sizes = (process.env.SAFEMIG_BENCH_SCALE_SIZES ?? '100000,1000000,5000000').split(',').map(Number);
  const offsetCapMs = Number(process.env.SAFEMIG_BENCH_OFFSET_CAP_MS ?? 20_000);
  const schemaName = `safemig_bench_${randomBytes(4).toString('hex')}`;
  const admin = createDatabase(server.withDatabase(undefined));
  await sql`CREATE DATABASE ${sql.raw(quoteIdentifier(schemaName))}`.execute(admin);
  const db = createDatabase(server.withDatabase(schemaName));
  const lines: string[] = [];
  try {
    for (const size of sizes) {
      const created = performance.now();
      await createTable(db, size);
      const createMs = performance.now() - created;

      const singleStarted = performance.now();
      await sql`UPDATE scale_order SET status_single = ${sql.raw(CASE_STATUS)} WHERE status_single IS NULL`.execute(db);
      const singleMs = performance.now() - singleStarted;

      const batches: number[] = [];
      const runner = new BackfillRunner({
        db,
        definition: {
          name: `scale.${size}`,
          table: 'scale_order',
          where: 'status_set IS NULL',
          set: { status_set: CASE_STATUS },
          batchSize: BATCH,
          minBatchSize: BATCH,
          maxBatchSize: BATCH,
        },
      });
      runner.on('progress', (event) => event.type === 'batch' && batches.push(event.batch.durationMs));
      const setStarted = performance.now();
      const summary = await runner.run();
      const setMs = performance.now() - setStarted;

      const pages: number[] = [];
      let offsetRows = 0;
      const offsetStarted = performance.now();
      while (offsetRows < size && performance.now() - offsetStarted < offsetCapMs) {
        const pageStarted = performance.now();
        const page = await sql<{
          id: number;
        }>`SELECT id FROM scale_order ORDER BY id LIMIT ${BATCH} OFFSET ${offsetRows}`.execute(db);
        if (page.rows.length === 0) break;
        await sql`UPDATE scale_order SET status_offset = ${sql.raw(CASE_STATUS)}
          WHERE id IN (${sql.join(page.rows.map((row) => row.id))})`.execute(db);
        offsetRows += page.rows.length;
        pages.push(performance.now() - pageStarted);
      }
      const offsetMs = performance.now() - offsetStarted;

      const single = (size * 1000) / singleMs;
      const set = (summary.updated * 1000) / setMs;
      const offset = (offsetRows * 1000) / offsetMs;
      lines.push(
        `| ${fmt(size)} | one UPDATE | ${fmt(single)} | 100% | ${(singleMs / 1000).toFixed(1)} s | 1 statement | - |`,
        `| ${fmt(size)} | set backfill, ${fmt(BATCH)} keys/batch | ${fmt(set)} | ${Math.round((100 * set) / single)}% | ${(setMs / 1000).toFixed(1)} s | ${batches.length} batches | ${batchStats(batches)} |`,
        `| ${fmt(size)} | \`LIMIT ${BATCH} OFFSET n\` loop | ${fmt(offset)} | ${Math.round((100 * offset) / single)}% | ${
          offsetRows < size
            ? `stopped at ${fmt(offsetRows)} rows after ${(offsetMs / 1000).toFixed(0)} s`
            : `${(offsetMs / 1000).toFixed(1)} s`
        } | ${pages.length} pages | ${batchStats(pages)} |`,
      );
      console.log(`${fmt(size)} rows generated in ${(createMs / 1000).toFixed(1)} s; done.`);
      await sql`DROP TABLE scale_order`.execute(db);
    }
  } finally {
    await db.destroy();
    await sql`DROP DATABASE IF EXISTS ${sql.raw(quoteIdentifier(schemaName))}`.execute(admin);
    await admin.destroy();
  }
  console.log(
    '\n| rows | method | rows/s | of one UPDATE | time | work | batch p50 / p99 / max \\| first -> last tenth |',
  );
  console.log('| ---: | --- | ---: | ---: | --- | --- | --- |');
  for (const line of lines) console.log(line);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

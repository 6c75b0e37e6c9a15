import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BackfillRunner, type BackfillSummary } from '@safemig/backfill';
import { runCli, type CliIo } from '@safemig/cli';
import { createDatabase, type DatabaseConfig } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { seedLegacyOrders, type SeedResult } from '../seed';
import { normalizedFieldsBackfill } from './normalized-fields-backfill';
import { CONTRACT_PLAN, LEGACY_DATA_PLAN, NORMALIZED_FIELDS_BACKFILL } from './rollout-names';

export interface RolloutOptions {
  /** The schema to roll out in; it must exist and be empty. */
  readonly config: DatabaseConfig;
  /** Legacy orders to seed before release 1.1. */
  readonly rows: number;
  /** The config file the `safemig` commands read (compiled JS, or the .ts source under jest). */
  readonly configFile: string;
  /** The reviewed plan file `safemig plan --check` compares against. */
  readonly planFile: string;
  /** Where the commands' output and the progress lines go. */
  readonly out: (text: string) => void;
  /** Whether the output is a terminal (progress bars and human log lines instead of JSON lines). */
  readonly isTTY?: boolean;
  /** The table snapshot taken before the contract; snapshot names are server-wide. Default `before_1_2_0`. */
  readonly snapshotName?: string;
}

export interface RolloutReport {
  readonly seeded: SeedResult;
  readonly backfill: BackfillSummary;
  readonly liveOrders: number;
  readonly quarantined: number;
  /** Exit code of `safemig validate` after the contract: 0 when every automated item passed. */
  readonly validateExitCode: number;
  /** Exit code of `safemig rollback check --to 1.1.0`: non-zero, since the contract ran. */
  readonly rollbackCheckExitCode: number;
  readonly durationMs: number;
}

/**
 * The ExternalOrders rollout from release 1.0 with messy legacy data to the contract of release 1.2, with the
 * `safemig` commands a plugin team runs in production (in-process here). `npm run example` prints it; the end-to-end
 * test asserts its outcome.
 */
export async function runExternalOrdersRollout(options: RolloutOptions): Promise<RolloutReport> {
  const started = Date.now();
  const { out } = options;
  const db = createDatabase(options.config);
  const registry = new Registry();
  const metrics = await serveMetrics(registry);
  // The config file reads the metrics URL from the environment when it is loaded, at the first command.
  process.env.EXTERNAL_ORDERS_METRICS_URL = `http://127.0.0.1:${(metrics.address() as AddressInfo).port}/metrics`;
  const safemig = cli(options);
  const heading = (title: string) => out(`\n==> [${((Date.now() - started) / 1000).toFixed(1)} s] ${title}\n`);
  try {
    heading('Release 1.0 is live: the legacy table with production-like data');
    await safemig('migrate', '--until', '1700000000');
    const seeded = await seedLegacyOrders(db, { rows: options.rows });
    out(
      `  ${seeded.rows} orders in ${seeded.salesChannels} sales channels; payload formats: ${entries(seeded.formats)}\n`,
    );
    out(`  anomalies seeded: ${entries(seeded.anomalies)}\n`);

    heading('Review: the rollout plan (committed and reviewed) and the linter');
    await safemig('plan', '--check', '--file', options.planFile);
    await safemig('lint');

    heading('Before release 1.1: what the legacy data looks like, and the fixes the mapping needs');
    await safemig('compat', '--plan', LEGACY_DATA_PLAN, '--fix');
    await safemig('validate', '--capture-baseline', '--by', 'rollout');

    heading('Release 1.1: expand (NULLable columns) and adapt (dual writes behind the flag)');
    await safemig('migrate', '--until', '1700000200');
    await safemig('flag', 'list');

    heading('Backfill: dry-run first, then batches (resumable; kill -9 at any moment is safe)');
    await safemig('backfill', 'dry-run', NORMALIZED_FIELDS_BACKFILL);
    const backfill = await runBackfill(db, registry, out);

    heading('Before release 1.2: the contract plan must pass (fixes are audited and undoable)');
    await safemig('compat', '--plan', CONTRACT_PLAN, '--fix');
    const snapshot = options.snapshotName ?? 'before_1_2_0';
    await safemig('snapshot', 'create', '--tables', 'external_order', '--name', snapshot, '--by', 'rollout');

    heading('Release 1.2: activate (writes to the new model only), then contract (destructive)');
    await safemig('migrate');
    await safemig('migrate:destructive', '--mode', 'all', '--current-release', '1.2.0');
    await safemig('status');

    heading("After the contract: the compat re-check compares the application's view with its snapshot");
    await safemig('compat', '--plan', CONTRACT_PLAN);

    heading('Post-migration validation checklist');
    const validateExitCode = await safemig('validate');

    heading('Rollback: can release 1.1 still run on this schema?');
    const rollbackCheckExitCode = await safemig('rollback', 'check', '--to', '1.1.0');

    const counts = await sql<{ live: number | string; quarantined: number | string }>`
      SELECT (SELECT COUNT(*) FROM external_order) AS live,
             (SELECT COUNT(*) FROM external_order_quarantine) AS quarantined`.execute(db);
    return {
      seeded,
      backfill,
      liveOrders: Number(counts.rows[0]?.live),
      quarantined: Number(counts.rows[0]?.quarantined),
      validateExitCode,
      rollbackCheckExitCode,
      durationMs: Date.now() - started,
    };
  } finally {
    delete process.env.EXTERNAL_ORDERS_METRICS_URL;
    metrics.close();
    await db.destroy();
  }
}

/** Runs one `safemig` command in-process, echoing it; throws on an unexpected exit code. */
function cli(options: RolloutOptions) {
  const io: CliIo = {
    stdout: { write: (text: string) => options.out(text) },
    stderr: { write: (text: string) => options.out(text) },
    isTTY: options.isTTY ?? false,
    env: process.env,
    cwd: join(options.configFile, '..', '..'),
  };
  return async (...args: string[]): Promise<number> => {
    options.out(`\n$ safemig ${args.join(' ')}\n`);
    const code = await runCli(
      [
        'node',
        'safemig',
        '--config',
        options.configFile,
        '--database-url',
        options.config.toUrl(),
        '--log-level',
        'warn',
        ...args,
      ],
      io,
    );
    const informative = args[0] === 'validate' || (args[0] === 'rollback' && args[1] === 'check');
    if (code !== 0 && !informative) throw new Error(`safemig ${args.join(' ')} exited with ${code}`);
    return code;
  };
}

/** The backfill with a progress line per second and its metrics in the registry the /metrics endpoint serves. */
async function runBackfill(db: Kysely<any>, registry: Registry, out: (text: string) => void): Promise<BackfillSummary> {
  out(`\n$ safemig backfill run ${NORMALIZED_FIELDS_BACKFILL}   (in-process, with a metrics registry)\n`);
  const runner = new BackfillRunner({ db, definition: normalizedFieldsBackfill, registry, lockWaitTimeoutSeconds: 2 });
  let last = 0;
  runner.on('progress', (event) => {
    if (event.type !== 'batch' || Date.now() - last < 1000) return;
    last = Date.now();
    const { processed, updated, failed } = event.progress.totals;
    const percent = event.progress.fraction === null ? '' : ` (${Math.round(event.progress.fraction * 100)}%)`;
    out(
      `  ${processed} processed${percent}, ${updated} updated, ${failed} failed; last batch ${event.batch.scanned} rows ` +
        `in ${event.batch.durationMs} ms, ${Math.round(event.progress.rowsPerSecond)} rows/s\n`,
    );
  });
  const summary = await runner.run();
  out(
    `  ${summary.status}: ${summary.processed} processed, ${summary.updated} updated, ${summary.failed} failed in ` +
      `${(summary.durationMs / 1000).toFixed(1)} s (${Math.round(summary.rowsPerSecond)} rows/s, ${summary.batches} ` +
      `batches, longest ${summary.longestBatchMs} ms)\n`,
  );
  return summary;
}

async function serveMetrics(registry: Registry): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function entries(record: Readonly<Record<string, number>>): string {
  return Object.entries(record)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
}

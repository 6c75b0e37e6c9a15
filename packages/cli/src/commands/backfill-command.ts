import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { InvalidConfigError, SafemigError } from '@safemig/core';
import {
  BackfillRunner,
  defineBackfill,
  type BackfillDefinition,
  type BackfillDefinitionInput,
  type BackfillRunnerProps,
  type BackfillStatusReport,
  type BackfillSummary,
  type DryRunReport,
  type ThrottleOptions,
} from '@safemig/backfill';
import type { CliContext } from '../cli-context';
import { integerOption } from './options';

/**
 * The `backfills` section of `safemig.config.js`: the definitions, or an object with them and the settings every
 * backfill run from the command line shares.
 *
 * ### Examples
 * ```ts
 * module.exports = defineConfig({
 *   backfills: {
 *     definitions: [{ name: 'external_order.status', table: 'external_order', where: 'status IS NULL', set: { status: "'open'" } }],
 *     throttle: { maxThreadsRunning: 30, replicas: [process.env.REPLICA_URL] },
 *   },
 * });
 * ```
 */
export type BackfillConfigSection =
  | readonly BackfillDefinitionInput[]
  | {
      readonly definitions: readonly BackfillDefinitionInput[];
      readonly throttle?: ThrottleOptions;
      readonly lockWaitTimeoutSeconds?: number;
    };

/** Stable codes of the backfill command's own outcomes, for the program's exit-code mapping. */
export const BACKFILL_COMMAND_CODES = {
  /** The run stopped before the end (Ctrl-C, maxErrorRate); `resume` continues it. */
  PAUSED: 'SAFEMIG_BACKFILL_PAUSED',
  /** Every unfinished range is held by another live worker; nothing was done here. */
  CLAIMED: 'SAFEMIG_BACKFILL_CLAIMED',
  /** No backfill of that name in the config. */
  UNKNOWN: 'SAFEMIG_BACKFILL_UNKNOWN',
} as const;

/** A backfill run that ended without completing; the message says why and what to run next. */
export class BackfillIncompleteError extends SafemigError {
  readonly summary: BackfillSummary;
  constructor(summary: BackfillSummary) {
    const claimed = summary.stopReason === 'claimed-by-others';
    super(
      claimed ? BACKFILL_COMMAND_CODES.CLAIMED : BACKFILL_COMMAND_CODES.PAUSED,
      claimed
        ? `Backfill ${summary.name}: every unfinished range is being processed by another worker.`
        : `Backfill ${summary.name} stopped (${summary.stopReason}) before the end: ${summary.message ?? 'paused'}.`,
      {
        hint: claimed
          ? 'Nothing to do here; `safemig backfill status` shows the workers.'
          : `Run \`safemig backfill resume ${summary.name}\` to continue.`,
      },
    );
    this.summary = summary;
  }
}

/**
 * `safemig backfill run|dry-run|status|resume|reset|retry-errors <name>`: the backfills of the config file.
 * On a terminal the run shows a progress bar; otherwise it logs JSON lines. Ctrl-C pauses cleanly after the
 * current batch.
 */
export function registerBackfillCommand(program: Command, context: CliContext): void {
  const backfill = program
    .command('backfill')
    .description('resumable keyset backfills of new columns (see docs/backfill.md)');
  backfill
    .command('run <name>')
    .description('run a backfill to the end, resuming from its checkpoint')
    .option('--workers <n>', 'workers in this process (the backfill needs parts > 1)', integerOption('--workers'), 1)
    .action(async (name: string, options: { workers: number }) => {
      await runWithProgress(context, name, (runner, signal) => runner.run({ signal, workers: options.workers }));
    });
  backfill
    .command('resume <name>')
    .description('continue a started backfill from its checkpoint')
    .option('--workers <n>', 'workers in this process', integerOption('--workers'), 1)
    .action(async (name: string, options: { workers: number }) => {
      await runWithProgress(context, name, (runner, signal) => runner.resume({ signal, workers: options.workers }));
    });
  backfill
    .command('dry-run <name>')
    .description('report what a run would do, writing nothing')
    .option('--sample <n>', 'sample rows per outcome', integerOption('--sample'), 5)
    .option('--max-rows <n>', 'stop after this many rows and extrapolate', integerOption('--max-rows'))
    .action(async (name: string, options: { sample: number; maxRows?: number }) => {
      const report = await runnerFor(context, name).dryRun({ sampleSize: options.sample, maxRows: options.maxRows });
      context.print(report, () => renderDryRun(report));
    });
  backfill
    .command('status <name>')
    .description('show the checkpoint: status, cursor and counters per range, error rows')
    .action(async (name: string) => {
      const status = await runnerFor(context, name).status();
      context.print(status, () => renderStatus(status));
    });
  backfill
    .command('reset <name>')
    .description('forget the checkpoint and error rows; the next run starts from the first key')
    .action(async (name: string) => {
      await runnerFor(context, name).reset();
      context.print({ name, reset: true }, () => `Backfill ${name} reset; the next run starts from the first key.`);
    });
  backfill
    .command('retry-errors <name>')
    .description('process the rows of the error table again (after fixing the transform or the data)')
    .action(async (name: string) => {
      const result = await runnerFor(context, name).retryErrors();
      context.print(
        result,
        () =>
          `Retried ${result.attempted} row(s): ${result.updated} updated, ${result.skipped} skipped, ${result.resolved} no longer needed, ${result.stillFailing} still failing.`,
      );
      if (result.stillFailing > 0)
        throw new SafemigError(
          'SAFEMIG_BACKFILL_ROWS_FAILING',
          `${result.stillFailing} row(s) of backfill ${name} still fail.`,
        );
    });
}

function section(context: CliContext): { definitions: BackfillDefinition[]; settings: Partial<BackfillRunnerProps> } {
  const raw = context.config.config.backfills as BackfillConfigSection | undefined;
  if (raw === undefined) {
    throw new InvalidConfigError('configuration', [
      {
        path: 'backfills',
        message: `is not set${context.config.file ? ` in ${context.config.file}` : ' (no safemig.config.js found)'}`,
      },
    ]);
  }
  const list = Array.isArray(raw) ? raw : (raw as { definitions?: unknown }).definitions;
  if (!Array.isArray(list))
    throw new InvalidConfigError('configuration', [
      { path: 'backfills.definitions', message: 'must be an array of backfill definitions' },
    ]);
  const settings: { throttle?: ThrottleOptions; lockWaitTimeoutSeconds?: number } = Array.isArray(raw)
    ? {}
    : (raw as Exclude<BackfillConfigSection, readonly unknown[]>);
  return {
    definitions: list.map((definition: BackfillDefinitionInput) => defineBackfill(definition)),
    settings: { throttle: settings.throttle, lockWaitTimeoutSeconds: settings.lockWaitTimeoutSeconds },
  };
}

function runnerFor(context: CliContext, name: string): BackfillRunner {
  const { definitions, settings } = section(context);
  const definition = definitions.find((candidate) => candidate.name === name);
  if (!definition) {
    throw new SafemigError(BACKFILL_COMMAND_CODES.UNKNOWN, `No backfill named ${JSON.stringify(name)} in the config.`, {
      hint: `Known backfills: ${definitions.map((candidate) => candidate.name).join(', ') || '(none)'}.`,
    });
  }
  return new BackfillRunner({ db: context.db, definition, logger: context.logger, ...settings });
}

async function runWithProgress(
  context: CliContext,
  name: string,
  start: (runner: BackfillRunner, signal: AbortSignal) => Promise<BackfillSummary>,
): Promise<void> {
  const runner = runnerFor(context, name);
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  const bar = context.io.isTTY
    ? new SingleBar({
        stream: context.io.stderr as NodeJS.WritableStream,
        format: ' {bar} {percentage}% | {processed} rows | {rate} rows/s | ETA {etaText}',
        hideCursor: true,
      })
    : undefined;
  bar?.start(1000, 0, { processed: 0, rate: 0, etaText: '?' });
  runner.on('progress', (event) => {
    if (event.type !== 'batch' || !bar) return;
    const { progress } = event;
    bar.update(Math.round((progress.fraction ?? 0) * 1000), {
      processed: progress.totals.processed,
      rate: progress.rowsPerSecond,
      etaText: progress.etaSeconds === null ? '?' : `${progress.etaSeconds}s`,
    });
  });
  let summary: BackfillSummary;
  try {
    summary = await start(runner, controller.signal);
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onInterrupt);
  }
  context.print(summary, () => renderSummary(summary));
  if (summary.status !== 'completed') throw new BackfillIncompleteError(summary);
}

/** One paragraph a person reads after a run. */
export function renderSummary(summary: BackfillSummary): string {
  const head =
    summary.stopReason === 'already-completed'
      ? `Backfill ${summary.name} was already completed; nothing to do.`
      : `Backfill ${summary.name}: ${summary.status} (${summary.stopReason}) in ${(summary.durationMs / 1000).toFixed(1)} s.`;
  return [
    head,
    `  this run: ${summary.processed} processed, ${summary.updated} updated, ${summary.skipped} skipped, ${summary.failed} failed, ${summary.conflicts} conflicts, ${summary.retries} retries, ${summary.batches} batches, ${summary.rowsPerSecond} rows/s, longest batch ${summary.longestBatchMs} ms`,
    `  all runs: ${summary.total.processed} processed, ${summary.total.updated} updated, ${summary.total.failed} failed; ${summary.errorRows} row(s) in the error table`,
  ].join('\n');
}

/** The dry-run report for a person: counts, samples, estimate. */
export function renderDryRun(report: DryRunReport): string {
  const lines = [
    `Dry-run of ${report.name} (${report.mode} mode, nothing written): ${report.complete ? '' : 'partial, '}${report.scanned} scanned in ${(report.durationMs / 1000).toFixed(1)} s`,
    `  would update ${report.wouldUpdate}, skip ${report.wouldSkip}, fail ${report.wouldFail}`,
    `  estimated duration of the run: ${report.estimatedDurationMs === null ? 'unknown' : `${(report.estimatedDurationMs / 1000).toFixed(1)} s`}`,
  ];
  for (const sample of report.samples.update)
    lines.push(`  update ${sample.key}: ${JSON.stringify(sample.before)} -> ${JSON.stringify(sample.after)}`);
  for (const sample of report.samples.skip) lines.push(`  skip   ${sample.key}`);
  for (const sample of report.samples.fail) lines.push(`  fail   ${sample.key}: ${sample.message}`);
  return lines.join('\n');
}

/** The checkpoint for a person: one line per range. */
export function renderStatus(status: BackfillStatusReport): string {
  if (status.status === 'not-started') return `Backfill ${status.name} has not started.`;
  const lines = [
    `Backfill ${status.name}: ${status.status}; ${status.total.processed} processed, ${status.total.updated} updated, ${status.total.failed} failed, ${status.total.retries} retries; ${status.errorRows} row(s) in the error table`,
  ];
  if (status.changedFields.length > 0)
    lines.push(`  the definition changed since the checkpoint was written: ${status.changedFields.join(', ')}`);
  for (const part of status.parts) {
    lines.push(
      `  range ${part.part}: ${part.status}${part.active ? ' (active)' : part.status === 'running' ? ' (no live worker)' : ''}, cursor ${part.lastKey ?? '-'}, ${part.processed} processed${part.worker ? `, worker ${part.worker}` : ''}${part.message ? `: ${part.message}` : ''}`,
    );
  }
  return lines.join('\n');
}

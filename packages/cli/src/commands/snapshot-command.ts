import type { Command } from 'commander';
import { SafemigError } from '@safemig/core';
import {
  createTableSnapshot,
  dropTableSnapshot,
  listTableSnapshots,
  restoreTableSnapshot,
  TABLE_SNAPSHOT_ERROR_CODES,
  verifyTableSnapshot,
  type TableSnapshotInfo,
} from '@safemig/testkit';
import type { CliContext } from '../cli-context';
import { integerOption } from './options';

/**
 * `safemig snapshot create|verify|restore|list|drop`: table snapshots in `safemig_snapshot_<name>` schemas on the
 * same server, taken before a risky or destructive step (see docs/rollback-runbook.md).
 */
export function registerSnapshotCommand(program: Command, context: CliContext): void {
  const snapshot = program
    .command('snapshot')
    .description('copy tables into a snapshot schema before a risky step, verify and restore them');
  snapshot
    .command('create')
    .description('copy tables (structure, rows in keyset batches, checksums) into safemig_snapshot_<name>')
    .requiredOption('--tables <list>', 'comma-separated tables of the current schema')
    .option('--name <name>', 'letters, digits and _ (default: a UTC timestamp)')
    .option('--by <who>', 'who takes it (default: $SAFEMIG_USER or $USER)')
    .option('--batch-size <rows>', 'rows per INSERT ... SELECT batch', integerOption('--batch-size'))
    .action(async (options: { tables: string; name?: string; by?: string; batchSize?: number }) => {
      const created = await createTableSnapshot(context.db, {
        tables: options.tables
          .split(',')
          .map((table) => table.trim())
          .filter((table) => table.length > 0),
        name: options.name,
        by: options.by ?? context.io.env.SAFEMIG_USER ?? context.io.env.USER,
        batchSize: options.batchSize,
      });
      context.print(created, () => `Created table snapshot ${created.name}:\n${renderTables(created)}`);
    });
  snapshot
    .command('verify <name>')
    .description("recompute every table's checksum and compare it with the manifest")
    .action(async (name: string) => {
      const verification = await verifyTableSnapshot(context.db, name);
      context.print(verification, () =>
        [
          `Table snapshot ${name} ${verification.verified ? 'verifies' : 'does NOT verify'}:`,
          ...verification.tables.map(
            (table) =>
              `  ${table.table}: ${table.rows} rows, checksum ${table.checksum} ${table.verified ? 'ok' : 'MISMATCH'}`,
          ),
          ...verification.mismatches.map(
            (m) =>
              `  ${m.table}: now ${m.actualChecksum === null ? 'missing' : `${m.actualRows} rows, checksum ${m.actualChecksum}`}`,
          ),
        ].join('\n'),
      );
      if (!verification.verified) {
        throw new SafemigError(TABLE_SNAPSHOT_ERROR_CODES.NOT_VERIFIED, `The table snapshot ${name} does not verify.`, {
          hint: 'Do not restore it; use another snapshot or a whole-database backup.',
        });
      }
    });
  snapshot
    .command('restore <name>')
    .description('verify the snapshot, then swap its tables in with one atomic RENAME TABLE')
    .option('--keep-old', 'keep the replaced tables as safemig_old_<time>_<table>')
    .option('--batch-size <rows>', 'rows per INSERT ... SELECT batch', integerOption('--batch-size'))
    .action(async (name: string, options: { keepOld?: boolean; batchSize?: number }) => {
      const restored = await restoreTableSnapshot(context.db, name, {
        keepOld: options.keepOld === true,
        batchSize: options.batchSize,
      });
      context.print(restored, () =>
        [
          `Restored table snapshot ${name}:`,
          ...restored.tables.map(
            (table) =>
              `  ${table.table}: ${table.rows} rows${table.oldTable ? ` (replaced table kept as ${table.oldTable})` : ''}`,
          ),
        ].join('\n'),
      );
    });
  snapshot
    .command('list')
    .description('list the table snapshots taken from this schema, newest first')
    .option('--all-schemas', 'list the snapshots of every schema on the server')
    .action(async (options: { allSchemas?: boolean }) => {
      const list = await listTableSnapshots(context.db, { allSchemas: options.allSchemas === true });
      context.print(list, () =>
        [
          ...(list.snapshots.length === 0 ? ['No table snapshots.'] : []),
          ...list.snapshots.map(
            (s) =>
              `${s.name}  ${s.createdAt.toISOString()}  by ${s.createdBy}  from ${s.sourceSchema}\n${renderTables(s)}`,
          ),
          ...list.incomplete.map((s) => `${s.name}  INCOMPLETE (creation did not finish; drop it)`),
        ].join('\n'),
      );
    });
  snapshot
    .command('drop <name>')
    .description('drop a snapshot schema')
    .action(async (name: string) => {
      await dropTableSnapshot(context.db, name);
      context.print({ name, dropped: true }, () => `Dropped table snapshot ${name}.`);
    });
}

function renderTables(snapshot: TableSnapshotInfo): string {
  return snapshot.tables.map((t) => `  ${t.table}: ${t.rows} rows, checksum ${t.checksum}`).join('\n');
}

import type { MigrationMode } from '@safemig/core';
import type { SnapshotChange } from '../snapshot';

/*
 * Turns what the harness saw into what the author should do. The server error numbers are the same on MySQL and
 * MariaDB for every case listed here, except the duplicate foreign key name (MySQL 1826, MariaDB 1005/121).
 */

const ERROR_HINTS: Readonly<Record<number, string>> = {
  1050: 'CREATE TABLE ran again on an existing table: use CREATE TABLE IF NOT EXISTS or check tableExists() first.',
  1060: 'ADD COLUMN ran again on a column that already exists: use addColumn(), which checks columnExists() first.',
  1061: 'ADD INDEX ran again on an index that already exists: use addIndex(), which checks indexExists() first.',
  1062: 'An INSERT ran again on rows that already exist: insert only missing rows (INSERT ... SELECT ... WHERE NOT EXISTS, or INSERT IGNORE on a unique key).',
  1091: 'A DROP ran again on something an earlier run already dropped: use dropColumnIfExists(), dropIndexIfExists() or dropForeignKeyIfExists().',
  1051: 'DROP TABLE ran again on a table an earlier run already dropped: use dropTableIfExists().',
  1054: 'A statement uses a column that an earlier run dropped or renamed: check columnExists() before touching it.',
  1146: 'A statement uses a table that an earlier run dropped or renamed: check tableExists() before touching it.',
  1359: 'CREATE TRIGGER ran again on a trigger that already exists: use createTrigger(), which leaves an identical trigger alone.',
  1360: 'DROP TRIGGER ran again on a trigger an earlier run already dropped: use removeTrigger().',
  1826: 'A foreign key was added again: check foreignKeyExists() first.',
  1005: 'A table or foreign key could not be created (errno 121 means a duplicate foreign key name): check foreignKeyExists() first.',
};

/** What to do about an error thrown on run `run`. */
export function hintsForError(error: unknown, mode: MigrationMode, run: number): string[] {
  if (run === 1) {
    return [
      `The step fails before it is ever repeated: check that \`history\` holds every earlier step its ${mode}() relies on and that \`seed\` inserts valid legacy rows.`,
    ];
  }
  const errno = typeof error === 'object' && error !== null ? Number((error as { errno?: unknown }).errno) : Number.NaN;
  const specific = ERROR_HINTS[errno];
  return [
    specific ??
      `Run 1 succeeded and run ${run} failed, so ${mode}() does not check whether its work is already done: guard every statement with an existence check (the core helpers do) or a WHERE that skips finished rows.`,
  ];
}

/** What to do about the differences found after run `run`, one hint per kind of problem. */
export function hintsForChanges(changes: readonly SnapshotChange[], dateColumns: ReadonlySet<string>): string[] {
  const hints = new Set<string>();
  for (const change of changes) {
    if (
      change.subject === 'rows' &&
      change.property === 'rows' &&
      typeof change.before === 'number' &&
      typeof change.after === 'number'
    ) {
      hints.add(
        change.after > change.before
          ? `Rows were inserted again (${change.table}): insert only rows that are missing (INSERT ... SELECT ... WHERE NOT EXISTS, or INSERT IGNORE on a unique key).`
          : `Rows were deleted again (${change.table}): a repeated DELETE must not match rows that are legitimately there after run 1.`,
      );
    } else if (change.subject === 'values') {
      const column = `${change.table}.${change.name ?? ''}`;
      hints.add(
        dateColumns.has(column)
          ? `${column} is rewritten on every run (e.g. SET ${change.name} = NOW()): only touch rows that still need it (WHERE ${change.name} IS NULL), and never overwrite customized data.`
          : `Values are rewritten on every run (${change.name ? column : change.table}), e.g. SET n = n + 1 or a mapping applied to already mapped values: restrict the UPDATE with a WHERE that only matches rows not yet migrated.`,
      );
    } else if (change.change === 'added' && change.subject === 'index') {
      hints.add(
        'An index was added again under another name: give every index a fixed name and use addIndex(), which checks indexExists() first.',
      );
    } else if (change.change === 'added') {
      hints.add(
        `A ${describe(change.subject)} was created again under another name: use a fixed name and check that it exists first.`,
      );
    } else if (change.change === 'removed') {
      hints.add(
        `A repeated run removed a ${describe(change.subject)} that run 1 left in place: the step undoes its own work; make every branch depend only on the current state.`,
      );
    } else {
      hints.add(
        `A repeated run changed a ${describe(change.subject)} definition again: compare with the current definition before altering it.`,
      );
    }
  }
  return [...hints];
}

function describe(subject: SnapshotChange['subject']): string {
  return subject === 'foreignKey' ? 'foreign key' : subject;
}

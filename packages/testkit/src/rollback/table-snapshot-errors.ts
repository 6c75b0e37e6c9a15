import { SafemigError } from '@safemig/core';

/** Stable codes of the table snapshot errors; branch on these, never on message text. */
export const TABLE_SNAPSHOT_ERROR_CODES = {
  INVALID: 'SAFEMIG_SNAPSHOT_INVALID',
  EXISTS: 'SAFEMIG_SNAPSHOT_EXISTS',
  NOT_FOUND: 'SAFEMIG_SNAPSHOT_NOT_FOUND',
  NO_PRIMARY_KEY: 'SAFEMIG_SNAPSHOT_NO_PRIMARY_KEY',
  CHANGED_WHILE_COPYING: 'SAFEMIG_SNAPSHOT_CHANGED_WHILE_COPYING',
  NOT_VERIFIED: 'SAFEMIG_SNAPSHOT_NOT_VERIFIED',
  UNSUPPORTED_TABLE: 'SAFEMIG_SNAPSHOT_UNSUPPORTED_TABLE',
} as const;

/** A snapshot name or table list that cannot be used; nothing was created or changed. */
export class InvalidTableSnapshotError extends SafemigError {
  constructor(message: string, hint: string) {
    super(TABLE_SNAPSHOT_ERROR_CODES.INVALID, message, { hint });
  }
}

/** A snapshot with this name already exists on the server. */
export class TableSnapshotExistsError extends SafemigError {
  readonly snapshot: string;
  constructor(snapshot: string, schema: string) {
    super(TABLE_SNAPSHOT_ERROR_CODES.EXISTS, `The table snapshot ${snapshot} already exists (schema ${schema}).`, {
      hint: `Choose another --name, or drop the old one first with \`safemig snapshot drop ${snapshot}\` if it is no longer needed.`,
    });
    this.snapshot = snapshot;
  }
}

/** No snapshot schema with this name, or one whose creation never finished (no manifest). */
export class TableSnapshotNotFoundError extends SafemigError {
  readonly snapshot: string;
  constructor(snapshot: string, reason: string) {
    super(TABLE_SNAPSHOT_ERROR_CODES.NOT_FOUND, `The table snapshot ${snapshot} ${reason}.`, {
      hint: '`safemig snapshot list` shows the snapshots of this schema.',
    });
    this.snapshot = snapshot;
  }
}

/** A table without a primary key cannot be copied in keyset batches (and could not be restored row for row). */
export class TableWithoutPrimaryKeyError extends SafemigError {
  readonly table: string;
  constructor(table: string) {
    super(
      TABLE_SNAPSHOT_ERROR_CODES.NO_PRIMARY_KEY,
      `Table ${table} has no primary key, so it cannot be snapshotted.`,
      {
        hint: 'Table snapshots copy rows in keyset batches by primary key (never OFFSET). Add a primary key in an expand step, or take a whole-database backup (mariadb-dump/mysqldump, mariabackup/xtrabackup) instead.',
      },
    );
    this.table = table;
  }
}

/** The live table changed while it was being copied, so the copy matches no moment of the table. */
export class TableChangedWhileCopyingError extends SafemigError {
  readonly table: string;
  constructor(table: string, live: string, copy: string) {
    super(
      TABLE_SNAPSHOT_ERROR_CODES.CHANGED_WHILE_COPYING,
      `Table ${table} changed while it was copied (live checksum ${live}, copy checksum ${copy}); the snapshot was not kept.`,
      {
        hint: 'Stop the writes to the table first (deactivation flag off, maintenance mode, or the application instances that write it), then create the snapshot again.',
      },
    );
    this.table = table;
  }
}

/** A table of a snapshot whose rows no longer match the checksum recorded when it was created. */
export interface SnapshotMismatch {
  readonly table: string;
  readonly expectedRows: number;
  readonly actualRows: number | null;
  readonly expectedChecksum: string;
  /** null when the table is missing from the snapshot schema. */
  readonly actualChecksum: string | null;
}

/**
 * A snapshot (or a restored copy of it) does not verify: a table's checksum differs from the manifest. The snapshot
 * was damaged after it was created and must not be restored.
 */
export class TableSnapshotNotVerifiedError extends SafemigError {
  readonly snapshot: string;
  readonly mismatches: readonly SnapshotMismatch[];
  constructor(snapshot: string, mismatches: readonly SnapshotMismatch[], where = 'the snapshot schema') {
    const lines = mismatches.map(
      (m) =>
        `  - ${m.table}: manifest ${m.expectedRows} rows, checksum ${m.expectedChecksum}; ${where} ${
          m.actualChecksum === null ? 'has no such table' : `${m.actualRows} rows, checksum ${m.actualChecksum}`
        }`,
    );
    super(
      TABLE_SNAPSHOT_ERROR_CODES.NOT_VERIFIED,
      `The table snapshot ${snapshot} does not verify; nothing was restored:\n${lines.join('\n')}`,
      {
        hint: 'Do not restore this snapshot. Use another snapshot (`safemig snapshot list`) or a whole-database backup (mariabackup/xtrabackup, mariadb-dump/mysqldump, a provider snapshot).',
      },
    );
    this.snapshot = snapshot;
    this.mismatches = mismatches;
  }
}

/**
 * A table a snapshot cannot faithfully cover: other tables' foreign keys reference it, it references other tables,
 * or it has triggers. A table snapshot copies structure (`CREATE TABLE ... LIKE`) and rows, and those objects would
 * be lost or point at the wrong table after the swap.
 */
export class UnsupportedSnapshotTableError extends SafemigError {
  readonly table: string;
  readonly blockers: readonly string[];
  constructor(table: string, blockers: readonly string[]) {
    super(
      TABLE_SNAPSHOT_ERROR_CODES.UNSUPPORTED_TABLE,
      `Table ${table} cannot be covered by a table snapshot:\n${blockers.map((b) => `  - ${b}`).join('\n')}`,
      {
        hint: 'A table snapshot does not carry foreign keys or triggers. Drop them (and re-create them after a restore), snapshot the referencing tables too, or use a whole-database backup (see docs/rollback-runbook.md).',
      },
    );
    this.table = table;
    this.blockers = blockers;
  }
}

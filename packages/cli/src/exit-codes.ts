/** Exit codes of the `safemig` command, stable for scripts and CI. */
export const EXIT_CODES = {
  /** Everything ran and every check passed. */
  OK: 0,
  /** A step, check or validation failed; details on stderr. */
  FAILURE: 1,
  /** Bad command line or configuration; nothing was run. */
  USAGE: 2,
  /** Another runner holds the lock (or, for a backfill, every unfinished range); nothing was run. Retry later. */
  LOCKED: 3,
  /** The database could not be reached. */
  CONNECTION: 4,
  /** A backfill stopped before the end (Ctrl-C, SIGTERM, maxErrorRate); `safemig backfill resume` continues it. */
  PAUSED: 5,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

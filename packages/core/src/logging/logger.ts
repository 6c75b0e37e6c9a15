/**
 * The logging surface safemig writes to: a subset of pino's, so a pino logger can be passed as it is.
 *
 * ### Examples
 * ```ts
 * import pino from 'pino';
 * const migrator = new Migrator({ db, source, logger: pino() });
 * ```
 */
export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** A logger that drops everything: the default when none is injected. */
export const SILENT_LOGGER: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

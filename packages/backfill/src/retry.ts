/** Why a failed statement is worth trying again. */
export type RetryReason =
  | 'deadlock'
  | 'lock-wait-timeout'
  | 'statement-timeout'
  /** `KILL QUERY` by an operator or a watchdog (1317): the statement, and with it the batch, is rolled back. */
  | 'query-interrupted'
  | 'connection-lost';

/** Retry settings: exponential backoff with jitter between `minTimeoutMs` and `maxTimeoutMs`. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 10. */
  readonly retries?: number;
  /** Default 50 ms. */
  readonly minTimeoutMs?: number;
  /** Default 5 s. */
  readonly maxTimeoutMs?: number;
}

export const DEFAULT_RETRY_OPTIONS: Required<RetryOptions> = Object.freeze({
  retries: 10,
  minTimeoutMs: 50,
  maxTimeoutMs: 5_000,
});

const CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CLIENT_INTERACTION_TIMEOUT',
]);

/**
 * Classifies a server or driver error: deadlock (1213), lock wait timeout (1205), statement timeout (MariaDB 1969
 * `max_statement_time`, MySQL 3024 `max_execution_time`), interrupted statement (1317, `KILL QUERY`), lost connection
 * (2006, 2013, 4031, mysql2 fatal errors).
 * Anything else is not retried.
 *
 * ### Examples
 * ```ts
 * retryReasonOf(Object.assign(new Error('Deadlock found'), { errno: 1213 })); // 'deadlock'
 * ```
 */
export function retryReasonOf(error: unknown): RetryReason | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { errno, code, fatal } = error as { errno?: unknown; code?: unknown; fatal?: unknown };
  if (errno === 1213 || code === 'ER_LOCK_DEADLOCK') return 'deadlock';
  if (errno === 1205 || code === 'ER_LOCK_WAIT_TIMEOUT') return 'lock-wait-timeout';
  if (errno === 1969 || errno === 3024 || code === 'ER_STATEMENT_TIMEOUT' || code === 'ER_QUERY_TIMEOUT')
    return 'statement-timeout';
  if (errno === 1317 || code === 'ER_QUERY_INTERRUPTED') return 'query-interrupted';
  if (errno === 2006 || errno === 2013 || errno === 4031 || fatal === true) return 'connection-lost';
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'connection-lost';
  if (error instanceof Error && /connection is in closed state|connection lost/i.test(error.message))
    return 'connection-lost';
  return undefined;
}

/** What {@link withRetry} reports before each retry. */
export interface RetryAttempt {
  readonly reason: RetryReason;
  readonly error: Error;
  /** 1 for the first failure. */
  readonly attempt: number;
  readonly retriesLeft: number;
}

/**
 * Runs `work`, retrying it with p-retry (exponential backoff with jitter) when it fails for one of the `reasons`.
 * Other errors, and the last failure when retries are exhausted, are thrown unchanged.
 *
 * ### Examples
 * ```ts
 * await withRetry(() => runBatch(), { reasons: ['deadlock', 'lock-wait-timeout'], onRetry: (a) => log(a.reason) });
 * ```
 */
export async function withRetry<T>(
  work: () => Promise<T>,
  options: RetryOptions & {
    readonly reasons: readonly RetryReason[];
    readonly onRetry?: (attempt: RetryAttempt) => void | Promise<void>;
    readonly signal?: AbortSignal;
  },
): Promise<T> {
  // p-retry is ESM-only: a dynamic import() keeps this CommonJS package loadable (Node >= 20.19 and jest alike).
  const { default: pRetry } = await import('p-retry');
  const settings = { ...DEFAULT_RETRY_OPTIONS, ...definedOnly(options) };
  return pRetry(work, {
    retries: settings.retries,
    factor: 2,
    minTimeout: settings.minTimeoutMs,
    maxTimeout: settings.maxTimeoutMs,
    randomize: true,
    signal: options.signal,
    shouldRetry: ({ error }) => {
      const reason = retryReasonOf(error);
      return reason !== undefined && options.reasons.includes(reason);
    },
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      const reason = retryReasonOf(error);
      if (reason === undefined || !options.reasons.includes(reason) || retriesLeft === 0) return;
      await options.onRetry?.({ reason, error, attempt: attemptNumber, retriesLeft });
    },
  });
}

function definedOnly(options: RetryOptions): Partial<Required<RetryOptions>> {
  const result: Partial<Record<keyof RetryOptions, number>> = {};
  for (const field of ['retries', 'minTimeoutMs', 'maxTimeoutMs'] as const) {
    if (options[field] !== undefined) result[field] = options[field];
  }
  return result;
}

import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { ReplicaLagMonitor } from './replica-lag';

/** When the backfill holds back, so the application and the replicas keep up. */
export interface ThrottleOptions {
  /** Replica URLs (`mysql://user:password@replica:3306`) or database handles whose lag is watched. */
  readonly replicas?: readonly (string | Kysely<any>)[];
  /** Largest replica lag accepted before the next batch. Default 5 s (used only when replicas are configured). */
  readonly maxReplicaLagSeconds?: number;
  /** Largest `Threads_running` of the primary accepted before the next batch. Off by default. */
  readonly maxThreadsRunning?: number;
  /** After each batch, sleep this fraction of its duration (0.5 = at most two thirds of the time busy). Default 0. */
  readonly sleepRatio?: number;
  /** Lag and load are read at most this often between batches. Default 500 ms. */
  readonly checkIntervalMs?: number;
  /** While throttled, wait this long before checking again. Default 1 s. */
  readonly waitMs?: number;
}

/** Why the backfill is waiting. */
export interface ThrottleReason {
  readonly kind: 'replica-lag' | 'threads-running';
  /** Human-readable, e.g. `replica mysql://repl@db2:3306 is 12 s behind (max 5 s)`. */
  readonly message: string;
  readonly value: number | null;
  readonly limit: number;
}

export const DEFAULT_THROTTLE_OPTIONS = Object.freeze({
  maxReplicaLagSeconds: 5,
  sleepRatio: 0,
  checkIntervalMs: 500,
  waitMs: 1_000,
});

/**
 * Decides before each batch whether the backfill may go on: replica lag and `Threads_running` under their limits.
 * While throttled it waits and reports why; limits can be changed while a run is going on with {@link configure}.
 *
 * ### Examples
 * ```ts
 * const throttle = new Throttle(db, { maxThreadsRunning: 25, replicas: ['mysql://repl@db2:3306'] });
 * const reasons = await throttle.check(); // [] when the backfill may go on
 * ```
 */
export class Throttle {
  readonly #db: Kysely<any>;
  #options: ThrottleOptions;
  #monitor: ReplicaLagMonitor | undefined;
  #lastCheck = 0;

  constructor(db: Kysely<any>, options: ThrottleOptions = {}) {
    this.#db = db;
    this.#options = options;
  }

  /** Changes limits for the following checks (a new replica list replaces the old one). */
  configure(options: ThrottleOptions): void {
    if (options.replicas) void this.close();
    this.#options = { ...this.#options, ...options };
  }

  get #active(): boolean {
    return this.#options.maxThreadsRunning !== undefined || (this.#options.replicas?.length ?? 0) > 0;
  }

  /** Every reason to hold back right now (empty: go on). Throws when a configured replica is not a replica. */
  async check(): Promise<ThrottleReason[]> {
    this.#lastCheck = Date.now();
    const reasons: ThrottleReason[] = [];
    const maxThreads = this.#options.maxThreadsRunning;
    if (maxThreads !== undefined) {
      const result = await sql<{ Value: string }>`SHOW GLOBAL STATUS LIKE 'Threads_running'`.execute(this.#db);
      const running = Number(result.rows[0]?.Value ?? 0);
      if (running > maxThreads) {
        reasons.push({
          kind: 'threads-running',
          message: `Threads_running is ${running} (max ${maxThreads})`,
          value: running,
          limit: maxThreads,
        });
      }
    }
    if (this.#options.replicas?.length) {
      this.#monitor ??= new ReplicaLagMonitor(this.#options.replicas);
      const maxLag = this.#options.maxReplicaLagSeconds ?? DEFAULT_THROTTLE_OPTIONS.maxReplicaLagSeconds;
      for (const lag of await this.#monitor.lags()) {
        if (lag.lagSeconds === null) {
          reasons.push({
            kind: 'replica-lag',
            message: `replica ${lag.replica} lag is unknown: ${lag.problem}`,
            value: null,
            limit: maxLag,
          });
        } else if (lag.lagSeconds > maxLag) {
          reasons.push({
            kind: 'replica-lag',
            message: `replica ${lag.replica} is ${lag.lagSeconds} s behind (max ${maxLag} s)`,
            value: lag.lagSeconds,
            limit: maxLag,
          });
        }
      }
    }
    return reasons;
  }

  /**
   * Waits until no limit is exceeded, calling `onThrottled` for every check that said no. Checks at most every
   * `checkIntervalMs`; returns the milliseconds spent waiting. Resolves early when `signal` aborts.
   */
  async waitForClearance(
    onThrottled: (reasons: readonly ThrottleReason[]) => void,
    signal?: AbortSignal,
  ): Promise<number> {
    if (!this.#active) return 0;
    const interval = this.#options.checkIntervalMs ?? DEFAULT_THROTTLE_OPTIONS.checkIntervalMs;
    if (Date.now() - this.#lastCheck < interval) return 0;
    const started = Date.now();
    let throttled = false;
    for (;;) {
      const reasons = await this.check();
      if (reasons.length === 0 || signal?.aborted) return throttled ? Math.max(1, Date.now() - started) : 0;
      throttled = true;
      onThrottled(reasons);
      await sleep(this.#options.waitMs ?? DEFAULT_THROTTLE_OPTIONS.waitMs, undefined, { signal }).catch(
        () => undefined,
      );
    }
  }

  /** The pause after a batch that took `batchMs`, from `sleepRatio`. */
  async pauseAfterBatch(batchMs: number, signal?: AbortSignal): Promise<void> {
    const ratio = this.#options.sleepRatio ?? DEFAULT_THROTTLE_OPTIONS.sleepRatio;
    if (ratio > 0 && !signal?.aborted)
      await sleep(Math.round(batchMs * ratio), undefined, { signal }).catch(() => undefined);
  }

  /** Closes the replica connections this throttle opened (they are opened again by the next check). */
  async close(): Promise<void> {
    const monitor = this.#monitor;
    this.#monitor = undefined;
    await monitor?.close();
  }
}

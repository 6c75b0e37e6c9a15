import type { Kysely } from 'kysely';
import type { FlagState } from './flag-state';
import { listFlags } from './flag-store';

/** How long a {@link FlagReader} serves flags from memory before it reads the table again. */
export const DEFAULT_FLAG_TTL_MS = 2_000;

export interface FlagReaderOptions {
  /** Cache lifetime in milliseconds; 0 reads the table on every call. */
  readonly ttlMs?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

/** Flag states for the data layer's hot path: one query per TTL for all flags. */
export interface FlagReader {
  /** The flag's state; a flag that was never set is `off`. */
  state(name: string): Promise<FlagState>;
  /** Forget the cache, so the next call reads the table. */
  refresh(): void;
}

/**
 * A cached reader of every flag. A change made with `setFlag` reaches each instance within `ttlMs`, which is why a
 * rollout waits at least that long (plus the longest request) between off -> dual -> new.
 *
 * ### Examples
 * ```ts
 * const flags = createFlagReader(db, { ttlMs: 2000 });
 * const mode = await flags.state('external_order_status'); // 'off' | 'dual' | 'new'
 * ```
 */
export function createFlagReader(db: Kysely<any>, options: FlagReaderOptions = {}): FlagReader {
  const ttlMs = options.ttlMs ?? DEFAULT_FLAG_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new TypeError(`ttlMs must be a non-negative number, got ${ttlMs}`);
  const now = options.now ?? Date.now;
  let cache: { readonly loadedAt: number; readonly states: Promise<ReadonlyMap<string, FlagState>> } | undefined;
  const load = () => {
    const states = listFlags(db).then((flags) => new Map(flags.map((flag) => [flag.name, flag.state] as const)));
    const entry = { loadedAt: now(), states };
    // A failed read is not cached: the next call tries again, and this caller sees the error.
    states.catch(() => {
      if (cache === entry) cache = undefined;
    });
    cache = entry;
    return states;
  };
  return {
    async state(name) {
      const states = cache && now() - cache.loadedAt < ttlMs ? cache.states : load();
      return (await states).get(name) ?? 'off';
    },
    refresh() {
      cache = undefined;
    },
  };
}

import { addCounters, ZERO_COUNTERS, type BackfillCounters } from './checkpoint-store';
import type { RunProgress } from './backfill-events';

/**
 * Sums a run's counters and turns them into a rate and an ETA. The ETA comes from the cursor's position in the
 * key space of the range being processed: (time spent) x (share left) / (share done in this run).
 */
export class ProgressTracker {
  readonly #started = Date.now();
  #totals: BackfillCounters = ZERO_COUNTERS;
  #longestBatchMs = 0;
  #throttledMs = 0;
  #lastLog = 0;

  get totals(): BackfillCounters {
    return this.#totals;
  }

  get longestBatchMs(): number {
    return this.#longestBatchMs;
  }

  get throttledMs(): number {
    return this.#throttledMs;
  }

  get elapsedMs(): number {
    return Date.now() - this.#started;
  }

  add(delta: Partial<BackfillCounters>, batchMs?: number): void {
    this.#totals = addCounters(this.#totals, delta);
    if (batchMs !== undefined) this.#longestBatchMs = Math.max(this.#longestBatchMs, batchMs);
  }

  addThrottled(ms: number): void {
    this.#throttledMs += ms;
  }

  rowsPerSecond(): number {
    const seconds = this.elapsedMs / 1000;
    return seconds > 0 ? Math.round(this.#totals.processed / seconds) : 0;
  }

  /**
   * @param fraction share of the range behind the cursor now
   * @param startFraction share behind the cursor when this run claimed the range
   * @param rangeElapsedMs time since the range was claimed
   */
  progress(fraction: number | undefined, startFraction: number | undefined, rangeElapsedMs: number): RunProgress {
    let etaSeconds: number | null = null;
    if (fraction !== undefined && startFraction !== undefined && fraction > startFraction) {
      etaSeconds = Math.round(((rangeElapsedMs / 1000) * (1 - fraction)) / (fraction - startFraction));
    }
    return { totals: this.#totals, rowsPerSecond: this.rowsPerSecond(), fraction: fraction ?? null, etaSeconds };
  }

  /** True at most once per `intervalMs`: when an info log line is due. */
  logDue(intervalMs: number): boolean {
    const now = Date.now();
    if (now - this.#lastLog < intervalMs) return false;
    this.#lastLog = now;
    return true;
  }
}

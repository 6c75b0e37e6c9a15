import { BatchSizer, estimateRowBytes } from './batch-sizer';

const options = { initial: 1_000, min: 100, max: 10_000, targetMs: 100, maxMemoryBytes: 64 * 2 ** 20 };

describe('BatchSizer', () => {
  it('grows by at most 1.5x per batch while batches are faster than the target', () => {
    const sizer = new BatchSizer(options);
    sizer.record(1_000, 10);
    expect(sizer.size).toBe(1_500);
    sizer.record(1_500, 15);
    expect(sizer.size).toBe(2_250);
  });

  it('shrinks at once to the target when a batch is slow, and stays within the bounds', () => {
    const sizer = new BatchSizer(options);
    sizer.record(1_000, 400);
    expect(sizer.size).toBe(250);
    sizer.record(250, 10_000);
    expect(sizer.size).toBe(100);
    const fast = new BatchSizer({ ...options, initial: 9_000 });
    fast.record(9_000, 1);
    expect(fast.size).toBe(10_000);
  });

  it('remembers slow batches: one fast batch after a slow one does not jump back up', () => {
    const sizer = new BatchSizer(options);
    sizer.record(1_000, 200);
    expect(sizer.size).toBe(500);
    sizer.record(500, 10);
    // The average still carries the slow batch: 100 ms / (0.7 * 0.2 + 0.3 * 0.02 ms per row).
    expect(sizer.size).toBe(685);
  });

  it('ignores short batches at the end of a range, halves after a retry, and caps by memory', () => {
    const sizer = new BatchSizer(options);
    sizer.record(10, 1);
    expect(sizer.size).toBe(1_000);
    sizer.shrink();
    expect(sizer.size).toBe(500);
    const small = new BatchSizer({ ...options, maxMemoryBytes: 300_000 });
    small.record(100, 50, 100 * 1_000);
    // 1,000 estimated bytes per row x 3 (object overhead) = 3 KB per row: 100 rows fit in 300 KB.
    expect(small.size).toBe(100);
  });

  it('estimates row memory from its values', () => {
    expect(estimateRowBytes({ a: 'abcd', b: Buffer.alloc(16), c: null, d: 1 })).toBe(4 * 48 + 8 + 16);
  });
});

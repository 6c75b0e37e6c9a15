import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..', '..');
/** The scripts that run as separate processes (they load the compiled packages, like a deployed worker). */
export const FIXTURES = join(__dirname, '..', 'fixtures');

/**
 * Compiles the packages the child processes load. Test files run in parallel jest workers, so the build holds a
 * directory lock: two `tsc -b` writing the same dist files at once could hand a child a half-written file.
 */
export async function buildPackages(): Promise<void> {
  const lock = join(ROOT, 'node_modules', '.safemig-reliability-build.lock');
  for (let attempt = 0; ; attempt += 1) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 1_200) throw error;
      await sleep(100);
    }
  }
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/backfill'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  } finally {
    rmdirSync(lock);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value; fails after `timeoutMs` naming what it waited for. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

/** A child node process whose stdout is read line by line. */
export interface ChildScript {
  readonly child: ChildProcess;
  readonly lines: readonly string[];
  /** Resolves with the signal (or exit code) the process ended with. */
  readonly exited: Promise<NodeJS.Signals | number | null>;
  /** Resolves with the first line (counting from the start) that matches, or rejects if the process exits first. */
  line(pattern: RegExp, count?: number): Promise<string>;
  /** Everything the child wrote to stderr. */
  stderr(): string;
}

export function startScript(script: string, env: Record<string, string>): ChildScript {
  const child = spawn(process.execPath, [join(FIXTURES, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  const waiters: { pattern: RegExp; count: number; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const matching = lines.filter((line) => waiter.pattern.test(line));
      if (matching.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(matching[waiter.count - 1] as string);
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    check();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('close', (code, signal) => {
      check();
      for (const waiter of waiters.splice(0))
        waiter.reject(new Error(`${script} ended (${signal ?? code}) before printing ${waiter.pattern}: ${stderr}`));
      resolve(signal ?? code);
    }),
  );
  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    line: (pattern, count = 1) =>
      new Promise<string>((resolve, reject) => {
        waiters.push({ pattern, count, resolve, reject });
        check();
        if (child.exitCode !== null || child.signalCode !== null) {
          const index = waiters.findIndex((waiter) => waiter.pattern === pattern);
          if (index >= 0) {
            waiters.splice(index, 1);
            reject(new Error(`${script} already ended before printing ${pattern}: ${stderr}`));
          }
        }
      }),
  };
}

/** A small seeded PRNG (mulberry32): the same seed gives the same kill moments. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

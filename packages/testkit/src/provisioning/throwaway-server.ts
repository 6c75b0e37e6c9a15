import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parseDatabaseConfig, type DatabaseConfig, type ServerFlavor } from '@safemig/core';
import { TestServerError } from '../errors';
import { waitUntilAnswers } from './test-server';

/** Directories searched after PATH: Debian/Ubuntu and most distributions install the server daemon in sbin. */
export const DEFAULT_SERVER_BINARY_DIRECTORIES: readonly string[] = [
  '/usr/sbin',
  '/usr/local/sbin',
  '/usr/local/mysql/bin',
];

/** Prefix of the temporary directory holding a throwaway server's datadir, socket and log. */
export const THROWAWAY_DIRECTORY_PREFIX = 'safemig-server-';

const SERVER_NAMES = ['mariadbd', 'mysqld'] as const;
const MARIADB_INSTALLERS = ['mariadb-install-db', 'mysql_install_db'] as const;

export interface ServerBinary {
  readonly path: string;
  readonly flavor: ServerFlavor;
  /** `mariadbd --version` output. */
  readonly version: string;
}

export interface FindServerBinaryOptions {
  /** PATH to search; defaults to `process.env.PATH`. */
  readonly path?: string;
  /** Searched after PATH; defaults to {@link DEFAULT_SERVER_BINARY_DIRECTORIES}. */
  readonly directories?: readonly string[];
}

/** The first `mariadbd` or `mysqld` on PATH or in the sbin directories, or undefined. */
export function findServerBinary(options: FindServerBinaryOptions = {}): ServerBinary | undefined {
  const directories = [
    ...(options.path ?? process.env.PATH ?? '').split(delimiter).filter(Boolean),
    ...(options.directories ?? DEFAULT_SERVER_BINARY_DIRECTORIES),
  ];
  for (const directory of directories) {
    for (const name of SERVER_NAMES) {
      const candidate = join(directory, name);
      if (!isExecutable(candidate)) continue;
      try {
        const version = execFileSync(candidate, ['--version'], { encoding: 'utf8', timeout: 5_000 }).trim();
        return { path: candidate, flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql', version };
      } catch {
        // Not a working server binary (wrong architecture, broken install): keep looking.
      }
    }
  }
  return undefined;
}

export interface ThrowawayServerOptions extends FindServerBinaryOptions {
  /** How long the server may take to answer after start; default 30 s. */
  readonly startTimeoutMs?: number;
  /**
   * More server options, appended after the defaults (the later of two options wins), e.g.
   * `['--server-id=2', '--log-bin', '--gtid-strict-mode=1']` for one side of a replication pair.
   */
  readonly serverArguments?: readonly string[];
}

/**
 * A MariaDB or MySQL server started from the binaries on this machine, in a temporary datadir on a free port,
 * reachable as root without a password on 127.0.0.1. `stop()` shuts it down and deletes the directory; if the
 * process exits first, an exit hook kills the server and deletes the directory.
 *
 * ### Examples
 * ```ts
 * const server = await startThrowawayServer();
 * try {
 *   const db = createDatabase(server.config.withDatabase(undefined));
 *   // ...
 * } finally {
 *   await server.stop();
 * }
 * ```
 */
export interface ThrowawayServer {
  readonly binary: ServerBinary;
  readonly config: DatabaseConfig;
  readonly port: number;
  /** The temporary directory (datadir, socket, log); gone after `stop()`. */
  readonly directory: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts a throwaway server, or throws a {@link TestServerError} with the end of the server's log. */
export async function startThrowawayServer(options: ThrowawayServerOptions = {}): Promise<ThrowawayServer> {
  const binary = findServerBinary(options);
  if (!binary) {
    throw new TestServerError(
      `No mariadbd or mysqld found on PATH or in ${(options.directories ?? DEFAULT_SERVER_BINARY_DIRECTORIES).join(', ')}.`,
    );
  }
  const directory = mkdtempSync(join(tmpdir(), THROWAWAY_DIRECTORY_PREFIX));
  const removeDirectory = () => rmSync(directory, { recursive: true, force: true });
  const datadir = join(directory, 'data');
  const errorLog = join(directory, 'error.log');
  const asRoot = process.getuid?.() === 0;
  let child: ChildProcess | undefined;
  let exitHook: (() => void) | undefined;
  try {
    await initializeDatadir(binary, datadir, errorLog, asRoot, options.path);
    const port = await freePort();
    const args = [
      ...serverArguments(binary, { datadir, directory, errorLog, port, asRoot }),
      ...(options.serverArguments ?? []),
    ];
    child = spawn(binary.path, args, {
      stdio: 'ignore',
      detached: false,
    });
    // The test process must be able to exit while the server runs; the exit hook below cleans up.
    child.unref();
    const started = child;
    let exited: string | undefined;
    started.once('exit', (code, signal) => {
      exited = `the server exited during start (${signal ?? `code ${code}`})`;
    });
    started.once('error', (error) => {
      exited = `the server could not be started: ${error.message}`;
    });
    exitHook = () => {
      started.kill('SIGKILL');
      removeDirectory();
    };
    process.once('exit', exitHook);
    const config = parseDatabaseConfig({ host: '127.0.0.1', port, user: 'root' });
    const version = await waitUntilAnswers(config, options.startTimeoutMs ?? 30_000, () => exited);
    const hook = exitHook;
    let stopping: Promise<void> | undefined;
    return {
      binary: { ...binary, version },
      config,
      port,
      directory,
      pid: started.pid ?? -1,
      stop: () =>
        (stopping ??= stopProcess(started).then(async () => {
          process.removeListener('exit', hook);
          await rm(directory, { recursive: true, force: true });
        })),
    };
  } catch (error) {
    const log = tail(errorLog);
    if (child) await stopProcess(child).catch(() => undefined);
    if (exitHook) process.removeListener('exit', exitHook);
    removeDirectory();
    throw new TestServerError(
      `The throwaway server ${binary.path} (${binary.version}) did not start: ${(error as Error).message}${log ? `\n  server log:\n${log}` : ''}`,
      { cause: error },
    );
  }
}

async function initializeDatadir(
  binary: ServerBinary,
  datadir: string,
  errorLog: string,
  asRoot: boolean,
  path: string | undefined,
): Promise<void> {
  const user = asRoot ? ['--user=root'] : [];
  if (binary.flavor === 'mariadb') {
    const installer = findInstaller(binary, path);
    await run(installer, [
      '--no-defaults',
      `--datadir=${datadir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...user,
    ]);
  } else {
    await run(binary.path, [
      '--no-defaults',
      '--initialize-insecure',
      `--datadir=${datadir}`,
      `--log-error=${errorLog}`,
      ...user,
    ]);
  }
}

function serverArguments(
  binary: ServerBinary,
  paths: { datadir: string; directory: string; errorLog: string; port: number; asRoot: boolean },
): string[] {
  const common = [
    '--no-defaults',
    `--datadir=${paths.datadir}`,
    `--port=${paths.port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(paths.directory, 'server.sock')}`,
    `--pid-file=${join(paths.directory, 'server.pid')}`,
    `--log-error=${paths.errorLog}`,
    `--tmpdir=${paths.directory}`,
    '--innodb-buffer-pool-size=64M',
    '--innodb-buffer-pool-dump-at-shutdown=0',
    '--innodb-buffer-pool-load-at-startup=0',
    '--character-set-server=utf8mb4',
    '--skip-log-bin',
    ...(paths.asRoot ? ['--user=root'] : []),
  ];
  // MySQL would also open the X protocol port 33060, which collides between parallel workers.
  return binary.flavor === 'mysql' ? [...common, '--mysqlx=OFF'] : common;
}

function findInstaller(binary: ServerBinary, path: string | undefined): string {
  const directories = [
    dirname(binary.path),
    join(dirname(binary.path), '..', 'bin'),
    join(dirname(binary.path), '..', 'scripts'),
    ...(path ?? process.env.PATH ?? '').split(delimiter).filter(Boolean),
    '/usr/bin',
    '/usr/local/bin',
  ];
  for (const directory of directories) {
    for (const name of MARIADB_INSTALLERS) {
      const candidate = join(directory, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  throw new Error(`found ${binary.path}, but no mariadb-install-db next to it or on PATH to initialize a datadir`);
}

function run(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} failed: ${error.message}\n${tailOf(`${stdout}\n${stderr}`)}`));
      else resolve();
    });
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A port the OS just handed out, released again so the server can bind it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the OS handed out no port'))));
    });
  });
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string): string {
  return existsSync(file) ? tailOf(readFileSync(file, 'utf8')) : '';
}

function tailOf(text: string): string {
  return text
    .trim()
    .split('\n')
    .slice(-12)
    .map((line) => `    ${line}`)
    .join('\n');
}

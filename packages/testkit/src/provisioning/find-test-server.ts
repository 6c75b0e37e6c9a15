import { parseDatabaseConfig, redactUrl, type DatabaseConfig } from '@safemig/core';
import { NoTestServerError, TestServerError, type ServerAttempt } from '../errors';
import { containerRuntimeUnavailable, DEFAULT_TEST_IMAGE, startContainerServer } from './container-server';
import {
  DEFAULT_LOCAL_TEST_SERVER_URL,
  probeServer,
  TEST_SERVER_KINDS,
  type TestServerKind,
  type TestServerLease,
} from './test-server';
import { DEFAULT_SERVER_BINARY_DIRECTORIES, findServerBinary, startThrowawayServer } from './throwaway-server';

export interface FindTestServerOptions {
  /**
   * Which of the four options may be used; they are always tried in the documented order. Defaults to the
   * comma-separated `SAFEMIG_TEST_SERVER` (e.g. `throwaway`), else all four.
   */
  readonly servers?: readonly TestServerKind[];
  /** The environment to read `SAFEMIG_TEST_DATABASE_URL`, `DATABASE_URL`, `SAFEMIG_TEST_SERVER`, `SAFEMIG_TEST_IMAGE` and `PATH` from. */
  readonly env?: NodeJS.ProcessEnv;
  /** The local default; `mysql://root@127.0.0.1:3306` unless changed. */
  readonly localUrl?: string;
  /** Where to look for mariadbd/mysqld after PATH. */
  readonly binaryDirectories?: readonly string[];
  /** Told once per process which started server is used (container, throwaway). Defaults to a line on stderr. */
  readonly report?: (message: string) => void;
}

interface StartedServer {
  readonly config: DatabaseConfig;
  readonly description: string;
  stop(): Promise<void>;
}

/** Servers this process started, shared by every test database of the process (one jest worker). */
const started = new Map<string, { server: Promise<StartedServer>; users: number }>();
const reported = new Set<string>();

/**
 * Finds a server for test databases: `SAFEMIG_TEST_DATABASE_URL`/`DATABASE_URL`, then the local default, then
 * testcontainers, then a throwaway server from PATH. Fails with ONE {@link NoTestServerError} listing all four.
 *
 * An explicitly configured URL that does not answer fails loudly (a {@link TestServerError} naming it) instead of
 * silently testing against another server than the one asked for.
 */
export async function findTestServer(options: FindTestServerOptions = {}): Promise<TestServerLease> {
  const env = options.env ?? process.env;
  const allowed = options.servers ?? serversFromEnv(env.SAFEMIG_TEST_SERVER);
  const attempts: ServerAttempt[] = [];
  for (const kind of TEST_SERVER_KINDS) {
    if (!allowed.includes(kind)) {
      const by = options.servers ? '' : ' by SAFEMIG_TEST_SERVER';
      attempts.push({ option: OPTION_NAMES[kind], outcome: `not tried (only ${allowed.join(', ')} allowed${by})` });
      continue;
    }
    const found = await TRIES[kind](env, options);
    if (typeof found !== 'string') return found;
    attempts.push({ option: kind === 'local' ? localOptionName(options) : OPTION_NAMES[kind], outcome: found });
  }
  throw new NoTestServerError(attempts);
}

/** Each option either provides a server or says why it did not. */
type Try = (env: NodeJS.ProcessEnv, options: FindTestServerOptions) => Promise<TestServerLease | string>;

const TRIES: Readonly<Record<TestServerKind, Try>> = {
  async env(env) {
    const variable = env.SAFEMIG_TEST_DATABASE_URL
      ? 'SAFEMIG_TEST_DATABASE_URL'
      : env.DATABASE_URL
        ? 'DATABASE_URL'
        : undefined;
    if (!variable) return 'not set';
    const config = serverConfig(env[variable]!, variable);
    try {
      const version = await probeServer(config, config.connectTimeoutMs);
      return lease('env', `${variable} (${config.redactedUrl}, ${version})`, config);
    } catch (error) {
      throw new TestServerError(
        `${variable}=${config.redactedUrl} does not answer: ${redactUrl((error as Error).message)}`,
        {
          cause: error,
          hint: `It is set explicitly, so the tests do not fall back to another server. Start that server, fix the URL, or unset ${variable} to let the testkit find one.`,
        },
      );
    }
  },

  async local(_env, options) {
    const config = serverConfig(options.localUrl ?? DEFAULT_LOCAL_TEST_SERVER_URL, 'local URL');
    try {
      const version = await probeServer(config, 1_000);
      return lease('local', `the local server ${config.redactedUrl} (${version})`, config);
    } catch (error) {
      return `does not answer (${redactUrl((error as Error).message)})`;
    }
  },

  async container(env, options) {
    const unavailable = await containerRuntimeUnavailable();
    if (unavailable) return unavailable;
    const image = env.SAFEMIG_TEST_IMAGE || DEFAULT_TEST_IMAGE;
    try {
      return await shared('container', `container:${image}`, options.report, async () => {
        const server = await startContainerServer(image);
        const where = `${server.config.host}:${server.config.port}`;
        return {
          config: server.config,
          description: `a testcontainers container ${image} on ${where}`,
          stop: server.stop,
        };
      });
    } catch (error) {
      return (error as Error).message;
    }
  },

  async throwaway(env, options) {
    const path = env.PATH ?? '';
    const directories = options.binaryDirectories ?? DEFAULT_SERVER_BINARY_DIRECTORIES;
    const binary = findServerBinary({ path, directories });
    if (!binary) return `no mariadbd or mysqld on PATH or in ${directories.join(', ') || '(no other directories)'}`;
    try {
      return await shared('throwaway', `throwaway:${binary.path}`, options.report, async () => {
        const server = await startThrowawayServer({ path, directories });
        const where = `127.0.0.1:${server.port}, datadir in ${server.directory}`;
        return {
          config: server.config,
          description: `a throwaway ${server.binary.path} (${server.binary.version}) on ${where}`,
          stop: server.stop,
        };
      });
    } catch (error) {
      return (error as Error).message;
    }
  },
};

function localOptionName(options: FindTestServerOptions): string {
  const url = options.localUrl ?? DEFAULT_LOCAL_TEST_SERVER_URL;
  try {
    return `the local server ${parseDatabaseConfig(url).withDatabase(undefined).redactedUrl}`;
  } catch {
    return OPTION_NAMES.local;
  }
}

const OPTION_NAMES: Readonly<Record<TestServerKind, string>> = {
  env: 'SAFEMIG_TEST_DATABASE_URL / DATABASE_URL',
  local: `the local server ${DEFAULT_LOCAL_TEST_SERVER_URL}`,
  container: 'testcontainers (SAFEMIG_TEST_IMAGE, default mysql:8.0)',
  throwaway: 'a throwaway mariadbd/mysqld from PATH',
};

function serversFromEnv(value: string | undefined): readonly TestServerKind[] {
  if (!value?.trim()) return TEST_SERVER_KINDS;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(TEST_SERVER_KINDS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new TestServerError(`SAFEMIG_TEST_SERVER=${value} names unknown option(s) ${unknown.join(', ')}.`, {
      hint: `Use a comma-separated list of ${TEST_SERVER_KINDS.join(', ')}.`,
    });
  }
  return names as TestServerKind[];
}

function serverConfig(url: string, source: string): DatabaseConfig {
  try {
    return parseDatabaseConfig(url).withDatabase(undefined);
  } catch (error) {
    throw new TestServerError(`${source} is not a usable database URL: ${(error as Error).message}`, { cause: error });
  }
}

function lease(kind: TestServerKind, description: string, config: DatabaseConfig): TestServerLease {
  return { kind, description, config, release: async () => undefined };
}

/** The process-wide server for `key`, started on first use and stopped when its last user releases it. */
async function shared(
  kind: 'container' | 'throwaway',
  key: string,
  report: ((message: string) => void) | undefined,
  start: () => Promise<StartedServer>,
): Promise<TestServerLease> {
  let entry = started.get(key);
  if (!entry) {
    entry = { server: start(), users: 0 };
    started.set(key, entry);
    entry.server.catch(() => started.delete(key));
  }
  entry.users++;
  let server: StartedServer;
  try {
    server = await entry.server;
  } catch (error) {
    entry.users--;
    throw error;
  }
  if (!reported.has(key)) {
    reported.add(key);
    (report ?? defaultReport)(`safemig testkit: using ${server.description}`);
  }
  const current = entry;
  let released = false;
  return {
    kind,
    description: server.description,
    config: server.config,
    release: async () => {
      if (released) return;
      released = true;
      current.users--;
      if (current.users === 0 && started.get(key) === current) {
        started.delete(key);
        reported.delete(key);
        await server.stop();
      }
    },
  };
}

function defaultReport(message: string): void {
  process.stderr.write(`${message}\n`);
}

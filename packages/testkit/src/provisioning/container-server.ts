import { createRequire } from 'node:module';
import { parseDatabaseConfig, type DatabaseConfig } from '@safemig/core';
import { TestServerError } from '../errors';
import { waitUntilAnswers } from './test-server';

/** The image started when `SAFEMIG_TEST_IMAGE` is not set. */
export const DEFAULT_TEST_IMAGE = 'mysql:8.0';

/** How long the runtime check may take before the container option is skipped. */
const RUNTIME_CHECK_TIMEOUT_MS = 3_000;

/** The root password of a test container; it only ever listens on a mapped local port. */
const CONTAINER_ROOT_PASSWORD = 'safemig';

export interface ContainerServer {
  readonly image: string;
  readonly config: DatabaseConfig;
  stop(): Promise<void>;
}

/**
 * Why no container runtime can be used, or undefined when one answers. Cheap: testcontainers' own runtime lookup,
 * bounded by a short timeout. testcontainers is loaded here, on first use, so ordinary test runs never load it.
 */
export async function containerRuntimeUnavailable(timeoutMs = RUNTIME_CHECK_TIMEOUT_MS): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const { getContainerRuntimeClient } = loadTestcontainers();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return undefined;
  } catch (error) {
    return `no container runtime (${(error as Error).message})`;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts `image` (a MySQL or MariaDB image; both accept the `MYSQL_*` variables @testcontainers/mysql sets) and
 * waits until it answers as root. testcontainers' reaper removes the container if this process dies.
 *
 * ### Examples
 * ```ts
 * const server = await startContainerServer('mariadb:10.11');
 * // ... createDatabase(server.config) ...
 * await server.stop();
 * ```
 */
export async function startContainerServer(image: string): Promise<ContainerServer> {
  const { MySqlContainer } = loadMysqlModule();
  let started;
  try {
    started = await new MySqlContainer(image).withRootPassword(CONTAINER_ROOT_PASSWORD).withDatabase('safemig').start();
  } catch (error) {
    throw new TestServerError(`The test container ${image} did not start: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const container = started;
  const config = parseDatabaseConfig({
    host: container.getHost(),
    port: container.getPort(),
    user: 'root',
    password: CONTAINER_ROOT_PASSWORD,
  });
  try {
    await waitUntilAnswers(config, 60_000, () => undefined);
  } catch (error) {
    await container.stop().catch(() => undefined);
    throw new TestServerError(`The test container ${image} started but does not answer: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    image,
    config,
    stop: async () => {
      await container.stop();
    },
  };
}

type MysqlModule = typeof import('@testcontainers/mysql');

interface TestcontainersModule {
  getContainerRuntimeClient(): Promise<unknown>;
}

function loadMysqlModule(): MysqlModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@testcontainers/mysql') as MysqlModule;
}

/** testcontainers itself, resolved through @testcontainers/mysql, whose dependency it is. */
function loadTestcontainers(): TestcontainersModule {
  const requireFromMysql = createRequire(require.resolve('@testcontainers/mysql'));
  return requireFromMysql('testcontainers') as TestcontainersModule;
}

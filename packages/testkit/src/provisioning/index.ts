export {
  containerRuntimeUnavailable,
  DEFAULT_TEST_IMAGE,
  startContainerServer,
  type ContainerServer,
} from './container-server';
export {
  createTestDatabase,
  TEST_SCHEMA_PREFIX,
  type CreateTestDatabaseOptions,
  type TestDatabase,
} from './create-test-database';
export { findTestServer, type FindTestServerOptions } from './find-test-server';
export {
  DEFAULT_LOCAL_TEST_SERVER_URL,
  TEST_SERVER_KINDS,
  type TestServerInfo,
  type TestServerKind,
  type TestServerLease,
} from './test-server';
export {
  DEFAULT_SERVER_BINARY_DIRECTORIES,
  findServerBinary,
  startThrowawayServer,
  THROWAWAY_DIRECTORY_PREFIX,
  type FindServerBinaryOptions,
  type ServerBinary,
  type ThrowawayServer,
  type ThrowawayServerOptions,
} from './throwaway-server';
export { currentTestDatabase } from './current-test-database';
export { useTestDatabase, type TestDatabaseHandle, type UseTestDatabaseOptions } from './use-test-database';

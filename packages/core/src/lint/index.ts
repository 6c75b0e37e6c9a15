export * from './expected-locking';
export * from './lint-finding';
export * from './lint-rules';
export * from './linter';
export * from './schema-snapshot';

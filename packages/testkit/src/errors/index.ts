export * from './backward-compatibility-error';
export * from './idempotency-error';
export * from './test-server-errors';
export * from './testkit-error-codes';

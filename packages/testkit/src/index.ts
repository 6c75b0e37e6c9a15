export * from './errors';
export * from './harness';
export * from './matchers';
export * from './provisioning';
export * from './rollback';
export * from './snapshot';

export * from './migration-errors';
export * from './rollout-errors';
export * from './safemig-error';

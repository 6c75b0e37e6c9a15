export * from './compat-plans';
export * from './normalized-fields-backfill';
export * from './rollout-names';
export * from './run-rollout';

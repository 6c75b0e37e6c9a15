export * from './plan-file';
export * from './plan-markdown';
export * from './rollout-plan';

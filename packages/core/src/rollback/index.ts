export * from './execute-rollback';
export * from './rollback-errors';
export * from './rollback-plan';

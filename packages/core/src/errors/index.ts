export * from './migration-errors';
export * from './safemig-error';

export * from './create-database';
export * from './database-options';
export * from './server-info';
export * from './server-dialect';

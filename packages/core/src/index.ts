export * from './database';
export * from './errors';
export * from './logging';
export * from './migration';
export * from './schema';
export * from './sql';

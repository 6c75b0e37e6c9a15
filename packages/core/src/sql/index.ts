export * from './identifier';
export * from './sql-fragment';

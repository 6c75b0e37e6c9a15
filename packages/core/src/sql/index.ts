export * from './identifier';
export * from './sql-expression';
export * from './sql-fragment';

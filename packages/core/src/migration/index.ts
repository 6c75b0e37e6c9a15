export * from './migration-source';
export * from './migration-step';
export * from './migration-table';
export * from './migrator';
export * from './named-lock';

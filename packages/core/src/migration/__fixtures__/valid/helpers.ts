// Not a migration: files that do not start with "Migration" are ignored by MigrationSource.fromDirectory().
export const FIXTURE = true;

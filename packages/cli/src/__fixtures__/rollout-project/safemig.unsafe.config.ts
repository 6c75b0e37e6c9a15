import { MigrationSource } from '@safemig/core';
import { defineConfig } from '../../config/safemig-config';
import { Migration1700000000ExternalOrder } from './migrations/Migration1700000000ExternalOrder';
import { Migration1700000100DropInUpdate } from './unsafe/Migration1700000100DropInUpdate';

export const config = defineConfig({
  migrations: {
    source: MigrationSource.fromClasses([Migration1700000000ExternalOrder, Migration1700000100DropInUpdate]),
  },
});

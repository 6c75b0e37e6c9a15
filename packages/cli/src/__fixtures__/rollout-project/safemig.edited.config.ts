import { MigrationSource } from '@safemig/core';
import { defineConfig } from '../../config/safemig-config';
import { Migration1700000300DropLegacyStatus } from './edited/Migration1700000300DropLegacyStatus';
import { Migration1700000000ExternalOrder } from './migrations/Migration1700000000ExternalOrder';
import { Migration1700000100AddStatus } from './migrations/Migration1700000100AddStatus';

/** The same plugin after someone edited the contract step: `plan --check` must notice. */
export const config = defineConfig({
  migrations: {
    source: MigrationSource.fromClasses(
      [Migration1700000000ExternalOrder, Migration1700000100AddStatus, Migration1700000300DropLegacyStatus],
      { namespace: 'ExternalOrders\\Migration' },
    ),
  },
});

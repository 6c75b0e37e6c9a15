import { defineConfig } from '../../config/safemig-config';

export const config = defineConfig({
  migrations: { directory: 'migrations', namespace: 'ExternalOrders\\Migration', lockTimeoutSeconds: 5 },
  rollback: { flags: ['external_order_status'] },
});

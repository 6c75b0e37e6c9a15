import { defineConfig } from '@safemig/cli';
import { contractPlan, legacyDataPlan, normalizedFieldsBackfill, NORMALIZED_WRITES_FLAG } from './rollout';
import { ensureSalesChannelTable } from './seed';

/**
 * The ExternalOrders plugin's safemig configuration. Paths are relative to this file: compiled, it sits in dist/ next
 * to dist/Migration. Run the commands from examples/external-orders with `--config dist/safemig.config.js`.
 */
export const config = defineConfig({
  migrations: { directory: 'Migration', namespace: 'ExternalOrders\\Migration', lockTimeoutSeconds: 30 },
  backfills: { definitions: [normalizedFieldsBackfill], lockWaitTimeoutSeconds: 2 },
  compat: { plans: [legacyDataPlan, contractPlan] },
  rollback: { flags: [NORMALIZED_WRITES_FLAG] },
  // The plugin's steps build on Shopware's sales_channel table; the linter's scratch schema gets a stand-in first.
  lint: { hostSchema: ensureSalesChannelTable },
  validation: {
    // Orders leave external_order only through the contract plan's quarantine; nothing may appear from nowhere.
    expectedDeltas: { external_order: { rows: [-100_000, 0] } },
    smoke: [
      {
        name: 'paid orders of a sales channel (the storefront order list)',
        sql: "SELECT id, status, total_amount, currency FROM external_order WHERE status = 'paid' ORDER BY id LIMIT 20",
        expect: { rows: [1, 20] },
      },
      { name: 'orders kept for manual review', sql: 'SELECT id FROM external_order_quarantine LIMIT 5' },
    ],
    monitoring: {
      ...(process.env.EXTERNAL_ORDERS_METRICS_URL ? { metricsUrl: process.env.EXTERNAL_ORDERS_METRICS_URL } : {}),
      alertRulesFile: '../monitoring/alert-rules.yml',
      alertRules: ['SafemigBackfillErrorRateHigh', 'SafemigBackfillStalled'],
    },
    maxBackfillErrorRate: 0.1,
  },
});

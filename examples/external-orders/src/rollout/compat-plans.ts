import { defineCompatPlan } from '@safemig/compat';
import { CONTRACT_PLAN, LEGACY_DATA_PLAN } from './rollout-names';

/** Every amount shape the mapping reads; anything else in `legacy_amount` cannot be mapped. */
const AMOUNT_FORMATS = [
  { name: 'german', regexp: '^-?[0-9]{1,3}(\\.[0-9]{3})*,[0-9]{1,2} ?([A-Z]{3}|€)?$' },
  { name: 'decimal', regexp: '^([A-Z]{3} )?-?[0-9]+(\\.[0-9]{1,2})?( ?[A-Z]{3})?$' },
  { name: 'english', regexp: '^-?[0-9]{1,3}(,[0-9]{3})*\\.[0-9]{1,2} ?[A-Z]{3}$' },
];

/**
 * Before the backfill: what the legacy data looks like, and the one fix that lets the mapping read more rows
 * (an unreadable `legacy_amount` is cleared, so the payload's amount is used).
 */
export const legacyDataPlan = defineCompatPlan({
  migration: LEGACY_DATA_PLAN,
  checks: [
    {
      id: 'payload-generations',
      type: 'format',
      table: 'external_order',
      column: 'payload',
      severity: 'info',
      formats: [
        { name: 'v3-json', json: true, jsonPath: '$.version', jsonEquals: 3 },
        { name: 'v2-json', json: true, jsonPath: '$.orderStatus' },
        { name: 'v1-text', regexp: '^([a-z_]+=[^;]*;)*[a-z_]+=[^;]*;?$' },
      ],
      canonical: 'v3-json',
    },
    {
      id: 'legacy-amount-readable',
      type: 'format',
      table: 'external_order',
      column: 'legacy_amount',
      severity: 'error',
      formats: AMOUNT_FORMATS,
      fix: { strategy: 'null-out' },
    },
    { id: 'created-at-dates', type: 'dates', table: 'external_order', column: 'created_at', severity: 'warning' },
  ],
});

/**
 * Before the contract step (release 1.2): the data must fit the tightened schema. Each check carries its automatic
 * correction; `safemig compat --fix` applies them (audited, undoable) and records a passing run, which the contract
 * step requires.
 */
export const contractPlan = defineCompatPlan({
  migration: CONTRACT_PLAN,
  checks: [
    {
      // Orders the mapping could not read keep status NULL; they go to external_order_quarantine for manual review.
      id: 'status-not-null',
      type: 'nullability',
      table: 'external_order',
      column: 'status',
      fix: { strategy: 'quarantine' },
    },
    {
      // References that differ only by case or trailing space: the oldest order keeps the reference.
      id: 'reference-unique-per-channel',
      type: 'unique',
      table: 'external_order',
      columns: ['sales_channel_id', 'external_reference_normalized'],
      collation: 'utf8mb4_unicode_ci',
      fix: { strategy: 'dedupe', keep: 'oldest', orderBy: 'created_at', rest: 'suffix' },
    },
    {
      // Orders of deleted sales channels: reported for the shop owner, not changed (the contract adds no foreign key,
      // which would rebuild the table under a shared lock).
      id: 'sales-channel-exists',
      type: 'orphans',
      table: 'external_order',
      columns: ['sales_channel_id'],
      references: { table: 'sales_channel', columns: ['id'] },
      severity: 'warning',
    },
    {
      // Zero dates break the table rebuild of MODIFY ... NOT NULL under strict sql_mode.
      id: 'created-at-valid',
      type: 'dates',
      table: 'external_order',
      column: 'created_at',
      fix: { strategy: 'normalize', expression: "COALESCE(updated_at, '2019-01-01 00:00:00.000')" },
    },
  ],
  views: [
    {
      name: 'external-order-list',
      query:
        'SELECT id, status, total_amount, currency, external_reference FROM external_order WHERE status IS NOT NULL',
    },
  ],
});

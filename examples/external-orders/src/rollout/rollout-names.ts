/** Names shared by the migrations, the backfill, the compat plans and the config. */

/** The deactivation flag that moves writes from the legacy columns to the new ones: off -> dual -> new. */
export const NORMALIZED_WRITES_FLAG = 'external_orders.normalized_writes';

/** The backfill that derives the normalized fields from the legacy ones. */
export const NORMALIZED_FIELDS_BACKFILL = 'external_order.normalized_fields';

/** The compat plan that cleans legacy data before the backfill. */
export const LEGACY_DATA_PLAN = 'external-orders-legacy-data';

/** The compat plan that must pass before the contract step tightens the schema. */
export const CONTRACT_PLAN = 'Migration1700000400ExternalOrderContract';

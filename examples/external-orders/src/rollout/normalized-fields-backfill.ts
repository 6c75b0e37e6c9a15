import { defineBackfill } from '@safemig/backfill';
import { deriveOrderFields } from '../mapping';
import { NORMALIZED_FIELDS_BACKFILL } from './rollout-names';

/**
 * Fills the normalized fields of every order that has none yet, through the one mapping. Rows the mapping cannot
 * read (invalid JSON, no status, an overlong reference) land in `safemig_backfill_error` with the reason; the compat
 * plan of the contract release decides what happens to them. Rows written by release 1.0 instances during the
 * rollout still have `status IS NULL`, so a later run (or `resume`) picks them up.
 */
export const normalizedFieldsBackfill = defineBackfill({
  name: NORMALIZED_FIELDS_BACKFILL,
  table: 'external_order',
  where: 'status IS NULL',
  select: ['payload', 'legacy_status', 'legacy_amount', 'external_reference'],
  transform: (row) => {
    const derived = deriveOrderFields({
      payload: (row.payload as string | null) ?? null,
      legacy_status: (row.legacy_status as string | null) ?? null,
      legacy_amount: (row.legacy_amount as string | null) ?? null,
      external_reference: (row.external_reference as string | null) ?? null,
    });
    if (!derived.ok) throw new Error(derived.reason);
    return { ...derived.fields };
  },
  // The transform's source text is hashed unless a version is given; bump it when the mapping changes.
  version: 'mapping-v1',
  maxErrorRate: 0.1,
});

import {
  amountFromMinorUnits,
  normalizeStatus,
  parseLegacyAmount,
  parsePayload,
  type OrderStatus,
  type PayloadFormat,
} from './legacy-formats';

/** The legacy columns of an `external_order` row that the new fields are derived from. */
export interface LegacyOrderColumns {
  readonly payload: string | null;
  readonly legacy_status: string | null;
  readonly legacy_amount: string | null;
  readonly external_reference: string | null;
}

/** The normalized columns that release 1.1 adds. */
export interface NormalizedOrderFields {
  readonly status: OrderStatus;
  readonly total_amount: string | null;
  readonly currency: string | null;
  readonly external_reference_normalized: string | null;
}

export type DerivationResult =
  | { readonly ok: true; readonly fields: NormalizedOrderFields; readonly format: PayloadFormat }
  | { readonly ok: false; readonly reason: string; readonly format: PayloadFormat };

/** The longest normalized reference; the contract release puts a unique key on it. */
export const NORMALIZED_REFERENCE_LENGTH = 64;

/**
 * The one mapping from legacy data to the new fields: a pure function. The backfill writes its result, the compat
 * format check counts which rows it accepts, and the repository falls back to it for rows not yet backfilled, so the
 * application sees the same order before, during and after the backfill.
 *
 * The legacy columns win over the payload: release 1.0 keeps `legacy_status` and `legacy_amount` current when an
 * order changes, while the payload stays what the shop system sent at import. The payload fills what they lack.
 */
export function deriveOrderFields(row: LegacyOrderColumns): DerivationResult {
  const parsed = parsePayload(row.payload);
  let statusText: string | undefined;
  let money: { amount: string; currency: string | undefined } | undefined;
  switch (parsed.format) {
    case 'v3-json':
      statusText = parsed.value.status.code;
      if (parsed.value.amount) {
        money = {
          amount: amountFromMinorUnits(parsed.value.amount.value, parsed.value.amount.scale),
          currency: parsed.value.amount.currency,
        };
      }
      break;
    case 'v2-json':
      statusText = parsed.value.orderStatus;
      if (parsed.value.total !== undefined) {
        const total = parseLegacyAmount(parsed.value.total);
        if (!total)
          return {
            ok: false,
            reason: `v2 payload total ${JSON.stringify(parsed.value.total)} is not an amount`,
            format: parsed.format,
          };
        money = { amount: total.amount, currency: parsed.value.currency ?? total.currency };
      }
      break;
    case 'v1-text':
      statusText = parsed.value.status;
      money = parseLegacyAmount(parsed.value.amount);
      break;
    case 'invalid-json':
      return { ok: false, reason: 'payload is invalid JSON', format: parsed.format };
    case 'unknown':
      return {
        ok: false,
        reason: 'payload matches none of the known formats (v1 text, v2 JSON, v3 JSON)',
        format: parsed.format,
      };
    case 'empty':
      break;
  }
  if (row.legacy_status !== null && row.legacy_status.trim() !== '') statusText = row.legacy_status;
  if (row.legacy_amount !== null && row.legacy_amount.trim() !== '') {
    const legacyMoney = parseLegacyAmount(row.legacy_amount);
    if (!legacyMoney) {
      return {
        ok: false,
        reason: `legacy_amount ${JSON.stringify(row.legacy_amount)} is not an amount`,
        format: parsed.format,
      };
    }
    money = legacyMoney;
  }
  const status = normalizeStatus(statusText);
  if (!status) {
    return {
      ok: false,
      reason:
        statusText === undefined
          ? 'no status in payload or legacy_status'
          : `unknown status ${JSON.stringify(statusText)}`,
      format: parsed.format,
    };
  }
  if (row.legacy_amount && !money) {
    return {
      ok: false,
      reason: `legacy_amount ${JSON.stringify(row.legacy_amount)} is not an amount`,
      format: parsed.format,
    };
  }
  const reference = normalizeReference(row.external_reference);
  if (reference !== null && [...reference].length > NORMALIZED_REFERENCE_LENGTH) {
    return {
      ok: false,
      reason: `external_reference is longer than ${NORMALIZED_REFERENCE_LENGTH} characters`,
      format: parsed.format,
    };
  }
  return {
    ok: true,
    format: parsed.format,
    fields: {
      status,
      total_amount: money?.amount ?? null,
      currency: money?.currency ?? (money ? 'EUR' : null),
      external_reference_normalized: reference,
    },
  };
}

/** Trim, collapse inner white space, upper-case: `' eo-1001 '` and `'EO-1001'` are the same reference. */
export function normalizeReference(reference: string | null): string | null {
  if (reference === null) return null;
  const normalized = reference.trim().replace(/\s+/g, ' ').toUpperCase();
  return normalized === '' ? null : normalized;
}

import { z } from 'zod';
import { NORMALIZED_REFERENCE_LENGTH, ORDER_STATUSES } from '../mapping';

/** The table the plugin owns. */
export const EXTERNAL_ORDER_TABLE = 'external_order';

/** The deactivation flag that moves writes from the legacy columns to the new ones: off -> dual -> new. */
export { NORMALIZED_WRITES_FLAG } from '../rollout/rollout-names';

/** Columns of release 1.0, read by N-1 and dropped by the contract release. */
export const LEGACY_COLUMNS = ['payload', 'legacy_status', 'legacy_amount'] as const;

/** Columns added by the expand release 1.1. */
export const NORMALIZED_COLUMNS = ['status', 'total_amount', 'currency', 'external_reference_normalized'] as const;

/**
 * What the application writes: validated before any SQL, like a Shopware EntityDefinition's field constraints.
 */
export const externalOrderWriteSchema = z
  .object({
    id: z.string().regex(/^[0-9a-f]{32}$/i, 'must be 32 hex characters (a BINARY(16) id)'),
    salesChannelId: z
      .string()
      .regex(/^[0-9a-f]{32}$/i, 'must be 32 hex characters (a BINARY(16) id)')
      .nullable(),
    externalReference: z.string().min(1).max(255).nullable(),
    status: z.enum(ORDER_STATUSES),
    totalAmount: z
      .string()
      .regex(/^-?\d{1,10}\.\d{2}$/, 'must be a decimal with two fraction digits, e.g. 12.50')
      .nullable(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
      .nullable(),
    createdAt: z.date(),
  })
  .strict()
  .refine(
    (order) => order.externalReference === null || order.externalReference.trim().length <= NORMALIZED_REFERENCE_LENGTH,
    { message: `must be at most ${NORMALIZED_REFERENCE_LENGTH} characters`, path: ['externalReference'] },
  );

export type ExternalOrderWrite = z.input<typeof externalOrderWriteSchema>;

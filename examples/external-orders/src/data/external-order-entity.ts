import type { OrderStatus } from '../mapping';

/** An order as the application sees it, whatever stage of the rollout the table is in. */
export interface ExternalOrderEntity {
  /** 32 hex characters. */
  readonly id: string;
  readonly salesChannelId: string | null;
  readonly externalReference: string | null;
  readonly status: OrderStatus | null;
  readonly totalAmount: string | null;
  readonly currency: string | null;
  readonly createdAt: string;
  readonly updatedAt: string | null;
  /**
   * Where the normalized fields came from: the new columns, derived from the legacy ones (not yet backfilled), or
   * nowhere (the legacy data cannot be mapped; the backfill's error table lists why).
   */
  readonly readFrom: 'new' | 'legacy' | 'unmapped';
}

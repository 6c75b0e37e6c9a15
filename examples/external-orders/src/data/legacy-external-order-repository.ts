import { sql, type Kysely } from 'kysely';

/**
 * The data layer of release 1.0 (N-1), kept as it shipped: it knows only the legacy columns. It must keep working
 * after the expand migration, while blue and green instances run side by side; tests run it against every stage.
 */
export class LegacyExternalOrderRepository {
  readonly #db: Kysely<any>;

  constructor(db: Kysely<any>) {
    this.#db = db;
  }

  async create(order: {
    id: string;
    salesChannelId: string;
    reference: string;
    status: string;
    amount: string;
  }): Promise<void> {
    await sql`INSERT INTO external_order (id, sales_channel_id, external_reference, payload, legacy_status, legacy_amount, created_at)
      VALUES (UNHEX(${order.id}), UNHEX(${order.salesChannelId}), ${order.reference},
              ${`ref=${order.reference};status=${order.status};amount=${order.amount}`}, ${order.status}, ${order.amount},
              CURRENT_TIMESTAMP(3))`.execute(this.#db);
  }

  async setStatus(orderId: string, status: string): Promise<void> {
    await sql`UPDATE external_order SET legacy_status = ${status}, updated_at = CURRENT_TIMESTAMP(3) WHERE id = UNHEX(${orderId})`.execute(
      this.#db,
    );
  }

  async findById(
    orderId: string,
  ): Promise<{ reference: string | null; status: string | null; amount: string | null } | undefined> {
    const result = await sql<{ reference: string | null; status: string | null; amount: string | null }>`
      SELECT external_reference AS reference, legacy_status AS status, legacy_amount AS amount
      FROM external_order WHERE id = UNHEX(${orderId})`.execute(this.#db);
    return result.rows[0];
  }
}

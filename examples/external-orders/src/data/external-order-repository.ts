import { sql, type Kysely } from 'kysely';
import { SafemigError, id, type FlagState } from '@safemig/core';
import { deriveOrderFields, normalizeReference } from '../mapping';
import {
  EXTERNAL_ORDER_TABLE,
  NORMALIZED_WRITES_FLAG,
  externalOrderWriteSchema,
  type ExternalOrderWrite,
} from './external-order-definition';
import type { ExternalOrderEntity } from './external-order-entity';

/** Where writes go, in the order of the rollout: the state of the normalized-writes flag. */
export type WriteMode = FlagState;

export interface ExternalOrderRepositoryOptions {
  /** The current state of the normalized-writes flag; read on every write (the flag reader caches it briefly). */
  readonly writeMode: () => Promise<WriteMode>;
}

interface Columns {
  readonly legacy: boolean;
  readonly normalized: boolean;
}

/**
 * The data layer of release 1.1 and later: reads the old AND the new model at every stage of the rollout and writes
 * according to the deactivation flag (`off`: legacy columns only, as release 1.0; `dual`: both; `new`: the new columns
 * only). After the contract release dropped the legacy columns, only `new` is possible.
 *
 * ### Examples
 * ```ts
 * const flags = createFlagReader(db, { ttlMs: 5_000 });
 * const orders = new ExternalOrderRepository(db, { writeMode: () => flags.state(NORMALIZED_WRITES_FLAG) });
 * const order = await orders.findById('0f3c...');
 * ```
 */
export class ExternalOrderRepository {
  readonly #db: Kysely<any>;
  readonly #writeMode: () => Promise<WriteMode>;

  constructor(db: Kysely<any>, options: ExternalOrderRepositoryOptions) {
    this.#db = db;
    this.#writeMode = options.writeMode;
  }

  async findById(orderId: string): Promise<ExternalOrderEntity | undefined> {
    const rows = await this.#select(sql`WHERE id = UNHEX(${orderId})`);
    return rows[0];
  }

  /** Orders of one sales channel, oldest first, keyset-paged by id. */
  async listBySalesChannel(
    salesChannelId: string,
    options: { after?: string; limit?: number } = {},
  ): Promise<ExternalOrderEntity[]> {
    const after = options.after ? sql`AND id > UNHEX(${options.after})` : sql``;
    return this.#select(
      sql`WHERE sales_channel_id = UNHEX(${salesChannelId}) ${after} ORDER BY id LIMIT ${options.limit ?? 100}`,
    );
  }

  /** Every order, ordered by id (for view comparisons and small tables). */
  async all(): Promise<ExternalOrderEntity[]> {
    return this.#select(sql`ORDER BY id`);
  }

  async create(order: ExternalOrderWrite): Promise<void> {
    const valid = parseWrite(order);
    const mode = await this.#writeMode();
    const columns = await this.#columns();
    const values: [string, unknown][] = [
      ['id', sql`UNHEX(${valid.id})`],
      ['sales_channel_id', valid.salesChannelId === null ? null : sql`UNHEX(${valid.salesChannelId})`],
      ['external_reference', valid.externalReference],
      ['created_at', valid.createdAt],
      ...this.#fieldValues(valid, mode, columns),
    ];
    await sql`INSERT INTO ${id(EXTERNAL_ORDER_TABLE)} (${sql.join(values.map(([name]) => id(name)))})
      VALUES (${sql.join(values.map(([, value]) => value))})`.execute(this.#db);
  }

  /** Changes status and amount; returns whether the order exists. */
  async update(order: ExternalOrderWrite): Promise<boolean> {
    const valid = parseWrite(order);
    const mode = await this.#writeMode();
    const assignments = this.#fieldValues(valid, mode, await this.#columns()).map(
      ([name, value]) => sql`${id(name)} = ${value}`,
    );
    const result = await sql`UPDATE ${id(EXTERNAL_ORDER_TABLE)}
      SET ${sql.join([...assignments, sql`updated_at = CURRENT_TIMESTAMP(3)`])}
      WHERE id = UNHEX(${valid.id})`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  #fieldValues(order: ParsedWrite, mode: WriteMode, columns: Columns): [string, unknown][] {
    if (mode !== 'new' && !columns.legacy) {
      throw new SafemigError(
        'EXTERNAL_ORDERS_WRITE_MODE',
        `The ${NORMALIZED_WRITES_FLAG} flag is "${mode}", but the legacy columns are gone (the contract release ran).`,
        { hint: 'Set the flag to "new": after the contract release only the normalized columns exist.' },
      );
    }
    if (mode !== 'off' && !columns.normalized) {
      throw new SafemigError(
        'EXTERNAL_ORDERS_WRITE_MODE',
        `The ${NORMALIZED_WRITES_FLAG} flag is "${mode}", but the normalized columns do not exist yet.`,
        { hint: 'Run the expand migration (safemig migrate) before activating writes.' },
      );
    }
    const legacy: [string, unknown][] = [
      [
        'payload',
        JSON.stringify({
          version: 3,
          status: { code: order.status },
          ...(order.totalAmount === null
            ? {}
            : {
                amount: {
                  value: Math.round(Number(order.totalAmount) * 100),
                  scale: 2,
                  currency: order.currency ?? 'EUR',
                },
              }),
        }),
      ],
      ['legacy_status', order.status],
      ['legacy_amount', order.totalAmount === null ? null : `${order.totalAmount} ${order.currency ?? 'EUR'}`],
    ];
    const normalized: [string, unknown][] = [
      ['status', order.status],
      ['total_amount', order.totalAmount],
      ['currency', order.currency],
      ['external_reference_normalized', normalizeReference(order.externalReference)],
    ];
    return mode === 'off' ? legacy : mode === 'dual' ? [...legacy, ...normalized] : normalized;
  }

  async #select(rest: ReturnType<typeof sql>): Promise<ExternalOrderEntity[]> {
    const columns = await this.#columns();
    const selected = [
      sql`LOWER(HEX(id)) AS id`,
      sql`LOWER(HEX(sales_channel_id)) AS sales_channel_id`,
      sql`external_reference`,
      sql`CAST(created_at AS CHAR) AS created_at`,
      sql`CAST(updated_at AS CHAR) AS updated_at`,
      ...(columns.legacy ? [sql`payload`, sql`legacy_status`, sql`legacy_amount`] : []),
      ...(columns.normalized ? [sql`status`, sql`CAST(total_amount AS CHAR) AS total_amount`, sql`currency`] : []),
    ];
    const result = await sql<
      Record<string, string | null>
    >`SELECT ${sql.join(selected)} FROM ${id(EXTERNAL_ORDER_TABLE)} ${rest}`.execute(this.#db);
    return result.rows.map(toEntity);
  }

  async #columns(): Promise<Columns> {
    // Read on every call: a deploy can run the expand or contract migration while this process is alive.
    const result = await sql<{ name: string }>`SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${EXTERNAL_ORDER_TABLE} AND COLUMN_NAME IN ('legacy_status', 'status')`.execute(
      this.#db,
    );
    const names = new Set(result.rows.map((row) => row.name));
    return { legacy: names.has('legacy_status'), normalized: names.has('status') };
  }
}

type ParsedWrite = ReturnType<typeof externalOrderWriteSchema.parse>;

function parseWrite(order: ExternalOrderWrite): ParsedWrite {
  const result = externalOrderWriteSchema.safeParse(order);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new SafemigError('EXTERNAL_ORDERS_INVALID_ORDER', `Invalid external order: ${fields}.`);
  }
  return result.data;
}

function toEntity(row: Record<string, string | null>): ExternalOrderEntity {
  const base = {
    id: row.id!,
    salesChannelId: row.sales_channel_id ?? null,
    externalReference: row.external_reference ?? null,
    createdAt: row.created_at!,
    updatedAt: row.updated_at ?? null,
  };
  if (row.status) {
    return {
      ...base,
      status: row.status as ExternalOrderEntity['status'],
      totalAmount: row.total_amount ?? null,
      currency: row.currency ?? null,
      readFrom: 'new',
    };
  }
  const derived = deriveOrderFields({
    payload: row.payload ?? null,
    legacy_status: row.legacy_status ?? null,
    legacy_amount: row.legacy_amount ?? null,
    external_reference: row.external_reference ?? null,
  });
  if (!derived.ok) return { ...base, status: null, totalAmount: null, currency: null, readFrom: 'unmapped' };
  return {
    ...base,
    status: derived.fields.status,
    totalAmount: derived.fields.total_amount,
    currency: derived.fields.currency,
    readFrom: 'legacy',
  };
}

import { createHash } from 'node:crypto';
import { Faker, base, de, en } from '@faker-js/faker';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { InvalidConfigError } from '@safemig/core';

/**
 * The kinds of mess found in the production `external_order` table. Each seeded row carries at most one anomaly,
 * so the counts a seed returns are exact and checks can assert them.
 */
export const ANOMALIES = [
  /** No status anywhere (payload without status, legacy_status NULL): the row cannot get a NOT NULL status. */
  'missingStatus',
  /** The payload is cut off mid-JSON. */
  'invalidJson',
  /** Same sales channel and reference as an earlier row, differing only in case or a trailing space. */
  'referenceCollision',
  /** created_at is 0000-00-00 00:00:00.000, which strict sql_mode rejects. */
  'zeroDate',
  /** An emoji (4-byte UTF-8) in the reference: fine in utf8mb4, lost in utf8mb3. */
  'fourByteCharacter',
  /** A reference longer than the 64 characters of the normalized column. */
  'overlongReference',
  /** sales_channel_id points at no sales channel. */
  'orphanSalesChannel',
  /** legacy_amount holds text that is not an amount. */
  'unparseableAmount',
] as const;

export type Anomaly = (typeof ANOMALIES)[number];

/** Default share of rows per anomaly: about 4% of rows are messy in one way. */
export const DEFAULT_ANOMALY_RATES: Readonly<Record<Anomaly, number>> = {
  missingStatus: 0.005,
  invalidJson: 0.01,
  referenceCollision: 0.01,
  zeroDate: 0.002,
  fourByteCharacter: 0.005,
  overlongReference: 0.002,
  orphanSalesChannel: 0.004,
  unparseableAmount: 0.004,
};

const optionsSchema = z
  .object({
    rows: z.number().int().min(1).max(50_000_000),
    seed: z.number().int().default(20261124),
    salesChannels: z.number().int().min(1).max(1000).default(5),
    batchSize: z.number().int().min(1).max(10_000).default(2_000),
    rates: z.partialRecord(z.enum(ANOMALIES), z.number().min(0).max(1)).optional(),
  })
  .strict();

export type SeedOptions = z.input<typeof optionsSchema>;

export interface SeedResult {
  readonly rows: number;
  /** Exactly how many rows carry each anomaly. */
  readonly anomalies: Readonly<Record<Anomaly, number>>;
  /** How many rows carry each payload generation. */
  readonly formats: Readonly<Record<'v1-text' | 'v2-json' | 'v3-json' | 'empty' | 'invalid-json', number>>;
  readonly salesChannels: number;
}

/** The stand-in for Shopware's own `sales_channel` table that the plugin's orders point at. */
export async function ensureSalesChannelTable(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS sales_channel (
    id BINARY(16) NOT NULL,
    name VARCHAR(255) NOT NULL,
    PRIMARY KEY (id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
}

/**
 * Inserts `rows` deterministic legacy orders (the same seed gives the same rows) into `external_order` as release 1.0
 * created it, plus the sales channels they belong to. Zero dates need a non-strict session, so the seed runs its
 * inserts on one connection with `sql_mode = ''`, as the old shop system did.
 *
 * ### Examples
 * ```ts
 * const result = await seedLegacyOrders(db, { rows: 10_000 });
 * console.log(result.anomalies.referenceCollision);
 * ```
 */
export async function seedLegacyOrders(db: Kysely<any>, options: SeedOptions): Promise<SeedResult> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw InvalidConfigError.fromZod('seed options', parsed.error);
  }
  const { rows, seed, salesChannels, batchSize } = parsed.data;
  const rates = { ...DEFAULT_ANOMALY_RATES, ...parsed.data.rates };
  const total = Object.values(rates).reduce((sum, rate) => sum + rate, 0);
  if (total > 1) {
    throw new InvalidConfigError('seed options', [
      { path: 'rates', message: `the rates (with the defaults) add up to ${total.toFixed(3)}, more than 1` },
    ]);
  }
  const faker = new Faker({ locale: [de, en, base], seed });
  const channels = Array.from({ length: salesChannels }, (_, index) => idFor(seed, `sales-channel-${index}`));
  const anomalies = Object.fromEntries(ANOMALIES.map((anomaly) => [anomaly, 0])) as Record<Anomaly, number>;
  const formats = { 'v1-text': 0, 'v2-json': 0, 'v3-json': 0, empty: 0, 'invalid-json': 0 };
  const recent: { channel: Buffer; reference: string }[] = [];

  await ensureSalesChannelTable(db);
  await db.connection().execute(async (connection) => {
    await sql`SET SESSION sql_mode = ''`.execute(connection);
    const channelRows = channels.map((id, index) => sql`(${id}, ${`Sales channel ${index + 1}`})`);
    await sql`INSERT IGNORE INTO sales_channel (id, name) VALUES ${sql.join(channelRows)}`.execute(connection);
    let batch: ReturnType<typeof sql>[] = [];
    for (let index = 0; index < rows; index++) {
      const anomaly = pickAnomaly(faker.number.float({ min: 0, max: 1 }), rates);
      if (anomaly === 'referenceCollision' && recent.length === 0) {
        // The very first rows have nothing to collide with; they stay clean.
      } else if (anomaly) {
        anomalies[anomaly]++;
      }
      const order = legacyOrder(faker, seed, index, anomaly, channels, recent);
      formats[order.format]++;
      batch.push(
        sql`(${order.id}, ${order.salesChannelId}, ${order.reference}, ${order.payload}, ${order.legacyStatus}, ${order.legacyAmount}, ${order.createdAt}, ${order.updatedAt})`,
      );
      if (batch.length === batchSize || index === rows - 1) {
        await sql`INSERT INTO external_order
          (id, sales_channel_id, external_reference, payload, legacy_status, legacy_amount, created_at, updated_at)
          VALUES ${sql.join(batch)}`.execute(connection);
        batch = [];
      }
    }
  });
  return { rows, anomalies, formats, salesChannels };
}

interface LegacyOrder {
  readonly id: Buffer;
  readonly salesChannelId: Buffer;
  readonly reference: string | null;
  readonly payload: string | null;
  readonly legacyStatus: string | null;
  readonly legacyAmount: string | null;
  readonly createdAt: string;
  readonly updatedAt: string | null;
  readonly format: keyof SeedResult['formats'];
}

const STATUS_SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  open: ['open', 'OPEN', 'new', 'offen'],
  paid: ['paid', 'PAID', 'Paid ', 'bezahlt'],
  shipped: ['shipped', 'versendet', 'Shipped'],
  cancelled: ['cancelled', 'canceled', 'storniert'],
  refunded: ['refunded', 'erstattet'],
};

function legacyOrder(
  faker: Faker,
  seed: number,
  index: number,
  anomaly: Anomaly | undefined,
  channels: readonly Buffer[],
  recent: { channel: Buffer; reference: string }[],
): LegacyOrder {
  const status = faker.helpers.arrayElement(Object.keys(STATUS_SPELLINGS));
  const statusText = faker.helpers.arrayElement(STATUS_SPELLINGS[status]!);
  const cents = faker.number.int({ min: 100, max: 500_000 });
  const currency = faker.helpers.weightedArrayElement([
    { value: 'EUR', weight: 8 },
    { value: 'CHF', weight: 1 },
    { value: 'USD', weight: 1 },
  ]);
  let channel = faker.helpers.arrayElement(channels);
  let reference: string | null = `EO-${String(100_000 + index)}`;
  const generation = faker.helpers.weightedArrayElement([
    { value: 'v1-text' as const, weight: 3 },
    { value: 'v2-json' as const, weight: 3 },
    { value: 'v3-json' as const, weight: 3 },
    { value: 'empty' as const, weight: 1 },
  ]);
  let format: LegacyOrder['format'] = generation;
  let payload = payloadFor(generation, reference, statusText, cents, currency);
  // Older rows kept the status and amount in the legacy columns too; the newest rarely did.
  let legacyStatus: string | null = generation === 'empty' || faker.datatype.boolean(0.5) ? statusText : null;
  let legacyAmount: string | null =
    generation === 'empty' || faker.datatype.boolean(0.3) ? germanAmount(cents, currency) : null;
  const created = faker.date.between({ from: '2019-01-01T00:00:00Z', to: '2026-10-31T00:00:00Z' });
  let createdAt = mysqlDateTime(created);
  const updatedAt = faker.datatype.boolean(0.6)
    ? mysqlDateTime(new Date(created.getTime() + faker.number.int({ min: 1, max: 30 * 86_400_000 })))
    : null;

  switch (anomaly) {
    case 'missingStatus':
      payload = generation === 'v1-text' ? `ref=${reference};amount=${germanAmount(cents, currency)}` : null;
      format = payload ? 'v1-text' : 'empty';
      legacyStatus = null;
      break;
    case 'invalidJson':
      payload = JSON.stringify({ orderStatus: statusText.toUpperCase(), total: (cents / 100).toFixed(2) }).slice(0, -7);
      format = 'invalid-json';
      legacyStatus = null;
      break;
    case 'referenceCollision': {
      const earlier = recent.length > 0 ? faker.helpers.arrayElement(recent) : undefined;
      if (earlier) {
        channel = earlier.channel;
        reference = faker.datatype.boolean(0.5) ? earlier.reference.toLowerCase() : `${earlier.reference} `;
        payload = payloadFor(generation, reference, statusText, cents, currency);
      }
      break;
    }
    case 'zeroDate':
      createdAt = '0000-00-00 00:00:00.000';
      break;
    case 'fourByteCharacter':
      reference = `${reference}-${faker.helpers.arrayElement(['🚚', '📦', '😀', '🛒'])}`;
      payload = payloadFor(generation, reference, statusText, cents, currency);
      break;
    case 'overlongReference':
      reference = `${reference}-${faker.string.alphanumeric(70).toUpperCase()}`;
      payload = payloadFor(generation, reference, statusText, cents, currency);
      break;
    case 'orphanSalesChannel':
      channel = idFor(seed, `deleted-sales-channel-${index}`);
      break;
    case 'unparseableAmount':
      legacyAmount = faker.helpers.arrayElement(['n/a', 'zwölf Euro', '12,5,0', '--']);
      break;
    case undefined:
      break;
  }
  if (anomaly !== 'referenceCollision' && anomaly !== 'overlongReference' && anomaly !== 'fourByteCharacter') {
    recent.push({ channel, reference: reference! });
    if (recent.length > 1000) recent.shift();
  }
  return {
    id: idFor(seed, `external-order-${index}`),
    salesChannelId: channel,
    reference,
    payload,
    legacyStatus,
    legacyAmount,
    createdAt,
    updatedAt,
    format,
  };
}

function payloadFor(
  generation: 'v1-text' | 'v2-json' | 'v3-json' | 'empty',
  reference: string | null,
  status: string,
  cents: number,
  currency: string,
): string | null {
  switch (generation) {
    case 'v1-text':
      return `ref=${reference};status=${status.trim()};amount=${germanAmount(cents, currency)}`;
    case 'v2-json':
      return JSON.stringify({ orderStatus: status.trim().toUpperCase(), total: (cents / 100).toFixed(2), currency });
    case 'v3-json':
      return JSON.stringify({
        version: 3,
        status: { code: status.trim().toLowerCase() },
        amount: { value: cents, scale: 2, currency },
      });
    case 'empty':
      return null;
  }
}

/** `123456` cents → `1.234,56 EUR`, as the German shop system wrote amounts. */
function germanAmount(cents: number, currency: string): string {
  const units = Math.floor(cents / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${units},${String(cents % 100).padStart(2, '0')} ${currency}`;
}

function pickAnomaly(draw: number, rates: Readonly<Record<Anomaly, number>>): Anomaly | undefined {
  let threshold = 0;
  for (const anomaly of ANOMALIES) {
    threshold += rates[anomaly];
    if (draw < threshold) return anomaly;
  }
  return undefined;
}

/** A deterministic 16-byte id, like Shopware's BINARY(16) UUIDs. */
function idFor(seed: number, name: string): Buffer {
  return createHash('sha256').update(`${seed}:${name}`).digest().subarray(0, 16);
}

function mysqlDateTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

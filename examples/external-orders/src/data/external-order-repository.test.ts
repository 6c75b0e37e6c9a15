import { sql } from 'kysely';
import { MigrationSource, Migrator, SafemigError } from '@safemig/core';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { Migration1700000000ExternalOrder } from '../Migration/Migration1700000000ExternalOrder';
import { Migration1700000100ExternalOrderNormalizedFields } from '../Migration/Migration1700000100ExternalOrderNormalizedFields';
import { Migration1700000300ExternalOrderContract } from '../Migration/Migration1700000300ExternalOrderContract';
import { deriveOrderFields } from '../mapping';
import { ExternalOrderRepository, type WriteMode } from './external-order-repository';
import { LegacyExternalOrderRepository } from './legacy-external-order-repository';
import type { ExternalOrderEntity } from './external-order-entity';

const CHANNEL = 'aa'.repeat(16);
const hexId = (n: number) => n.toString(16).padStart(32, '0');

let schema: TestSchema;
let mode: WriteMode = 'off';
let orders: ExternalOrderRepository;
let legacy: LegacyExternalOrderRepository;
const migrator = () =>
  new Migrator({
    db: schema.db,
    source: MigrationSource.fromClasses([
      Migration1700000000ExternalOrder,
      Migration1700000100ExternalOrderNormalizedFields,
      Migration1700000300ExternalOrderContract,
    ]),
  });

beforeAll(async () => {
  schema = await createTestSchema();
  orders = new ExternalOrderRepository(schema.db, { writeMode: async () => mode });
  legacy = new LegacyExternalOrderRepository(schema.db);
  await migrator().migrate({ until: 1700000000 });
});
afterAll(() => schema.destroy());

/** What the application shows, without the bookkeeping of where it was read from. */
const view = (entities: readonly ExternalOrderEntity[]) => entities.map(({ readFrom: _readFrom, ...order }) => order);

/** The backfill's job, done inline here: the data layer is under test, not the engine. */
async function backfillWithTheMapping(): Promise<void> {
  const rows = await sql<{
    id: string;
    payload: string | null;
    legacy_status: string | null;
    legacy_amount: string | null;
    external_reference: string | null;
  }>`
    SELECT HEX(id) AS id, payload, legacy_status, legacy_amount, external_reference FROM external_order WHERE status IS NULL`.execute(
    schema.db,
  );
  for (const row of rows.rows) {
    const derived = deriveOrderFields(row);
    if (!derived.ok) throw new Error(derived.reason);
    const f = derived.fields;
    await sql`UPDATE external_order SET status = ${f.status}, total_amount = ${f.total_amount}, currency = ${f.currency},
      external_reference_normalized = ${f.external_reference_normalized} WHERE id = UNHEX(${row.id})`.execute(
      schema.db,
    );
  }
}

describe('ExternalOrderRepository across the rollout', () => {
  it('release 1.0 schema: reads legacy rows through the mapping and writes legacy columns with the flag off', async () => {
    await legacy.create({
      id: hexId(1),
      salesChannelId: CHANNEL,
      reference: 'eo-1 ',
      status: 'bezahlt',
      amount: '12,50 EUR',
    });
    await orders.create({
      id: hexId(2),
      salesChannelId: CHANNEL,
      externalReference: 'EO-2',
      status: 'open',
      totalAmount: '99.90',
      currency: 'CHF',
      createdAt: new Date('2026-01-02T03:04:05Z'),
    });
    expect(await orders.findById(hexId(1))).toMatchObject({
      status: 'paid',
      totalAmount: '12.50',
      currency: 'EUR',
      readFrom: 'legacy',
    });
    expect(await orders.findById(hexId(2))).toMatchObject({
      status: 'open',
      totalAmount: '99.90',
      currency: 'CHF',
      readFrom: 'legacy',
    });
    expect(await legacy.findById(hexId(2))).toEqual({ reference: 'EO-2', status: 'open', amount: '99.90 CHF' });
    mode = 'dual';
    await expect(
      orders.create({
        id: hexId(3),
        salesChannelId: CHANNEL,
        externalReference: 'EO-3',
        status: 'open',
        totalAmount: null,
        currency: null,
        createdAt: new Date(),
      }),
    ).rejects.toThrow(/flag is "dual", but the normalized columns do not exist yet/);
    mode = 'off';
  });

  it('after expand: release 1.0 still writes and reads, and the application view is unchanged', async () => {
    const before = view(await orders.all());
    await migrator().migrate({ until: 1700000100 });
    expect(view(await orders.all())).toEqual(before);

    await legacy.create({
      id: hexId(4),
      salesChannelId: CHANNEL,
      reference: 'EO-4',
      status: 'versendet',
      amount: '1.234,56 EUR',
    });
    await legacy.setStatus(hexId(1), 'erstattet');
    expect(await legacy.findById(hexId(4))).toEqual({ reference: 'EO-4', status: 'versendet', amount: '1.234,56 EUR' });
    expect(await orders.findById(hexId(1))).toMatchObject({ status: 'refunded', readFrom: 'legacy' });
    expect(await orders.findById(hexId(4))).toMatchObject({
      status: 'shipped',
      totalAmount: '1234.56',
      readFrom: 'legacy',
    });
  });

  it('dual writes fill both models; after the backfill every read comes from the new columns with the same view', async () => {
    mode = 'dual';
    await orders.create({
      id: hexId(5),
      salesChannelId: CHANNEL,
      externalReference: ' eo-5',
      status: 'paid',
      totalAmount: '5.00',
      currency: 'EUR',
      createdAt: new Date('2026-02-01T00:00:00Z'),
    });
    expect(await orders.findById(hexId(5))).toMatchObject({ status: 'paid', readFrom: 'new' });
    expect(await legacy.findById(hexId(5))).toEqual({ reference: ' eo-5', status: 'paid', amount: '5.00 EUR' });

    const before = view(await orders.all());
    await backfillWithTheMapping();
    const after = await orders.all();
    expect(after.every((order) => order.readFrom === 'new')).toBe(true);
    expect(view(after)).toEqual(before);
  });

  it('after contract: only the new model exists; writes need the flag at new', async () => {
    mode = 'new';
    await orders.update({
      id: hexId(2),
      salesChannelId: CHANNEL,
      externalReference: 'EO-2',
      status: 'paid',
      totalAmount: '99.90',
      currency: 'CHF',
      createdAt: new Date('2026-01-02T03:04:05Z'),
    });
    const before = view(await orders.all());
    await migrator().migrate();
    await migrator().migrateDestructive();
    expect(view(await orders.all())).toEqual(before);
    await orders.create({
      id: hexId(6),
      salesChannelId: CHANNEL,
      externalReference: 'EO-6',
      status: 'open',
      totalAmount: null,
      currency: null,
      createdAt: new Date(),
    });
    expect(await orders.findById(hexId(6))).toMatchObject({ status: 'open', readFrom: 'new' });
    await expect(
      orders.create({
        id: hexId(7),
        salesChannelId: CHANNEL,
        externalReference: 'eo-6 ',
        status: 'open',
        totalAmount: null,
        currency: null,
        createdAt: new Date(),
      }),
    ).rejects.toThrow(/Duplicate entry/);
    mode = 'dual';
    const error = await orders
      .create({
        id: hexId(8),
        salesChannelId: CHANNEL,
        externalReference: 'EO-8',
        status: 'open',
        totalAmount: null,
        currency: null,
        createdAt: new Date(),
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SafemigError);
    expect((error as Error).message).toMatch(/legacy columns are gone/);
    mode = 'new';
  });

  it('refuses an invalid order before any SQL, naming the fields', async () => {
    await expect(
      orders.create({
        id: 'xyz',
        salesChannelId: CHANNEL,
        externalReference: 'EO-9',
        status: 'paid',
        totalAmount: '12,50',
        currency: 'eur',
        createdAt: new Date(),
      }),
    ).rejects.toThrow(
      /id: must be 32 hex characters.*totalAmount: must be a decimal.*currency: must be an ISO 4217 code/,
    );
  });
});

import { sql } from 'kysely';
import { BackfillRunner } from '@safemig/backfill';
import { runCompatPlan } from '@safemig/compat';
import { createFlagReader, MigrationSource, Migrator, SafemigError, setFlag } from '@safemig/core';
import { createTestDatabase, type TestDatabase } from '@safemig/testkit';
import { Migration1700000000ExternalOrder } from '../Migration/Migration1700000000ExternalOrder';
import { Migration1700000100ExternalOrderNormalizedFields } from '../Migration/Migration1700000100ExternalOrderNormalizedFields';
import { Migration1700000200ExternalOrderDualWrites } from '../Migration/Migration1700000200ExternalOrderDualWrites';
import { Migration1700000300ExternalOrderNewWrites } from '../Migration/Migration1700000300ExternalOrderNewWrites';
import { Migration1700000400ExternalOrderContract } from '../Migration/Migration1700000400ExternalOrderContract';
import { contractPlan, normalizedFieldsBackfill, NORMALIZED_WRITES_FLAG } from '../rollout';
import { ensureSalesChannelTable } from '../seed';
import { ExternalOrderRepository } from './external-order-repository';
import { LegacyExternalOrderRepository } from './legacy-external-order-repository';
import type { ExternalOrderEntity } from './external-order-entity';

const CHANNEL = 'aa'.repeat(16);
const hexId = (n: number) => n.toString(16).padStart(32, '0');

let database: TestDatabase;
let orders: ExternalOrderRepository;
let legacy: LegacyExternalOrderRepository;
const migrator = () =>
  new Migrator({
    db: database.db,
    source: MigrationSource.fromClasses([
      Migration1700000000ExternalOrder,
      Migration1700000100ExternalOrderNormalizedFields,
      Migration1700000200ExternalOrderDualWrites,
      Migration1700000300ExternalOrderNewWrites,
      Migration1700000400ExternalOrderContract,
    ]),
  });

beforeAll(async () => {
  database = await createTestDatabase();
  const flags = createFlagReader(database.db, { ttlMs: 0 });
  orders = new ExternalOrderRepository(database.db, { writeMode: () => flags.state(NORMALIZED_WRITES_FLAG) });
  legacy = new LegacyExternalOrderRepository(database.db);
  await ensureSalesChannelTable(database.db);
  await sql`INSERT INTO sales_channel (id, name) VALUES (UNHEX(${CHANNEL}), 'Storefront')`.execute(database.db);
  await migrator().migrate({ until: 1700000000 });
});
afterAll(() => database.destroy());

/** What the application shows, without the bookkeeping of where it was read from. */
const view = (entities: readonly ExternalOrderEntity[]) => entities.map(({ readFrom: _readFrom, ...order }) => order);

describe('ExternalOrderRepository across the real rollout', () => {
  it('release 1.0 schema: reads legacy rows through the mapping and writes legacy columns while the flag is off', async () => {
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
    await setFlag(database.db, NORMALIZED_WRITES_FLAG, 'dual', { by: 'test', reason: 'too early' });
    const early = {
      id: hexId(3),
      salesChannelId: CHANNEL,
      externalReference: 'EO-3',
      status: 'open' as const,
      totalAmount: null,
      currency: null,
      createdAt: new Date(),
    };
    await expect(orders.create(early)).rejects.toThrow(/flag is "dual", but the normalized columns do not exist yet/);
    await setFlag(database.db, NORMALIZED_WRITES_FLAG, 'off', { by: 'test', reason: 'back' });
  });

  it('release 1.1 (expand + adapt): release 1.0 still writes and reads, the view is unchanged, writes go to both models', async () => {
    const before = view(await orders.all());
    await migrator().migrate({ until: 1700000200 });
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
  });

  it('the backfill moves every read to the new columns with the same view; release 1.2 then writes only the new model', async () => {
    const migrateTo300 = () => migrator().migrate({ until: 1700000300 });
    await expect(migrateTo300()).rejects.toThrow(/backfill external_order\.normalized_fields never ran/);

    const before = view(await orders.all());
    const summary = await new BackfillRunner({ db: database.db, definition: normalizedFieldsBackfill }).run();
    expect(summary).toMatchObject({ status: 'completed', updated: 3, failed: 0 });
    const after = await orders.all();
    expect(after.every((order) => order.readFrom === 'new')).toBe(true);
    expect(view(after)).toEqual(before);

    await migrateTo300();
    await orders.update({
      id: hexId(2),
      salesChannelId: CHANNEL,
      externalReference: 'EO-2',
      status: 'paid',
      totalAmount: '99.90',
      currency: 'CHF',
      createdAt: new Date('2026-01-02T03:04:05Z'),
    });
    expect(await legacy.findById(hexId(2))).toEqual({ reference: 'EO-2', status: 'open', amount: '99.90 CHF' });
    expect(await orders.findById(hexId(2))).toMatchObject({ status: 'paid', readFrom: 'new' });
  });

  it('release 1.2 contract: only the new model is left, the reference is unique per channel, and dual writes are refused', async () => {
    const before = view(await orders.all());
    await migrator().migrate();
    const blocked = await migrator()
      .migrateDestructive({ mode: 'all' })
      .catch((error: unknown) => error);
    expect((blocked as Error).message).toMatch(/plan Migration1700000400ExternalOrderContract was never checked/);
    const report = await runCompatPlan(database.db, contractPlan);
    expect(report.passed).toBe(true);
    await migrator().migrateDestructive({ mode: 'all' });
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
    const duplicate = {
      id: hexId(7),
      salesChannelId: CHANNEL,
      externalReference: 'eo-6 ',
      status: 'open' as const,
      totalAmount: null,
      currency: null,
      createdAt: new Date(),
    };
    await expect(orders.create(duplicate)).rejects.toThrow(/Duplicate entry/);
    await setFlag(database.db, NORMALIZED_WRITES_FLAG, 'dual', { by: 'test', reason: 'operator error' });
    const error = await orders
      .create({ ...duplicate, id: hexId(8), externalReference: 'EO-8' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SafemigError);
    expect((error as Error).message).toMatch(/legacy columns are gone/);
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

import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { FlagTransitionError, InvalidConfigError } from '../errors';
import { flagAt } from './flag-prerequisite';
import { createFlagReader } from './flag-reader';
import { flagHistory, getFlag, listFlags, setFlag } from './flag-store';

let schema: TestSchema;
beforeEach(async () => {
  schema = await createTestSchema();
});
afterEach(() => schema.destroy());

describe('the flag store', () => {
  it('reads an unset flag as off, also before the flag table exists', async () => {
    expect(await getFlag(schema.db, 'external_order_status')).toEqual({
      name: 'external_order_status',
      state: 'off',
      updatedAt: null,
      updatedBy: null,
      reason: null,
    });
    expect(await listFlags(schema.db)).toEqual([]);
  });

  it('moves off -> dual -> new and records who, when, why and old -> new for every change', async () => {
    const first = await setFlag(schema.db, 'external_order_status', 'dual', {
      by: 'alice',
      reason: 'backfill running',
    });
    expect(first).toMatchObject({
      from: 'off',
      to: 'dual',
      by: 'alice',
      reason: 'backfill running',
      at: expect.any(Date),
    });
    await setFlag(schema.db, 'external_order_status', 'new', { by: 'bob', reason: 'all instances on 1.1.0' });
    expect(await setFlag(schema.db, 'external_order_status', 'new', { by: 'bob', reason: 'again' })).toBeUndefined();
    expect(await getFlag(schema.db, 'external_order_status')).toMatchObject({
      state: 'new',
      updatedBy: 'bob',
      reason: 'all instances on 1.1.0',
    });
    expect((await flagHistory(schema.db, 'external_order_status')).map((c) => [c.from, c.to, c.by, c.reason])).toEqual([
      ['off', 'dual', 'alice', 'backfill running'],
      ['dual', 'new', 'bob', 'all instances on 1.1.0'],
    ]);
    const audit = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM safemig_flag_audit`.execute(schema.db);
    expect(Number(audit.rows[0]!.n)).toBe(2);
    expect((await listFlags(schema.db)).map((flag) => [flag.name, flag.state])).toEqual([
      ['external_order_status', 'new'],
    ]);
  });

  it('refuses to skip dual unless forced, and refuses a change without who and why', async () => {
    await expect(setFlag(schema.db, 'f', 'new', { by: 'alice', reason: 'hurry' })).rejects.toBeInstanceOf(
      FlagTransitionError,
    );
    expect(await flagHistory(schema.db)).toEqual([]);
    await setFlag(schema.db, 'f', 'new', { by: 'alice', reason: 'incident 42', force: true });
    expect((await getFlag(schema.db, 'f')).state).toBe('new');
    await expect(setFlag(schema.db, 'f', 'dual', { by: ' ', reason: 'x' })).rejects.toThrow(
      /by: must name who changes the flag/,
    );
    await expect(setFlag(schema.db, 'f', 'later' as never, { by: 'a', reason: 'x' })).rejects.toBeInstanceOf(
      InvalidConfigError,
    );
    await expect(getFlag(schema.db, 'bad name; drop')).rejects.toThrow(/may contain only letters/);
  });
});

describe('createFlagReader', () => {
  it('serves flags from memory within the TTL and reads the table again after it', async () => {
    let now = 1_000;
    const reader = createFlagReader(schema.db, { ttlMs: 500, now: () => now });
    expect(await reader.state('external_order_status')).toBe('off');
    await setFlag(schema.db, 'external_order_status', 'dual', { by: 'alice', reason: 'start' });
    now += 499;
    expect(await reader.state('external_order_status')).toBe('off');
    now += 1;
    expect(await reader.state('external_order_status')).toBe('dual');
    await setFlag(schema.db, 'external_order_status', 'new', { by: 'alice', reason: 'done' });
    reader.refresh();
    expect(await reader.state('external_order_status')).toBe('new');
  });
});

describe('flagAt', () => {
  it('is met only when the flag is in exactly that state', async () => {
    const prerequisite = flagAt('external_order_status', 'dual');
    expect(prerequisite.id).toBe('flag:external_order_status=dual');
    expect(await prerequisite.check(schema.db)).toMatchObject({
      met: false,
      detail: 'flag external_order_status is off (never set)',
    });
    await setFlag(schema.db, 'external_order_status', 'dual', { by: 'alice', reason: 'start' });
    expect(await prerequisite.check(schema.db)).toMatchObject({ met: true });
  });
});

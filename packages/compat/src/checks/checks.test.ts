import { sql } from 'kysely';
import { z } from 'zod';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { seedLegacyDataset, LEGACY_ROWS } from '../__fixtures__/legacy-dataset';
import { UnknownCollationError } from '../compat-errors';
import type { Finding, FormatBucket, CollisionGroup } from '../finding';
import type { CheckDefinitionInput } from './check-definition';
import { runCheck } from './run-check';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
  await seedLegacyDataset(schema.db);
});
afterAll(() => schema.destroy());

async function findings(check: CheckDefinitionInput): Promise<Record<string, Finding>> {
  const list = await runCheck(schema.db, check);
  return Object.fromEntries(list.map((finding) => [finding.kind, finding]));
}
const ids = (finding: Finding | undefined) => finding?.samples.map((sample) => sample.key.id);
const base = { table: 'legacy_customer' } as const;

describe('checks on the seeded legacy dataset', () => {
  it('nullability counts NULLs and, when asked, empty strings, with keyed samples', async () => {
    const found = await findings({ ...base, id: 'status', type: 'nullability', column: 'status', emptyStrings: true });
    expect(found['null-values']).toMatchObject({ count: 3, severity: 'error', column: 'status' });
    expect(ids(found['null-values'])).toEqual([2, 4, 6]);
    expect(found['empty-strings']).toMatchObject({ count: 2 });
    expect(ids(found['empty-strings'])).toEqual([3, 7]);
    const nullsOnly = await findings({ ...base, id: 'status', type: 'nullability', column: 'status' });
    expect(Object.keys(nullsOnly)).toEqual(['null-values']);
  });

  it('defaults: the implicit value of a NOT NULL column added without DEFAULT, and zero-date defaults', async () => {
    const datetime = await findings({
      ...base,
      id: 'paid-at',
      type: 'defaults',
      add: { column: 'paid_at', type: 'DATETIME' },
    });
    expect(datetime['implicit-default']).toMatchObject({
      severity: 'error',
      count: LEGACY_ROWS,
      details: { implicitValue: '0000-00-00 00:00:00' },
    });
    expect(datetime['invalid-default']).toMatchObject({ count: 1, details: { columns: ['legacy_since'] } });
    const text = await findings({
      ...base,
      id: 'note',
      type: 'defaults',
      columns: ['email'],
      add: { column: 'note', type: 'VARCHAR(10)' },
    });
    expect(text['implicit-default']).toMatchObject({
      severity: 'warning',
      count: LEGACY_ROWS,
      details: { implicitValue: '' },
    });
    expect(text['invalid-default']).toMatchObject({ count: 0 });
    const planned = await findings({
      ...base,
      id: 'x',
      type: 'defaults',
      columns: [],
      add: { column: 'x', type: 'DATE', default: '0000-00-00' },
    });
    expect(planned['invalid-planned-default']).toMatchObject({ count: 1, severity: 'error' });
  });

  const priceFormats = [
    { name: 'decimal', regexp: '^-?[0-9]+\\.[0-9]{2}$' },
    { name: 'comma-currency', regexp: '^-?[0-9]+,[0-9]{2} [A-Z]{3}$' },
  ];

  it('legacy formats: buckets "12,50 EUR" vs "12.50" in SQL, with unrecognized values', async () => {
    const found = await findings({
      ...base,
      id: 'price',
      type: 'format',
      column: 'price_text',
      formats: priceFormats,
      canonical: 'decimal',
    });
    const buckets = found['format-variants']?.details?.buckets as FormatBucket[];
    expect(buckets.map((bucket) => [bucket.format, bucket.count])).toEqual([
      ['decimal', 6],
      ['comma-currency', 2],
      ['(unrecognized)', 2],
    ]);
    expect(found['format-variants']?.details?.detectedIn).toBe('sql');
    expect(found['legacy-format']).toMatchObject({ count: 2, severity: 'warning' });
    expect(found['unrecognized-format']).toMatchObject({ count: 2, severity: 'error' });
    expect(found['unrecognized-format']?.samples).toEqual([
      { key: { id: 4 }, value: 'twelve' },
      { key: { id: 7 }, value: '' },
    ]);
  });

  it('legacy formats: three JSON payload generations by marker, and invalid JSON, in SQL and with zod in JS alike', async () => {
    const sqlFormats = [
      { name: 'v3', jsonPath: '$.v', jsonEquals: 3 },
      { name: 'v2', jsonPath: '$.version', jsonEquals: 2 },
      { name: 'v1', jsonPath: '$.amount' },
    ];
    const zodFormats = [
      { name: 'v3', json: true, schema: z.object({ v: z.literal(3), payload: z.object({ amount: z.number() }) }) },
      { name: 'v2', json: true, schema: z.object({ version: z.literal(2), amount: z.string() }) },
      { name: 'v1', json: true, schema: z.object({ amount: z.number() }) },
    ];
    for (const [formats, detectedIn] of [
      [sqlFormats, 'sql'],
      [zodFormats, 'js'],
    ] as const) {
      const found = await findings({
        ...base,
        id: 'payload',
        type: 'format',
        column: 'payload',
        formats,
        expectJson: true,
        pageSize: 100,
      });
      const buckets = found['format-variants']?.details?.buckets as FormatBucket[];
      expect(found['format-variants']?.details?.detectedIn).toBe(detectedIn);
      expect(buckets.map((bucket) => [bucket.format, bucket.count])).toEqual([
        ['v3', 2],
        ['v2', 2],
        ['v1', 4],
        ['(invalid-json)', 2],
      ]);
      expect(ids(found['invalid-json'])).toEqual([4, 7]);
      expect(found['unrecognized-format']?.count).toBe(0);
    }
  });

  it('unique collisions under the target collation: case, accents, PAD SPACE, NULLs and prefixes', async () => {
    const groupsOf = (finding: Finding | undefined) =>
      (finding?.details?.groups as CollisionGroup[]).map((group) => group.keys.map((key) => key.id));
    const padSpace = await findings({
      ...base,
      id: 'email',
      type: 'unique',
      columns: ['email'],
      collation: 'utf8mb4_unicode_ci',
    });
    expect(padSpace['unique-collision']).toMatchObject({ count: 7, details: { padSpace: true, groupCount: 3 } });
    expect(groupsOf(padSpace['unique-collision'])).toEqual([
      [1, 2, 3],
      [4, 5],
      [8, 10],
    ]);

    const noPad = await findings({
      ...base,
      id: 'email',
      type: 'unique',
      columns: ['email'],
      collation: 'utf8mb4_unicode_nopad_ci',
    }).catch((error: unknown) => error);
    if (noPad instanceof UnknownCollationError) {
      // MySQL 8 has no utf8mb4_unicode_nopad_ci; its NO PAD collation is utf8mb4_0900_ai_ci.
      const mysql = await findings({
        ...base,
        id: 'email',
        type: 'unique',
        columns: ['email'],
        collation: 'utf8mb4_0900_ai_ci',
      });
      expect(groupsOf(mysql['unique-collision'])).toEqual([
        [1, 2],
        [4, 5],
        [8, 10],
      ]);
    } else {
      expect((noPad as Record<string, Finding>)['unique-collision']).toMatchObject({
        count: 6,
        details: { padSpace: false },
      });
      expect(groupsOf((noPad as Record<string, Finding>)['unique-collision'])).toEqual([
        [1, 2],
        [4, 5],
        [8, 10],
      ]);
    }

    const binary = await findings({
      ...base,
      id: 'email',
      type: 'unique',
      columns: ['email'],
      collation: 'utf8mb4_bin',
    });
    // utf8mb4_bin is PAD SPACE too: only the trailing space still collides.
    expect(groupsOf(binary['unique-collision'])).toEqual([[1, 3]]);
    const prefix = await findings({ ...base, id: 'sku', type: 'unique', columns: [{ column: 'sku', prefix: 5 }] });
    // 'SKU-1' and 'SKU-10' share the first five characters; every other SKU differs in them.
    expect(groupsOf(prefix['unique-collision'])).toEqual([[1, 10]]);
    expect(prefix['unique-collision']?.column).toBe('sku(5)');
  });

  it('unique collisions: the hash pre-pass misses no pair equal under PAD SPACE, across columns, and restores the session', async () => {
    await sql`CREATE TABLE unique_edge (id INT PRIMARY KEY, tenant INT NULL, code VARCHAR(20) NULL)
      CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`.execute(schema.db);
    // 'a', 'a' + NO-BREAK SPACE, 'A  ' and 'á' are equal under utf8mb4_unicode_ci (NBSP weighs like the padding
    // space): their weight strings differ unless padded to a common length.
    await sql`INSERT INTO unique_edge VALUES (1, 1, 'a'), (2, 1, ${'a\u00a0'}), (3, 1, 'A  '), (4, 2, 'a'), (5, 2, 'b'),
      (6, NULL, 'a'), (7, 1, ${'\u00e1'}), (8, 1, NULL), (9, 1, 'ab')`.execute(schema.db);
    const groupsOf = (finding: Finding | undefined) =>
      (finding?.details?.groups as CollisionGroup[]).map((group) => group.keys.map((key) => key.id));
    await schema.db.connection().execute(async (connection) => {
      const before = await sql<{ size: string | number }>`SELECT @@SESSION.tmp_table_size AS size`.execute(connection);
      const [pair] = await runCheck(connection, {
        id: 'code',
        type: 'unique',
        table: 'unique_edge',
        columns: ['tenant', 'code'],
        collation: 'utf8mb4_unicode_ci',
      });
      expect(groupsOf(pair)).toEqual([[1, 2, 3, 7]]);
      const [single] = await runCheck(connection, {
        id: 'code',
        type: 'unique',
        table: 'unique_edge',
        columns: ['code'],
        collation: 'utf8mb4_unicode_ci',
      });
      expect(groupsOf(single)).toEqual([[1, 2, 3, 4, 6, 7]]);
      const [exact] = await runCheck(connection, {
        id: 'code',
        type: 'unique',
        table: 'unique_edge',
        columns: ['code'],
      });
      // The column's own collation (utf8mb4_bin, PAD SPACE): 'a' thrice, never 'A  ', 'á' or NBSP.
      expect(groupsOf(exact)).toEqual([[1, 4, 6]]);
      const after = await sql<{ size: string | number }>`SELECT @@SESSION.tmp_table_size AS size`.execute(connection);
      expect(Number(after.rows[0]?.size)).toBe(Number(before.rows[0]?.size));
    });
    // Inside a transaction (one connection already) the check runs there.
    await schema.db.transaction().execute(async (trx) => {
      const [inTransaction] = await runCheck(trx, {
        id: 'code',
        type: 'unique',
        table: 'unique_edge',
        columns: ['code'],
      });
      expect(groupsOf(inTransaction)).toEqual([[1, 4, 6]]);
    });
  });

  it('unique collisions: a collation whose weight strings do not follow its PAD SPACE rule still finds every pair', async () => {
    // cp1250_czech_cs has multi-level weights: a hash of its weight strings would put 'abc' and 'abc ' apart although
    // the index holds them equal. latin7_general_ci weighs a space 0x2C (not the 0x20 it pads with when asked to):
    // the trimmed weight string handles it, and the pre-pass runs.
    await sql`CREATE TABLE unique_l7 (id INT PRIMARY KEY,
        l7 VARCHAR(10) CHARACTER SET latin7 COLLATE latin7_general_ci NULL,
        cz VARCHAR(10) CHARACTER SET cp1250 COLLATE cp1250_czech_cs NULL)`.execute(schema.db);
    await sql`INSERT INTO unique_l7 VALUES (1, 'abc', 'abc'), (2, 'abc ', 'abc '), (3, 'abd', 'abd')`.execute(
      schema.db,
    );
    const groupsOf = (finding: Finding | undefined) =>
      (finding?.details?.groups as CollisionGroup[]).map((group) => group.keys.map((key) => key.id));
    for (const column of ['l7', 'cz']) {
      const [found] = await runCheck(schema.db, { id: column, type: 'unique', table: 'unique_l7', columns: [column] });
      expect({ column, groups: groupsOf(found) }).toEqual({ column, groups: [[1, 2]] });
    }
  });

  it('fails clearly when the target collation does not exist on this server', async () => {
    const error = await runCheck(schema.db, {
      ...base,
      id: 'email',
      type: 'unique',
      columns: ['email'],
      collation: 'utf8mb4_nonexistent_ci',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownCollationError);
    expect((error as Error).message).toMatch(/Check email: the target collation utf8mb4_nonexistent_ci does not exist/);
    expect((error as Error).message).toMatch(/utf8mb4_unicode_ci/);
  });

  it('type changes: length overflow, numeric range and precision, ENUM values outside the new list', async () => {
    const sku = await findings({ ...base, id: 'sku', type: 'type-change', column: 'sku', to: 'VARCHAR(10)' });
    expect(sku['length-overflow']).toMatchObject({ count: 2 });
    expect(ids(sku['length-overflow'])).toEqual([3, 5]);
    const amount = await findings({ ...base, id: 'amount', type: 'type-change', column: 'amount', to: 'DECIMAL(6,2)' });
    expect(amount['numeric-overflow']).toMatchObject({ count: 1, samples: [{ key: { id: 2 } }] });
    expect(amount['precision-loss']).toMatchObject({ count: 1, severity: 'warning', samples: [{ key: { id: 3 } }] });
    const qty = await findings({ ...base, id: 'qty', type: 'type-change', column: 'qty', to: 'TINYINT UNSIGNED' });
    expect(ids(qty['numeric-overflow'])).toEqual([2, 3]);
    const kind = await findings({
      ...base,
      id: 'kind',
      type: 'type-change',
      column: 'kind',
      to: "ENUM('retail','b2b')",
    });
    expect(kind['value-not-in-list']).toMatchObject({ count: 1, samples: [{ key: { id: 3 }, value: 'wholesale' }] });
    const set = await findings({
      ...base,
      id: 'kind',
      type: 'type-change',
      column: 'kind',
      to: "SET('retail','b2b','wholesale')",
    });
    expect(set['value-not-in-list']?.count).toBe(0);
  });

  it('zero, zero-in and impossible dates in a DATE column and in text about to become DATE', async () => {
    const birthday = await findings({ ...base, id: 'birthday', type: 'dates', column: 'birthday' });
    expect(ids(birthday['zero-date'])).toEqual([2, 5]);
    expect(birthday['zero-date']?.samples[0]?.value).toBe('0000-00-00');
    expect(ids(birthday['zero-in-date'])).toEqual([4]);
    expect(ids(birthday['impossible-date'])).toEqual([3]);
    expect(birthday['unparseable-date']).toBeUndefined();
    const signup = await findings({ ...base, id: 'signup', type: 'dates', column: 'signup_text' });
    expect(ids(signup['impossible-date'])).toEqual([2, 5, 7]);
    expect(ids(signup['unparseable-date'])).toEqual([3]);
    expect(signup['zero-date']?.count).toBe(0);
  });

  it('charset: 4-byte characters going into utf8mb3 and latin1 mojibake', async () => {
    const found = await findings({ ...base, id: 'name', type: 'charset', column: 'name', target: 'utf8mb3' });
    expect(found['four-byte-characters']).toMatchObject({
      count: 2,
      samples: [{ key: { id: 2 }, value: 'Jürgen 😀' }, { key: { id: 4 } }],
    });
    expect(found['mojibake']).toMatchObject({
      count: 2,
      samples: [{ key: { id: 3 }, value: 'JÃ¼rgen' }, { key: { id: 5 } }],
    });
  });

  it('orphans for a planned foreign key, ignoring NULL references', async () => {
    const found = await findings({
      ...base,
      id: 'group',
      type: 'orphans',
      columns: ['group_id'],
      references: { table: 'customer_group', columns: ['id'] },
    });
    expect(found['orphans']).toMatchObject({
      count: 2,
      samples: [
        { key: { id: 3 }, value: 99 },
        { key: { id: 5 }, value: 98 },
      ],
    });
  });

  it('names the field of an invalid check and the missing column', async () => {
    await expect(runCheck(schema.db, { ...base, id: 'x', type: 'unique', columns: [] } as never)).rejects.toThrow(
      /check\.columns: must name at least one column/,
    );
    await expect(runCheck(schema.db, { ...base, id: 'x', type: 'nullability', column: 'nope' })).rejects.toThrow(
      /Check x: column legacy_customer\.nope does not exist/,
    );
  });
});

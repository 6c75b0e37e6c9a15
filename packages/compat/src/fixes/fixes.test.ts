import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { seedLegacyDataset } from '../__fixtures__/legacy-dataset';
import { listAudit } from '../audit/audit-store';
import type { CheckDefinitionInput } from '../checks/check-definition';
import { mojibakeRepairExpression, stripFourByteExpression } from '../checks/charset-check';
import { runCheck } from '../checks/run-check';
import { applyFix } from './apply-fix';
import { undoFix } from './undo-fix';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
  await seedLegacyDataset(schema.db);
});
afterAll(() => schema.destroy());

/** Every row of a table as server-side text, so zero dates and exact decimals compare exactly. */
async function dump(table: string): Promise<string[]> {
  const columns = await sql<{ name: string }>`SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} ORDER BY ORDINAL_POSITION`.execute(schema.db);
  const row = sql.raw(`CONCAT_WS('|', ${columns.rows.map((c) => `QUOTE(\`${c.name}\`)`).join(', ')})`);
  const result = await sql<{ r: string }>`SELECT ${row} AS r FROM ${sql.raw(`\`${table}\``)} ORDER BY 1`.execute(
    schema.db,
  );
  return result.rows.map((r) => r.r);
}

const t = { table: 'legacy_customer' } as const;
const toV3 = (value: unknown): unknown => {
  const payload = JSON.parse(String(value)) as {
    v?: number;
    version?: number;
    amount?: number | string;
    payload?: unknown;
  };
  if (payload.v === 3) return value;
  return JSON.stringify({ v: 3, payload: { amount: Number(payload.amount) } });
};
const FIXED_CHECKS: CheckDefinitionInput[] = [
  {
    ...t,
    id: 'status',
    type: 'nullability',
    column: 'status',
    emptyStrings: true,
    fix: { strategy: 'fill-default', value: 'unknown' },
  },
  {
    ...t,
    id: 'price-legacy',
    type: 'format',
    column: 'price_text',
    canonical: 'decimal',
    formats: [
      { name: 'decimal', regexp: '^-?[0-9]+\\.[0-9]{2}$' },
      { name: 'comma-currency', regexp: '^-?[0-9]+,[0-9]{2} [A-Z]{3}$' },
    ],
    fix: { strategy: 'normalize', expression: "REPLACE(SUBSTRING_INDEX(price_text, ' ', 1), ',', '.')" },
  },
  {
    ...t,
    id: 'price-garbage',
    type: 'format',
    column: 'price_text',
    formats: [{ name: 'decimal', regexp: '^-?[0-9]+\\.[0-9]{2}$' }],
    fix: { strategy: 'null-out' },
  },
  {
    ...t,
    id: 'payload-generations',
    type: 'format',
    column: 'payload',
    canonical: 'v3',
    formats: [
      { name: 'v3', jsonPath: '$.v', jsonEquals: 3 },
      { name: 'v2', jsonPath: '$.version', jsonEquals: 2 },
      { name: 'v1', jsonPath: '$.amount' },
    ],
    fix: {
      strategy: 'normalize',
      transform: (value) => (typeof value === 'string' && value.startsWith('{"') ? toV3(value) : value),
    },
  },
  {
    ...t,
    id: 'payload-invalid',
    type: 'format',
    column: 'payload',
    expectJson: true,
    formats: [{ name: 'json', json: true }],
    fix: { strategy: 'null-out' },
  },
  { ...t, id: 'birthday', type: 'dates', column: 'birthday', fix: { strategy: 'null-out' } },
  { ...t, id: 'signup', type: 'dates', column: 'signup_text', fix: { strategy: 'fill-default', value: '2000-01-01' } },
  {
    ...t,
    id: 'name-mojibake',
    type: 'charset',
    column: 'name',
    fix: { strategy: 'normalize', expression: mojibakeRepairExpression('name') },
  },
  {
    ...t,
    id: 'name-utf8mb3',
    type: 'charset',
    column: 'name',
    target: 'utf8mb3',
    mojibake: false,
    fix: { strategy: 'normalize', expression: stripFourByteExpression('name') },
  },
  { ...t, id: 'sku-length', type: 'type-change', column: 'sku', to: 'VARCHAR(10)', fix: { strategy: 'truncate' } },
  {
    ...t,
    id: 'amount-decimal',
    type: 'type-change',
    column: 'amount',
    to: 'DECIMAL(6,2)',
    fix: { strategy: 'normalize', expression: 'CASE WHEN ABS(amount) >= 10000 THEN NULL ELSE TRUNCATE(amount, 2) END' },
  },
  {
    ...t,
    id: 'qty-tinyint',
    type: 'type-change',
    column: 'qty',
    to: 'TINYINT UNSIGNED',
    fix: { strategy: 'null-out' },
  },
  {
    ...t,
    id: 'kind-enum',
    type: 'type-change',
    column: 'kind',
    to: "ENUM('retail','b2b')",
    fix: { strategy: 'fill-default', value: 'b2b' },
  },
  {
    ...t,
    id: 'group-fk',
    type: 'orphans',
    columns: ['group_id'],
    references: { table: 'customer_group', columns: ['id'] },
    fix: { strategy: 'null-out' },
  },
  {
    ...t,
    id: 'email-unique',
    type: 'unique',
    columns: ['email'],
    collation: 'utf8mb4_unicode_ci',
    fix: { strategy: 'dedupe', keep: 'oldest', rest: 'suffix' },
  },
];

describe('fixes, audit and undo on the seeded legacy dataset', () => {
  it('a dry run reports what would change and writes nothing', async () => {
    const before = await dump('legacy_customer');
    const preview = await applyFix(schema.db, FIXED_CHECKS[0]!, { runId: 'dry', dryRun: true });
    expect(preview.changes).toEqual([
      expect.objectContaining({ table: 'legacy_customer', column: 'status', action: 'update', rows: 5, written: 0 }),
    ]);
    expect(preview.changes[0]?.samples[0]).toEqual({ key: [2], oldValue: null, newValue: 'unknown' });
    expect(await dump('legacy_customer')).toEqual(before);
    expect(await listAudit(schema.db, 'dry')).toEqual([]);
  });

  it('every fix leaves zero findings on a re-check, every change is audited, and undo restores every row', async () => {
    const original = await dump('legacy_customer');
    const runId = 'run1';
    const written: Record<string, number> = {};
    for (const check of FIXED_CHECKS) {
      const result = await applyFix(schema.db, check, { runId });
      written[check.id] = result.changes.reduce((sum, change) => sum + change.written, 0);
    }
    expect(written).toEqual({
      status: 5,
      'price-legacy': 2,
      'price-garbage': 2,
      'payload-generations': 6,
      'payload-invalid': 2,
      birthday: 4,
      signup: 4,
      'name-mojibake': 2,
      'name-utf8mb3': 2,
      'sku-length': 2,
      'amount-decimal': 2,
      'qty-tinyint': 2,
      'kind-enum': 1,
      'group-fk': 2,
      'email-unique': 4,
    });
    for (const check of FIXED_CHECKS) {
      const findings = await runCheck(schema.db, check);
      const remaining = findings.filter((finding) => finding.severity !== 'info' && finding.count > 0);
      expect({ check: check.id, remaining }).toEqual({ check: check.id, remaining: [] });
    }
    const rows = await sql<
      Record<string, unknown>
    >`SELECT id, price_text, name, email, payload FROM legacy_customer WHERE id IN (2, 3) ORDER BY id`.execute(
      schema.db,
    );
    expect(rows.rows).toEqual([
      {
        id: 2,
        price_text: '12.50',
        name: 'Jürgen ?',
        email: 'ANNA@example.com~2',
        payload: '{"v":3,"payload":{"amount":12.5}}',
      },
      {
        id: 3,
        price_text: '7.00',
        name: 'Jürgen',
        email: 'anna@example.com ~3',
        payload: '{"v":3,"payload":{"amount":7}}',
      },
    ]);
    const audit = await listAudit(schema.db, runId);
    expect(audit).toHaveLength(42);
    expect(audit.find((entry) => entry.fixId === 'birthday' && entry.rowKey === '[2]')).toMatchObject({
      column: 'birthday',
      oldValue: '0000-00-00',
      newValue: null,
      action: 'update',
    });

    // The application writes one fixed row after the fix: undo must not revert that write.
    await sql`UPDATE legacy_customer SET status = 'written-later' WHERE id = 4`.execute(schema.db);
    const undone = await undoFix(schema.db, runId);
    expect(undone.changes.find((change) => change.fixId === 'status')).toMatchObject({
      pending: 5,
      restored: 4,
      skipped: 1,
    });
    const restored = await dump('legacy_customer');
    const expected = original.map((line) =>
      line.startsWith("'4'|")
        ? line.replace("'4'|'cafe@example.com'|NULL", "'4'|'cafe@example.com'|'written-later'")
        : line,
    );
    expect(restored).toEqual(expected);
    expect((await undoFix(schema.db, runId)).changes).toEqual([]);
  });

  it('dedupe keeps the newest row and quarantines or merges the others, undoably', async () => {
    await sql`CREATE TABLE tag (id INT PRIMARY KEY, label VARCHAR(30) NOT NULL) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(
      schema.db,
    );
    await sql`CREATE TABLE tag_use (id INT PRIMARY KEY, tag_id INT NOT NULL)`.execute(schema.db);
    await sql`INSERT INTO tag VALUES (1, 'Sale'), (2, 'sale'), (3, 'SALE '), (4, 'new')`.execute(schema.db);
    await sql`INSERT INTO tag_use VALUES (10, 1), (11, 2), (12, 4), (13, 3)`.execute(schema.db);
    const tagsBefore = await dump('tag');
    const usesBefore = await dump('tag_use');
    const check: CheckDefinitionInput = {
      id: 'tag-label',
      type: 'unique',
      table: 'tag',
      columns: ['label'],
      fix: { strategy: 'dedupe', keep: 'newest', rest: 'merge', references: [{ table: 'tag_use', column: 'tag_id' }] },
    };
    const result = await applyFix(schema.db, check, { runId: 'merge1' });
    expect(result.changes.map((change) => [change.table, change.action, change.written])).toEqual([
      ['tag_use', 'update', 2],
      ['tag', 'quarantine', 2],
    ]);
    expect(await dump('tag')).toEqual(["'3'|'SALE '", "'4'|'new'"]);
    expect(await dump('tag_use')).toEqual(["'10'|'3'", "'11'|'3'", "'12'|'4'", "'13'|'3'"]);
    expect(await dump('tag_quarantine')).toEqual(["'1'|'Sale'", "'2'|'sale'"]);
    expect((await runCheck(schema.db, check))[0]?.count).toBe(0);

    await undoFix(schema.db, 'merge1');
    expect(await dump('tag')).toEqual(tagsBefore);
    expect(await dump('tag_use')).toEqual(usesBefore);
    expect(await dump('tag_quarantine')).toEqual([]);
  });
});

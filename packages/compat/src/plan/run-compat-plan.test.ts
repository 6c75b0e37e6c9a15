import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { compatPassed } from '../compat-passed';
import { renderMarkdownReport } from '../report/markdown-report';
import { defineCompatPlan } from './compat-plan';
import { runCompatPlan } from './run-compat-plan';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
  await sql`CREATE TABLE customer (id INT PRIMARY KEY, email VARCHAR(50) NULL) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(
    schema.db,
  );
  await sql`INSERT INTO customer VALUES (1, 'a@x.de'), (2, 'A@x.de'), (3, NULL), (4, NULL), (5, 'b@x.de')`.execute(
    schema.db,
  );
});
afterAll(() => schema.destroy());

const plan = defineCompatPlan({
  migration: 'Migration1700000300Contract',
  checks: [
    {
      id: 'email-unique',
      type: 'unique',
      table: 'customer',
      columns: ['email'],
      fix: { strategy: 'dedupe', keep: 'oldest', rest: 'suffix' },
    },
  ],
  views: [{ name: 'emails', query: 'SELECT id, LOWER(email) AS email FROM customer WHERE id >= 3' }],
});

describe('runCompatPlan and compatPassed', () => {
  it('fails the prerequisite until a run leaves no error finding, and proves the view unchanged', async () => {
    const prerequisite = compatPassed('Migration1700000300Contract');
    expect(prerequisite).toMatchObject({ id: 'compat:Migration1700000300Contract', kind: 'compat' });
    expect(await prerequisite.check(schema.db)).toMatchObject({
      met: false,
      detail: 'plan Migration1700000300Contract was never checked',
    });

    const checked = await runCompatPlan(schema.db, plan);
    expect(checked).toMatchObject({ mode: 'check', passed: false, summary: { errorFindings: 1, rowsFixed: 0 } });
    expect(checked.views).toEqual([{ name: 'emails', action: 'snapshot', rowCount: 3 }]);
    expect((await prerequisite.check(schema.db)).met).toBe(false);

    const dry = await runCompatPlan(schema.db, plan, { fix: true, dryRun: true });
    expect(dry.checks[0]?.fix?.changes[0]).toMatchObject({
      rows: 1,
      written: 0,
      samples: [{ key: [2], oldValue: 'A@x.de', newValue: 'A@x.de~2' }],
    });
    expect((await prerequisite.check(schema.db)).met).toBe(false);

    const fixed = await runCompatPlan(schema.db, plan, { fix: true });
    expect(fixed).toMatchObject({ mode: 'fix', passed: true, summary: { errorFindings: 0, rowsFixed: 1 } });
    expect(fixed.checks[0]?.remaining[0]).toMatchObject({ kind: 'unique-collision', count: 0 });
    expect(fixed.views[0]).toMatchObject({ action: 'compare', comparison: { unchanged: true } });
    expect(await prerequisite.check(schema.db)).toMatchObject({ met: true });
    const markdown = renderMarkdownReport(fixed);
    expect(markdown).toContain('**PASSED**');
    expect(markdown).toContain('| email-unique | dedupe | customer.email | update | 1 | 1 |');
    expect(markdown).toContain('Nothing: every check is clean.');
  });
});

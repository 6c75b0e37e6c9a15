import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../test/support/test-schema';
import { backfillCompleted } from './backfill-completed';
import { BackfillRunner } from './backfill-runner';
import { defineBackfill } from './definition';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
  await sql`CREATE TABLE item (id INT NOT NULL PRIMARY KEY, legacy VARCHAR(8) NULL, status VARCHAR(8) NULL)`.execute(
    schema.db,
  );
  await sql`INSERT INTO item (id, legacy) VALUES (1, 'a'), (2, 'b'), (3, 'bad'), (4, 'a')`.execute(schema.db);
});
afterAll(() => schema.destroy());

const definition = defineBackfill({
  name: 'item.status',
  table: 'item',
  where: 'status IS NULL',
  select: ['legacy'],
  transform: (row) => {
    if (row.legacy === 'bad') throw new Error('cannot map');
    return { status: String(row.legacy).toUpperCase() };
  },
});

describe('backfillCompleted', () => {
  it('is unmet before the run, met after it, and unmet when the error rate exceeds the limit', async () => {
    const { db } = schema;
    expect(await backfillCompleted('item.status').check(db)).toMatchObject({
      met: false,
      detail: 'backfill item.status never ran',
    });
    await new BackfillRunner({ db, definition }).run();
    expect(await backfillCompleted('item.status').check(db)).toEqual({
      met: true,
      detail: 'backfill item.status is completed: 4 processed, 1 failed',
    });
    const strict = backfillCompleted('item.status', { maxErrorRate: 0.1 });
    expect(strict.describe()).toBe('backfill item.status completed with at most 10.00% failed rows');
    expect(await strict.check(db)).toMatchObject({
      met: false,
      detail: expect.stringMatching(/25\.00%, more than allowed/),
    });
    expect(backfillCompleted('item.status')).toMatchObject({ id: 'backfill:item.status', kind: 'backfill' });
  });
});

import { InvalidConfigError } from '@safemig/core';
import { defineBackfill, definitionHash, describeDefinition, skipRow, type BackfillDefinitionInput } from './index';

const base = {
  name: 'orders.status',
  table: 'external_order',
  where: 'status IS NULL',
  set: { status: "'open'" },
} as const;

function issuesOf(input: unknown): string[] {
  try {
    defineBackfill(input as BackfillDefinitionInput);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return (error as InvalidConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('the definition was accepted');
}

describe('defineBackfill', () => {
  it('fills in defaults and freezes the result', () => {
    const definition = defineBackfill(base);
    expect(definition).toMatchObject({
      mode: 'set',
      batchSize: 1_000,
      minBatchSize: 100,
      maxBatchSize: 50_000,
      targetBatchMs: 100,
      parts: 1,
      key: undefined,
    });
    expect(Object.isFrozen(definition)).toBe(true);
    expect(defineBackfill({ ...base, key: 'id' }).key).toEqual(['id']);
  });

  it('bounds transform batches at 2,000 rows unless told otherwise', () => {
    const transform = { name: 't', table: 'external_order', where: 'status IS NULL', select: ['legacy_status'] };
    const map = () => ({ status: 'open' });
    expect(defineBackfill({ ...transform, transform: map }).maxBatchSize).toBe(2_000);
    expect(defineBackfill({ ...transform, transform: map, batchSize: 5_000 }).maxBatchSize).toBe(5_000);
    expect(defineBackfill({ ...transform, transform: map, maxBatchSize: 20_000 }).maxBatchSize).toBe(20_000);
    expect(defineBackfill(base).maxBatchSize).toBe(50_000);
  });

  it('accepts its own output again unchanged, as the CLI does with definitions from the config', () => {
    const set = defineBackfill({
      name: 'a',
      table: 'external_order',
      where: 'status IS NULL',
      set: { status: "'open'" },
    });
    expect(defineBackfill(set)).toEqual(set);
    const transform = defineBackfill({
      name: 'b',
      table: 'external_order',
      key: 'id',
      where: 'status IS NULL',
      select: ['legacy_status'],
      transform: () => ({ status: 'open' }),
      version: 2,
    });
    expect(defineBackfill(transform)).toEqual(transform);
    expect(() => defineBackfill({ ...set, mode: 'transform' } as never)).toThrow(/mode/);
  });

  it('names the field of every problem', () => {
    expect(issuesOf({ ...base, name: 'bad name!', table: 'x`y', batchSize: 0 })).toEqual([
      'name: may contain only letters, digits and _ . : -',
      'table: may contain only letters, digits, _ and $',
      'batchSize: Too small: expected number to be >=1',
    ]);
    expect(issuesOf({ ...base, batchSize: 500, minBatchSize: 600 })).toEqual([
      'minBatchSize: must be at most batchSize (500)',
    ]);
    expect(issuesOf({ ...base, key: ['id'], set: { id: '1' } })).toEqual([
      'set.id: a key column cannot be changed by a backfill',
    ]);
    expect(issuesOf({ ...base, maxErrorRate: 2 })).toEqual(['maxErrorRate: Too big: expected number to be <=1']);
    expect(issuesOf({ ...base, surprise: true })).toEqual([expect.stringMatching(/^: Unrecognized key: "surprise"/)]);
  });

  it('refuses SQL fragments that could escape their place', () => {
    expect(issuesOf({ ...base, where: 'status IS NULL; DROP TABLE external_order' })).toEqual([
      'where: SQL expression contains a statement separator (;)',
    ]);
    expect(issuesOf({ ...base, where: 'status IS NULL -- and the rest' })).toEqual([
      'where: SQL expression contains an SQL comment',
    ]);
    expect(issuesOf({ ...base, where: '1 = 1) OR (1 = 1' })).toEqual([
      'where: SQL expression closes a parenthesis it did not open',
    ]);
    expect(issuesOf({ ...base, set: { status: "'open" } })).toEqual([
      "set.status: SQL expression has an unterminated ' quote",
    ]);
    expect(issuesOf({ ...base, set: { 'bad col': '1' } })).toEqual([expect.stringMatching(/^set\.bad col: /)]);
    // Quoted text may contain anything.
    expect(defineBackfill({ ...base, where: "note <> 'a; -- b /* c'" }).where).toBe("note <> 'a; -- b /* c'");
  });

  it('takes either set or select + transform', () => {
    expect(issuesOf({ name: 'x', table: 't', where: '1 = 1' })).toEqual([
      'set | select + transform: give either set or select + transform',
    ]);
    expect(issuesOf({ ...base, select: ['a'], transform: () => skipRow })).toEqual([
      'set: set cannot be combined with select/transform',
    ]);
    expect(issuesOf({ name: 'x', table: 't', where: '1 = 1', select: [], transform: 'no' })).toEqual([
      'select: must name at least one column',
      'transform: must be a function (row) => patch | skipRow',
    ]);
  });

  it('hashes what decides the result, not the tuning', () => {
    const definition = defineBackfill(base);
    expect(definitionHash(defineBackfill({ ...base, batchSize: 5, minBatchSize: 5, maxErrorRate: 0.5 }))).toBe(
      definitionHash(definition),
    );
    expect(definitionHash(defineBackfill({ ...base, where: 'status IS NULL AND id > 0' }))).not.toBe(
      definitionHash(definition),
    );
    expect(definitionHash(defineBackfill({ ...base, parts: 4 }))).not.toBe(definitionHash(definition));
    const transform = { name: 'x', table: 't', where: '1 = 1', select: ['a'], transform: () => ({ a: 1 }) };
    expect(describeDefinition(defineBackfill(transform)).transform).toMatch(/^source:/);
    expect(describeDefinition(defineBackfill({ ...transform, version: 3 })).transform).toBe('version:3');
  });
});

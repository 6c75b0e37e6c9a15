import { InvalidIdentifierError, InvalidSqlFragmentError } from '../errors';
import { quoteIdentifier } from './identifier';
import { sqlExpressionProblem } from './sql-expression';
import { validateColumnType, validateTriggerBody } from './sql-fragment';

describe('quoteIdentifier', () => {
  it('back-quotes valid names', () => {
    expect(quoteIdentifier('external_order')).toBe('`external_order`');
    expect(quoteIdentifier('col$1')).toBe('`col$1`');
  });

  it.each([
    ['', /must not be empty/],
    ['a`b', /only letters, digits/],
    ['a;b', /only letters, digits/],
    ["a'b", /only letters, digits/],
    ['a b', /only letters, digits/],
    ['123', /digits only/],
    ['x'.repeat(65), /at most 64/],
  ])('refuses %j', (name, reason) => {
    expect(() => quoteIdentifier(name)).toThrow(InvalidIdentifierError);
    expect(() => quoteIdentifier(name)).toThrow(reason);
  });
});

describe('SQL fragments', () => {
  it('accepts ordinary column types including ENUM lists with quotes', () => {
    for (const type of [
      'INT',
      'VARCHAR(255)',
      'DECIMAL(12,2) UNSIGNED',
      "ENUM('new','it''s paid')",
      'JSON',
      'BINARY(16)',
    ]) {
      expect(validateColumnType(type)).toBe(type);
    }
    expect(validateColumnType('VARCHAR(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci')).toMatch(/^VARCHAR/);
  });

  it('refuses statement separators, comments, backticks and unterminated strings in a type', () => {
    for (const type of ['INT;', 'INT/* x */', 'INT # x', 'INT`', "ENUM('a)", ' ', '(INT)']) {
      expect(() => validateColumnType(type)).toThrow(InvalidSqlFragmentError);
    }
  });

  it('accepts trigger bodies as one statement or BEGIN ... END, and refuses comments', () => {
    expect(validateTriggerBody('SET NEW.a = 1')).toBe('SET NEW.a = 1');
    expect(validateTriggerBody('BEGIN SET NEW.a = 1; SET NEW.b = 2; END')).toMatch(/END$/);
    expect(() => validateTriggerBody('SET NEW.a = 1; DROP TABLE x')).toThrow(/BEGIN ... END/);
    expect(() => validateTriggerBody('SET NEW.a = 1 -- x')).toThrow(/comment/);
    expect(() => validateTriggerBody('BEGIN SET NEW.a = 1;')).toThrow(/closed by END/);
  });
});

describe('sqlExpressionProblem', () => {
  it('accepts expressions whose quotes hold ; -- # and parentheses', () => {
    expect(sqlExpressionProblem("status IS NULL AND note <> 'a; -- b (c'")).toBeUndefined();
    expect(sqlExpressionProblem("COALESCE(updated_at, '2019-01-01 00:00:00.000')")).toBeUndefined();
  });

  it.each([
    ['', 'is empty'],
    ['1; DROP TABLE t', 'contains a statement separator (;)'],
    ['a = 1 -- rest', 'contains an SQL comment'],
    ['a = 1 /* x */', 'contains an SQL comment'],
    ["a = 'open", "has an unterminated ' quote"],
    ['x = 1) OR (1 = 1', 'closes a parenthesis it did not open'],
    ['(x = 1', 'leaves a parenthesis open'],
  ])('refuses %j: %s', (expression, problem) => {
    expect(sqlExpressionProblem(expression)).toBe(problem);
  });
});

import { join } from 'node:path';
import { MigrationSourceError } from '../errors';
import { MigrationSource } from './migration-source';
import { MigrationStep } from './migration-step';

const fixtures = join(__dirname, '__fixtures__');

class Migration1700000500Good extends MigrationStep {
  getCreationTimestamp() {
    return 1700000500;
  }
  async update() {}
}

class Migration1700000600Wrong extends MigrationStep {
  getCreationTimestamp() {
    return 1700000601;
  }
  async update() {}
}

class AddStatusWithoutTimestamp extends MigrationStep {
  getCreationTimestamp() {
    return 1700000700;
  }
  async update() {}
}

describe('MigrationSource.fromDirectory', () => {
  it('loads every Migration<timestamp><Name> file in timestamp order and ignores other files', () => {
    const source = MigrationSource.fromDirectory(join(fixtures, 'valid'), { namespace: 'ExternalOrders\\Migration' });
    expect(source.migrations.map((m) => [m.className, m.timestamp])).toEqual([
      ['ExternalOrders\\Migration\\Migration1700000000CreateExternalOrder', 1700000000],
      ['ExternalOrders\\Migration\\Migration1700000100AddStatus', 1700000100],
    ]);
    expect(source.migrations[0]?.file).toMatch(/Migration1700000000CreateExternalOrder\.ts$/);
    expect(source.get('Migration1700000100AddStatus')?.timestamp).toBe(1700000100);
  });

  it('names the file whose class name does not match getCreationTimestamp()', () => {
    expect(() => MigrationSource.fromDirectory(join(fixtures, 'mismatch'))).toThrow(MigrationSourceError);
    expect(() => MigrationSource.fromDirectory(join(fixtures, 'mismatch'))).toThrow(
      /Migration1700000200Mismatch\.ts: class Migration1700000200Mismatch carries the timestamp 1700000200 in its name, but getCreationTimestamp\(\) returns 1700000299/,
    );
  });

  it('names the file that exports no MigrationStep', () => {
    expect(() => MigrationSource.fromDirectory(join(fixtures, 'empty'))).toThrow(
      /Migration1700000300Nothing\.ts: exports no MigrationStep class/,
    );
  });

  it('names both steps that share a timestamp', () => {
    expect(() => MigrationSource.fromDirectory(join(fixtures, 'duplicate'))).toThrow(
      /Migration1700000400Second and Migration1700000400First .*share the creation timestamp 1700000400/,
    );
  });

  it('refuses TypeScript files when no TypeScript loader is present, naming the file', () => {
    expect(() => MigrationSource.fromDirectory(join(fixtures, 'valid'), { typescript: false })).toThrow(
      /Migration1700000000CreateExternalOrder\.ts: is TypeScript/,
    );
  });

  it('names a directory that does not exist', () => {
    expect(() => MigrationSource.fromDirectory(join(fixtures, 'nope'))).toThrow(
      /nope: cannot read the migration directory/,
    );
  });
});

describe('MigrationSource.fromClasses', () => {
  it('sorts by timestamp and validates names', () => {
    expect(MigrationSource.fromClasses([Migration1700000500Good]).migrations[0]?.className).toBe(
      'Migration1700000500Good',
    );
    expect(() => MigrationSource.fromClasses([Migration1700000600Wrong])).toThrow(/returns 1700000601/);
    expect(() => MigrationSource.fromClasses([AddStatusWithoutTimestamp])).toThrow(
      /class AddStatusWithoutTimestamp is not named Migration<timestamp><Name>/,
    );
  });
});

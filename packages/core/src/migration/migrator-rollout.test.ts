import { sql, type Kysely } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { getServerInfo } from '../database';
import { DependencyNotExecutedError, PrerequisiteError, RolloutOrderError } from '../errors';
import { flagAt, setFlag } from '../flags';
import { MigrationSource } from './migration-source';
import { MigrationStep, type MigrationMetadata, type MigrationStepClass } from './migration-step';
import { Migrator } from './migrator';
import { minimumServerVersion, serverSupports } from './server-prerequisites';

let schema: TestSchema;
beforeEach(async () => {
  schema = await createTestSchema();
  await sql`CREATE TABLE run_log (seq INT AUTO_INCREMENT PRIMARY KEY, entry VARCHAR(128) NOT NULL)`.execute(schema.db);
});
afterEach(() => schema.destroy());

async function logged(): Promise<string[]> {
  const result = await sql<{ entry: string }>`SELECT entry FROM run_log ORDER BY seq`.execute(schema.db);
  return result.rows.map((row) => row.entry);
}

function step(name: string, metadata: MigrationMetadata): MigrationStepClass {
  const timestamp = Number(/^Migration(\d+)/.exec(name)![1]);
  const classes = {
    [name]: class extends MigrationStep {
      getCreationTimestamp() {
        return timestamp;
      }
      async update(db: Kysely<any>) {
        await sql`INSERT INTO run_log (entry) VALUES (${`${name}:update`})`.execute(db);
      }
      override async updateDestructive(db: Kysely<any>) {
        await sql`INSERT INTO run_log (entry) VALUES (${`${name}:destructive`})`.execute(db);
      }
      override getMetadata() {
        return metadata;
      }
    },
  };
  return classes[name] as MigrationStepClass;
}

async function executedClasses(): Promise<string[]> {
  const rows = await sql<{
    class: string;
  }>`SELECT \`class\` FROM \`migration\` WHERE \`update\` IS NOT NULL ORDER BY \`class\``.execute(schema.db);
  return rows.rows.map((row) => row.class);
}

describe('prerequisites', () => {
  it('stop the run before a step whose flag is not at the required state, naming step and prerequisite', async () => {
    const Expand = step('Migration1700000100AddStatus', { phase: 'expand', release: '1.1.0' });
    const Contract = step('Migration1700000200DropLegacy', {
      phase: 'contract',
      release: '1.2.0',
      dependsOn: [Expand],
      requires: [flagAt('external_order_status', 'new')],
    });
    const migrator = new Migrator({ db: schema.db, source: MigrationSource.fromClasses([Expand, Contract]) });
    // A contract step's prerequisites guard its destructive part, so migrate() runs its (empty) update().
    await migrator.migrate();
    const error = (await migrator.migrateDestructive({ mode: 'all' }).then(
      () => undefined,
      (e: unknown) => e,
    )) as PrerequisiteError;
    expect(error).toBeInstanceOf(PrerequisiteError);
    expect(error).toMatchObject({
      code: 'SAFEMIG_PREREQUISITE_UNMET',
      migration: 'Migration1700000200DropLegacy',
      prerequisite: 'flag:external_order_status=new',
    });
    expect(error.message).toMatch(
      /Migration Migration1700000200DropLegacy was not run \(updateDestructive\): its prerequisite "flag external_order_status is new" \[flag:external_order_status=new\] is not met: flag external_order_status is off \(never set\)\n.*safemig flag set external_order_status new/,
    );
    expect(await logged()).toEqual([
      'Migration1700000100AddStatus:update',
      'Migration1700000200DropLegacy:update',
      'Migration1700000100AddStatus:destructive',
    ]);
    const status = await migrator.status();
    expect(status.map((s) => [s.name, s.state])).toEqual([
      ['Migration1700000100AddStatus', 'complete'],
      ['Migration1700000200DropLegacy', 'updated'],
    ]);

    await setFlag(schema.db, 'external_order_status', 'dual', { by: 'test', reason: 'writes both' });
    await setFlag(schema.db, 'external_order_status', 'new', { by: 'test', reason: 'old readers gone' });
    const result = await migrator.migrateDestructive({ mode: 'all' });
    expect(result.executed.map((s) => s.className)).toEqual(['Migration1700000200DropLegacy']);
  });

  it('check the server version and features with getServerInfo', async () => {
    const info = await getServerInfo(schema.db);
    const tooNew = step('Migration1700000100NeedsFuture', {
      requires: [minimumServerVersion({ mysql: '99.0.0', mariadb: '99.0.0' })],
    });
    const migrator = new Migrator({ db: schema.db, source: MigrationSource.fromClasses([tooNew]) });
    const error = (await migrator.migrate().then(
      () => undefined,
      (e: unknown) => e,
    )) as PrerequisiteError;
    expect(error).toBeInstanceOf(PrerequisiteError);
    expect(error.message).toContain(`the server is ${info.flavor === 'mysql' ? 'MySQL' : 'MariaDB'} ${info.major}.`);
    expect(await executedClasses()).toEqual([]);

    const supported = step('Migration1700000100AddInstant', {
      requires: [serverSupports('instantAddColumn'), minimumServerVersion({ mysql: '8.0.12', mariadb: '10.3.2' })],
    });
    const ok = new Migrator({ db: schema.db, source: MigrationSource.fromClasses([supported]) });
    expect((await ok.migrate()).executed).toHaveLength(1);
  });
});

describe('dependencies', () => {
  it('refuse a step whose dependency of another plugin has not run, and run it once it has', async () => {
    const dependent = step('Migration1700000200UsesBase', {
      dependsOn: ['OtherPlugin\\Migration\\Migration1690000000Base'],
    });
    const migrator = new Migrator({ db: schema.db, source: MigrationSource.fromClasses([dependent]) });
    const error = (await migrator.migrate().then(
      () => undefined,
      (e: unknown) => e,
    )) as DependencyNotExecutedError;
    expect(error).toBeInstanceOf(DependencyNotExecutedError);
    expect(error.message).toMatch(
      /Migration Migration1700000200UsesBase was not run \(update\): it depends on Migration1690000000Base, whose update\(\) has not run\./,
    );
    expect(await logged()).toEqual([]);

    const other = step('Migration1690000000Base', {});
    await new Migrator({
      db: schema.db,
      source: MigrationSource.fromClasses([other], { namespace: 'OtherPlugin\\Migration' }),
    }).migrate();
    expect((await migrator.migrate()).executed.map((s) => s.className)).toEqual(['Migration1700000200UsesBase']);
  });

  it('refuse to run anything when the ordering rules are broken', async () => {
    const a = step('Migration1700000100A', { dependsOn: ['Migration1700000200B'] });
    const b = step('Migration1700000200B', {});
    const migrator = new Migrator({ db: schema.db, source: MigrationSource.fromClasses([a, b]) });
    await expect(migrator.migrate()).rejects.toBeInstanceOf(RolloutOrderError);
    expect(await logged()).toEqual([]);
  });
});

describe('migrateDestructive release gate', () => {
  const classes = [
    step('Migration1700000100Legacy', {}),
    step('Migration1700000200V100', { phase: 'contract', release: '1.0.0' }),
    step('Migration1700000300V110', { phase: 'contract', release: '1.1.0' }),
    step('Migration1700000400V120', { phase: 'contract', release: '1.2.0' }),
  ];

  it('runs only older releases in safe mode (the default), then more in blue-green and all', async () => {
    const migrator = new Migrator({ db: schema.db, source: MigrationSource.fromClasses(classes) });
    await migrator.migrate();
    const safe = await migrator.migrateDestructive({ currentRelease: '1.2.0' });
    expect(safe.executed.map((s) => s.className)).toEqual(['Migration1700000100Legacy', 'Migration1700000200V100']);
    expect(safe.heldBack).toEqual(['Migration1700000300V110', 'Migration1700000400V120']);
    expect(safe.gate).toEqual({ mode: 'safe', currentRelease: '1.2.0', cutoff: '1.1.0' });
    const blueGreen = await migrator.migrateDestructive({ mode: 'blue-green' });
    expect(blueGreen.executed.map((s) => s.className)).toEqual(['Migration1700000300V110']);
    expect(blueGreen.heldBack).toEqual(['Migration1700000400V120']);
    const all = await migrator.migrateDestructive({ mode: 'all' });
    expect(all.executed.map((s) => s.className)).toEqual(['Migration1700000400V120']);
  });

  it('names the option when the mode or release is invalid', async () => {
    const migrator = new Migrator({ db: schema.db, source: MigrationSource.fromClasses(classes) });
    await expect(migrator.migrateDestructive({ mode: 'yolo' as never })).rejects.toThrow(/- mode:/);
    await expect(migrator.migrateDestructive({ currentRelease: 'latest' })).rejects.toThrow(
      /currentRelease: must be a semver release/,
    );
  });
});

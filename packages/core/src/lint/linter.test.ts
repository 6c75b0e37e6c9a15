import { sql, type Kysely } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import {
  MigrationSource,
  MigrationStep,
  type MigrationMetadata,
  type MigrationStepClass,
  type Prerequisite,
} from '../migration';
import { addColumn, addIndex, columnExists, createTrigger, dropColumnIfExists, foreignKeyExists } from '../schema';
import { lintSource, type LintOptions, type LintReport } from './linter';
import { LINT_RULES, listLintRules, type LintRuleCode } from './lint-rules';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(() => schema.destroy());

type Body = (db: Kysely<any>) => Promise<void>;

/** A step class with the given name, built in the test so each example reads as one block. */
function step(
  name: string,
  spec: { update?: Body; destructive?: Body; metadata?: MigrationMetadata },
): MigrationStepClass {
  const timestamp = Number(/^Migration(\d+)/.exec(name)![1]);
  const classes = {
    [name]: class extends MigrationStep {
      getCreationTimestamp() {
        return timestamp;
      }
      async update(db: Kysely<any>) {
        await spec.update?.(db);
      }
      override async updateDestructive(db: Kysely<any>) {
        await spec.destructive?.(db);
      }
      override getMetadata() {
        return spec.metadata ?? {};
      }
    },
  };
  return classes[name] as MigrationStepClass;
}

/** The table every example starts from, as release 1.0 shipped it. */
const CreateOrders = step('Migration1700000000CreateOrders', {
  metadata: { phase: 'expand', release: '1.0.0' },
  update: async (db) => {
    await sql`CREATE TABLE IF NOT EXISTS customer (id INT NOT NULL, PRIMARY KEY (id))`.execute(db);
    await sql`CREATE TABLE IF NOT EXISTS external_order (
      id INT NOT NULL,
      customer_id INT NULL,
      legacy_status VARCHAR(64) NULL,
      status ENUM('new', 'paid', 'shipped') NULL,
      PRIMARY KEY (id)
    )`.execute(db);
  },
});

const compatChecked: Prerequisite = {
  id: 'compat:external_order',
  kind: 'compat',
  describe: () => 'compat checks of external_order passed',
  check: async () => ({ met: true, detail: 'passed' }),
};

async function lint(classes: readonly MigrationStepClass[], options: LintOptions = {}): Promise<LintReport> {
  return lintSource(schema.db, MigrationSource.fromClasses([CreateOrders, ...classes]), options);
}

/** The unsuppressed codes found in the steps under test (the base table step is clean). */
function codes(report: LintReport): LintRuleCode[] {
  return report.findings.filter((finding) => !finding.suppressed).map((finding) => finding.code);
}

describe('the rule catalog', () => {
  it('gives every rule a reason and a safe alternative', () => {
    for (const rule of listLintRules()) {
      expect(rule.reason.length).toBeGreaterThan(20);
      expect(rule.alternative.length).toBeGreaterThan(20);
    }
    expect(Object.keys(LINT_RULES)).toHaveLength(15);
  });
});

describe('lintSource on the real server', () => {
  it('finds nothing in steps that use the guarded helpers, and ignores their information_schema reads', async () => {
    const report = await lint([
      step('Migration1700000100AddStatusCode', {
        metadata: { phase: 'expand', release: '1.1.0' },
        update: async (db) => {
          await addColumn(db, 'external_order', 'status_code', 'VARCHAR(32)', { nullable: true });
          await addIndex(db, 'external_order', 'idx_external_order_status_code', ['status_code']);
        },
      }),
    ]);
    expect(report.findings).toEqual([]);
    expect(report.errors).toBe(0);
    expect(report.statements.map((statement) => statement.operations).flat()).toEqual([
      'CREATE TABLE customer',
      'CREATE TABLE external_order',
      'ADD COLUMN external_order.status_code varchar(32) NULL',
      'ADD INDEX external_order.idx_external_order_status_code (status_code)',
    ]);
    expect(report.statements[2]!.locking).toEqual([
      expect.objectContaining({ table: 'external_order', algorithm: 'INSTANT', lock: 'NONE' }),
    ]);
    expect(report.statements[3]!.locking).toEqual([
      expect.objectContaining({ algorithm: 'INPLACE', lock: 'NONE', rebuildsTable: false }),
    ]);
    const leftovers = await sql<{ name: string }>`
      SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'safemig\\_lint\\_%'`.execute(
      schema.db,
    );
    expect(leftovers.rows).toEqual([]);
  });

  it('SM000: reports a statement it cannot parse, and honours a suppression with its reason', async () => {
    const trigger = (name: string, body: string, metadata?: MigrationMetadata) =>
      step(name, {
        metadata: { phase: 'activate', release: '1.1.0', ...metadata },
        update: async (db) => {
          await addColumn(db, 'external_order', 'status_code', 'VARCHAR(32)');
          await createTrigger(
            db,
            { name: 'trg_external_order_status', table: 'external_order', timing: 'BEFORE', event: 'INSERT', body },
            { blueGreen: true },
          );
        },
      });
    const failing = await lint([
      trigger(
        'Migration1700000100ForwardStatus',
        'BEGIN SET NEW.status_code = NEW.legacy_status; SET NEW.status_code = LOWER(NEW.status_code); END',
      ),
    ]);
    expect(codes(failing)).toContain('SM000');
    expect(failing.findings.find((f) => f.code === 'SM000')!.statement).toMatch(/^CREATE TRIGGER/);
    const passing = await lint([
      trigger('Migration1700000100ForwardStatus', 'SET NEW.status_code = NEW.legacy_status'),
    ]);
    expect(codes(passing)).not.toContain('SM000');
    const suppressed = await lint([
      trigger(
        'Migration1700000100ForwardStatus',
        'BEGIN SET NEW.status_code = NEW.legacy_status; SET NEW.status_code = LOWER(NEW.status_code); END',
        { lintSuppressions: [{ code: 'SM000', reason: 'trigger body reviewed by hand' }] },
      ),
    ]);
    expect(suppressed.errors).toBe(0);
    expect(suppressed.findings.find((f) => f.code === 'SM000')!.suppressed).toEqual({
      reason: 'trigger body reviewed by hand',
    });
  });

  it('SM001: flags a drop inside update(), not inside a contract step’s updateDestructive()', async () => {
    const failing = await lint([
      step('Migration1700000100DropLegacy', {
        metadata: { phase: 'expand', release: '1.1.0' },
        update: async (db) => void (await dropColumnIfExists(db, 'external_order', 'legacy_status')),
      }),
    ]);
    expect(failing.findings).toEqual([
      expect.objectContaining({
        code: 'SM001',
        step: 'Migration1700000100DropLegacy',
        phase: 'update',
        table: 'external_order',
        message: 'DROP COLUMN external_order.legacy_status in update().',
      }),
    ]);
    const passing = await lint([
      step('Migration1700000100DropLegacy', {
        metadata: { phase: 'contract', release: '1.1.0', dependsOn: [CreateOrders] },
        destructive: async (db) => void (await dropColumnIfExists(db, 'external_order', 'legacy_status')),
      }),
    ]);
    expect(codes(passing)).toEqual([]);
    expect(passing.statements.at(-1)).toMatchObject({
      phase: 'updateDestructive',
      destructive: ['DROP COLUMN external_order.legacy_status'],
    });
  });

  it('SM002: flags a rename inside update()', async () => {
    const failing = await lint([
      step('Migration1700000100RenameStatus', {
        update: async (db) =>
          void (await sql`ALTER TABLE external_order RENAME COLUMN legacy_status TO old_status`.execute(db)),
      }),
    ]);
    expect(codes(failing)).toEqual(['SM002']);
    const passing = await lint([
      step('Migration1700000100RenameStatus', {
        update: async (db) => void (await addColumn(db, 'external_order', 'old_status', 'VARCHAR(64)')),
      }),
    ]);
    expect(codes(passing)).toEqual([]);
  });

  it('SM003: flags ADD COLUMN NOT NULL without DEFAULT on an existing table', async () => {
    const failing = await lint([
      step('Migration1700000100AddChannel', {
        update: async (db) =>
          void (await addColumn(db, 'external_order', 'channel', 'VARCHAR(32)', { nullable: false })),
      }),
    ]);
    expect(codes(failing)).toEqual(['SM003']);
    const passing = await lint([
      step('Migration1700000100AddChannel', {
        update: async (db) =>
          void (await addColumn(db, 'external_order', 'channel', 'VARCHAR(32)', { nullable: false, default: 'web' })),
      }),
    ]);
    expect(codes(passing)).toEqual([]);
  });

  it('SM004: flags NULL -> NOT NULL unless the step requires a compat check', async () => {
    const tighten = (requires: Prerequisite[]) =>
      step('Migration1700000100TightenStatus', {
        metadata: { phase: 'contract', release: '1.1.0', dependsOn: [CreateOrders], requires },
        destructive: async (db) =>
          void (await sql`ALTER TABLE external_order MODIFY legacy_status VARCHAR(64) NOT NULL`.execute(db)),
      });
    const failing = await lint([tighten([])]);
    expect(codes(failing)).toEqual(['SM004']);
    expect(failing.findings[0]).toMatchObject({
      phase: 'updateDestructive',
      alternative: LINT_RULES.SM004.alternative,
    });
    expect(codes(await lint([tighten([compatChecked])]))).toEqual([]);
  });

  it('SM005: flags a new UNIQUE index on an existing table unless the step requires a compat check', async () => {
    const unique = (requires: Prerequisite[]) =>
      step('Migration1700000100UniqueStatus', {
        metadata: { phase: 'contract', release: '1.1.0', dependsOn: [CreateOrders], requires },
        update: async (db) =>
          void (await addIndex(db, 'external_order', 'uniq_external_order_status', ['legacy_status'], {
            unique: true,
          })),
      });
    expect(codes(await lint([unique([])]))).toEqual(['SM005']);
    expect(codes(await lint([unique([compatChecked])]))).toEqual([]);
    const newTable = await lint([
      step('Migration1700000100CreateRefs', {
        update: async (db) =>
          void (await sql`CREATE TABLE IF NOT EXISTS order_ref (id INT NOT NULL PRIMARY KEY, ref VARCHAR(64) NOT NULL, UNIQUE KEY uniq_ref (ref))`.execute(
            db,
          )),
      }),
    ]);
    expect(codes(newTable)).toEqual([]);
  });

  it('SM006: flags a column type change or narrowing', async () => {
    const failing = await lint([
      step('Migration1700000100NarrowStatus', {
        metadata: { phase: 'contract', release: '1.1.0', dependsOn: [CreateOrders] },
        destructive: async (db) =>
          void (await sql`ALTER TABLE external_order MODIFY legacy_status VARCHAR(16) NULL`.execute(db)),
      }),
    ]);
    expect(failing.findings).toEqual([
      expect.objectContaining({
        code: 'SM006',
        message:
          'external_order.legacy_status changes type from varchar(64) to varchar(16) (narrowing: values may not fit).',
      }),
    ]);
    const passing = await lint([
      step('Migration1700000100NarrowStatus', {
        metadata: { phase: 'expand', release: '1.1.0' },
        update: async (db) => void (await addColumn(db, 'external_order', 'status_short', 'VARCHAR(16)')),
      }),
    ]);
    expect(codes(passing)).toEqual([]);
  });

  it('SM007: flags an ENUM reorder or removal, not an append', async () => {
    const change = (type: string) =>
      step('Migration1700000100ChangeEnum', {
        metadata: { phase: 'contract', release: '1.1.0', dependsOn: [CreateOrders] },
        destructive: async (db) =>
          void (await sql`ALTER TABLE external_order MODIFY status ${sql.raw(type)} NULL`.execute(db)),
      });
    expect(codes(await lint([change("ENUM('paid', 'new', 'shipped')")]))).toEqual(['SM007']);
    const removal = await lint([change("ENUM('new', 'paid')")]);
    expect(removal.findings[0]?.message).toMatch(/removes 'shipped'/);
    const append = await lint([change("ENUM('new', 'paid', 'shipped', 'cancelled')")]);
    expect(codes(append)).toEqual([]);
    expect(append.statements.at(-1)!.locking[0]).toMatchObject({ algorithm: 'INSTANT' });
  });

  it('SM008: flags ALGORITHM=COPY, not ALGORITHM=INSTANT', async () => {
    const add = (algorithm: string) =>
      step('Migration1700000100AddNote', {
        update: async (db) => {
          if (await columnExists(db, 'external_order', 'note')) return;
          await sql`ALTER TABLE external_order ADD COLUMN note VARCHAR(10) NULL, ALGORITHM=${sql.raw(algorithm)}`.execute(
            db,
          );
        },
      });
    const failing = await lint([add('COPY')]);
    expect(codes(failing)).toEqual(['SM008']);
    expect(failing.statements.at(-1)!.locking[0]).toMatchObject({ algorithm: 'COPY', lock: 'SHARED' });
    expect(codes(await lint([add('INSTANT')]))).toEqual([]);
  });

  it('SM009: flags a copying change of a table that is large in the target database', async () => {
    await sql`CREATE TABLE external_order (id INT NOT NULL PRIMARY KEY, legacy_status VARCHAR(64) NULL)`.execute(
      schema.db,
    );
    try {
      await sql`INSERT INTO external_order (id) VALUES ${sql.join(Array.from({ length: 40 }, (_, i) => sql`(${i + 1})`))}`.execute(
        schema.db,
      );
      await sql`ANALYZE TABLE external_order`.execute(schema.db);
      const widen = step('Migration1700000100WidenStatus', {
        metadata: {
          phase: 'contract',
          release: '1.1.0',
          dependsOn: [CreateOrders],
          lintSuppressions: [{ code: 'SM006', reason: 'widening only; reviewed' }],
        },
        destructive: async (db) =>
          void (await sql`ALTER TABLE external_order MODIFY legacy_status VARCHAR(128) NULL`.execute(db)),
      });
      const failing = await lint([widen], { largeTableRows: 10 });
      expect(codes(failing)).toEqual(['SM009']);
      expect(failing.findings.find((f) => f.code === 'SM009')!.message).toMatch(
        /ALGORITHM=COPY, LOCK=SHARED on external_order, which holds about \d+ rows/,
      );
      expect(codes(await lint([widen], { largeTableRows: 1_000_000 }))).toEqual([]);
      expect(codes(await lint([widen], { largeTableRows: 10, useTargetRowEstimates: false }))).toEqual([]);
      const instant = step('Migration1700000100AddNote', {
        update: async (db) => void (await addColumn(db, 'external_order', 'note', 'VARCHAR(10)')),
      });
      expect(codes(await lint([instant], { largeTableRows: 10 }))).toEqual([]);
    } finally {
      await sql`DROP TABLE external_order`.execute(schema.db);
    }
  });

  it('SM010: flags a foreign key without a supporting index', async () => {
    const addKey = async (db: Kysely<any>) => {
      if (await foreignKeyExists(db, 'external_order', 'fk_external_order_customer')) return;
      await sql`ALTER TABLE external_order ADD CONSTRAINT fk_external_order_customer FOREIGN KEY (customer_id) REFERENCES customer (id)`.execute(
        db,
      );
    };
    const failing = await lint([step('Migration1700000100CustomerKey', { update: addKey })]);
    expect(codes(failing)).toEqual(['SM010']);
    expect(failing.statements.at(-1)!.locking[0]).toMatchObject({ algorithm: 'COPY' });
    const passing = await lint([
      step('Migration1700000100CustomerKey', {
        update: async (db) => {
          await addIndex(db, 'external_order', 'idx_external_order_customer', ['customer_id']);
          await addKey(db);
        },
      }),
    ]);
    expect(codes(passing)).toEqual([]);
  });

  it('SM011: flags an unbatched UPDATE over a whole table, not a key-range batch', async () => {
    const failing = await lint([
      step('Migration1700000100FillStatus', {
        update: async (db) =>
          void (await sql`UPDATE external_order SET status = 'new' WHERE status IS NULL`.execute(db)),
      }),
    ]);
    expect(codes(failing)).toEqual(['SM011']);
    const passing = await lint([
      step('Migration1700000100FillStatus', {
        update: async (db) =>
          void (await sql`UPDATE external_order SET status = 'new' WHERE id BETWEEN ${1} AND ${1000} AND status IS NULL`.execute(
            db,
          )),
      }),
    ]);
    expect(codes(passing)).toEqual([]);
  });

  it('SM012: flags CREATE without an existence guard', async () => {
    const failing = await lint([
      step('Migration1700000100CreateAudit', {
        update: async (db) => {
          await sql`CREATE TABLE order_audit (id INT NOT NULL PRIMARY KEY, order_id INT NOT NULL)`.execute(db);
          await sql`CREATE INDEX idx_order_audit_order ON order_audit (order_id)`.execute(db);
        },
      }),
    ]);
    expect(codes(failing)).toEqual(['SM012', 'SM012']);
    const passing = await lint([
      step('Migration1700000100CreateAudit', {
        update: async (db) => {
          await sql`CREATE TABLE IF NOT EXISTS order_audit (id INT NOT NULL PRIMARY KEY, order_id INT NOT NULL)`.execute(
            db,
          );
          await addIndex(db, 'order_audit', 'idx_order_audit_order', ['order_id']);
        },
      }),
    ]);
    expect(codes(passing)).toEqual([]);
  });

  it('SM013: flags destructive work in updateDestructive() of a step that is not a contract step', async () => {
    const drop = (phase: 'expand' | 'contract') =>
      step('Migration1700000100DropLegacy', {
        metadata: { phase, release: '1.1.0', dependsOn: [CreateOrders] },
        destructive: async (db) => void (await dropColumnIfExists(db, 'external_order', 'legacy_status')),
      });
    expect(codes(await lint([drop('expand')]))).toEqual(['SM013']);
    expect(codes(await lint([drop('contract')]))).toEqual([]);
  });

  it('SM014: reports a step that throws on the scratch schema and skips its destructive part', async () => {
    const failing = await lint([
      step('Migration1700000100Broken', {
        update: async (db) => void (await sql`INSERT INTO no_such_table (id) VALUES (1)`.execute(db)),
        destructive: async (db) => void (await dropColumnIfExists(db, 'external_order', 'legacy_status')),
      }),
    ]);
    expect(failing.findings).toEqual([
      expect.objectContaining({ code: 'SM014', phase: 'update', message: expect.stringMatching(/no_such_table/) }),
    ]);
    const passing = await lint([
      step('Migration1700000100Broken', {
        update: async (db) =>
          void (await sql`INSERT INTO customer (id) SELECT 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM customer WHERE id = 1)`.execute(
            db,
          )),
      }),
    ]);
    expect(codes(passing)).toEqual([]);
  });
});

describe('hostSchema', () => {
  const ReferencesHostTable = step('Migration1700000900ReferencesHost', {
    metadata: { phase: 'expand', release: '1.1.0' },
    update: async (db) => {
      await sql`CREATE TABLE IF NOT EXISTS plugin_note (
        id INT NOT NULL, sales_channel_id INT NULL, PRIMARY KEY (id), KEY idx_plugin_note_channel (sales_channel_id),
        CONSTRAINT fk_plugin_note_channel FOREIGN KEY (sales_channel_id) REFERENCES sales_channel (id))`.execute(db);
    },
  });
  const source = MigrationSource.fromClasses([ReferencesHostTable]);

  it('creates the host application tables before the first step, so steps that reference them can be checked', async () => {
    const without = await lintSource(schema.db, source);
    expect(without.findings.map((finding) => finding.code)).toEqual(['SM014']);
    const withHost = await lintSource(schema.db, source, {
      hostSchema: async (scratch) => {
        await sql`CREATE TABLE sales_channel (id INT NOT NULL, PRIMARY KEY (id))`.execute(scratch);
      },
    });
    expect(withHost.findings).toEqual([]);
    // The host's own CREATE TABLE is not one of the plugin's statements.
    expect(withHost.statements.map((statement) => statement.sql)).toEqual([
      expect.stringMatching(/^CREATE TABLE IF NOT EXISTS plugin_note/),
    ]);
  });
});

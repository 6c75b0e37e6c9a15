// Measures the testkit at Shopware's scale: snapshotSchema/snapshotData on a generated 300-table schema (15 columns,
// 3 secondary indexes and 1-2 foreign keys per table, plus triggers and views), and the overhead assertIdempotent adds
// to one step (everything but the step's own SQL). Creates and drops its own schema. Run: npm run bench -- testkit
import { sql, type Kysely } from 'kysely';
import { addColumn, dropColumnIfExists, dropIndexIfExists, getServerInfo, MigrationStep } from '@safemig/core';
import {
  assertIdempotent,
  createTestDatabase,
  snapshotData,
  snapshotSchema,
  type IdempotencyReport,
} from '@safemig/testkit';

const TABLES = 300;
const TRIGGERS = 20;
const VIEWS = 10;
const ROWS_PER_TABLE = 20;
const SNAPSHOT_ITERATIONS = 15;
const HARNESS_ITERATIONS = 5;
const TARGET_SNAPSHOT_MS = 250;

const table = (index: number) => `bench_entity_${String(index).padStart(3, '0')}`;

async function createShopwareScaleSchema(db: Kysely<any>, tables: number): Promise<void> {
  for (let index = 0; index < tables; index++) {
    const name = table(index);
    const parent = index > 0 ? table(index - 1) : undefined;
    const root = index > 1 ? table(0) : undefined;
    const foreignKeys = [
      parent && `CONSTRAINT fk_${name}_parent FOREIGN KEY (parent_id) REFERENCES ${parent} (id) ON DELETE SET NULL`,
      root &&
        `CONSTRAINT fk_${name}_root FOREIGN KEY (root_id) REFERENCES ${root} (id) ON DELETE CASCADE ON UPDATE CASCADE`,
    ].filter(Boolean);
    await sql
      .raw(
        `CREATE TABLE ${name} (
          id BINARY(16) NOT NULL,
          version_id BINARY(16) NOT NULL,
          parent_id BINARY(16) NULL,
          root_id BINARY(16) NULL,
          technical_name VARCHAR(255) NOT NULL,
          label VARCHAR(255) NULL COMMENT 'translated in the admin',
          position INT NOT NULL DEFAULT 1,
          active TINYINT(1) NOT NULL DEFAULT 1,
          price DECIMAL(12,2) UNSIGNED NULL,
          custom_fields JSON NULL,
          description LONGTEXT NULL,
          payload BLOB NULL,
          status ENUM('open','done') NOT NULL DEFAULT 'open',
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          updated_at DATETIME(3) NULL ON UPDATE CURRENT_TIMESTAMP(3),
          PRIMARY KEY (id, version_id),
          UNIQUE KEY uniq_${name}_technical_name (technical_name(191)),
          KEY idx_${name}_position (position, created_at DESC),
          KEY idx_${name}_id (id),
          ${foreignKeys.length > 0 ? `${foreignKeys.join(',\n')},` : ''}
          CONSTRAINT chk_${name}_position CHECK (position >= 0)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
      )
      .execute(db);
  }
  for (let index = 0; index < Math.min(TRIGGERS, tables); index++) {
    await sql
      .raw(
        `CREATE TRIGGER trg_${table(index)} BEFORE INSERT ON ${table(index)} FOR EACH ROW SET NEW.label = COALESCE(NEW.label, NEW.technical_name)`,
      )
      .execute(db);
  }
  for (let index = 0; index < Math.min(VIEWS, tables); index++) {
    await sql
      .raw(`CREATE VIEW view_${table(index)} AS SELECT id, technical_name FROM ${table(index)} WHERE active = 1`)
      .execute(db);
  }
}

async function fillRows(db: Kysely<any>, tables: number, rows: number): Promise<void> {
  for (let index = 0; index < tables; index++) {
    await sql
      .raw(
        `INSERT INTO ${table(index)} (id, version_id, technical_name, price, custom_fields, payload)
         WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
         SELECT UNHEX(MD5(CONCAT('${index}-', i))), UNHEX(MD5('live')), CONCAT('name-', i), i * 1.5,
                JSON_OBJECT('i', i), UNHEX(MD5(i)) FROM n`,
      )
      .execute(db);
  }
}

async function timed(iterations: number, work: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < iterations; run++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times;
}

function stats(times: readonly number[]): { min: number; median: number; p95: number; max: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { min: sorted[0]!, median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1]! };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** One expand step of the usual kind, guarded by the core helpers. */
class Migration1700000500AddBenchFlag extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000500;
  }
  async update(db: Kysely<any>): Promise<void> {
    await this.addColumn(db, table(1), 'bench_flag', 'TINYINT(1)', { nullable: false, default: 0 });
    await this.addIndex(db, table(1), `idx_${table(1)}_bench_flag`, ['bench_flag']);
  }
  override async updateDestructive(db: Kysely<any>): Promise<void> {
    await this.dropColumnIfExists(db, table(1), 'label');
  }
}

async function harnessOverhead(db: Kysely<any>): Promise<IdempotencyReport[]> {
  const reports: IdempotencyReport[] = [];
  for (let run = 0; run < HARNESS_ITERATIONS; run++) {
    // Back to the state before the step, so every iteration does the same work.
    await dropIndexIfExists(db, table(1), `idx_${table(1)}_bench_flag`);
    await dropColumnIfExists(db, table(1), 'bench_flag');
    await addColumn(db, table(1), 'label', 'VARCHAR(255)', { nullable: true, after: 'technical_name' });
    reports.push(await assertIdempotent(Migration1700000500AddBenchFlag, { db }));
  }
  return reports;
}

async function main(): Promise<void> {
  const testDb = await createTestDatabase({ report: () => undefined });
  const small = await createTestDatabase({ report: () => undefined });
  try {
    const server = await getServerInfo(testDb.db);
    const setupStarted = performance.now();
    await createShopwareScaleSchema(testDb.db, TABLES);
    await fillRows(testDb.db, TABLES, ROWS_PER_TABLE);
    await createShopwareScaleSchema(small.db, 5);
    const setupMs = performance.now() - setupStarted;

    const cold = await timed(1, () => snapshotSchema(testDb.db));
    const schemaSnapshot = await snapshotSchema(testDb.db);
    const columns = Object.values(schemaSnapshot.tables).reduce((sum, t) => sum + Object.keys(t.columns).length, 0);
    const indexes = Object.values(schemaSnapshot.tables).reduce((sum, t) => sum + Object.keys(t.indexes).length, 0);
    const foreignKeys = Object.values(schemaSnapshot.tables).reduce(
      (sum, t) => sum + Object.keys(t.foreignKeys).length,
      0,
    );
    const schemaTimes = stats(await timed(SNAPSHOT_ITERATIONS, () => snapshotSchema(testDb.db)));
    const dataTimes = stats(await timed(SNAPSHOT_ITERATIONS, () => snapshotData(testDb.db)));

    const large = await harnessOverhead(testDb.db);
    const smallReports = await harnessOverhead(small.db);
    const overhead = (reports: IdempotencyReport[]) => stats(reports.map((report) => report.totalMs - report.stepMs));
    const stepTime = (reports: IdempotencyReport[]) => stats(reports.map((report) => report.stepMs));
    const largeOverhead = overhead(large);
    const smallOverhead = overhead(smallReports);

    console.log(
      `Server: ${server.version}; Node ${process.version}; schema setup ${ms(setupMs)} (not measured below).`,
    );
    console.log(
      `Schema: ${Object.keys(schemaSnapshot.tables).length} tables, ${columns} columns, ${indexes} indexes (incl. PRIMARY and FK indexes), ${foreignKeys} foreign keys, ${Object.keys(schemaSnapshot.triggers).length} triggers, ${Object.keys(schemaSnapshot.views).length} views; ${ROWS_PER_TABLE} rows per table.\n`,
    );
    console.log('| Measurement | Runs | Min | Median | p95 | Max | Target |');
    console.log('|---|---|---|---|---|---|---|');
    console.log(`| snapshotSchema, first (cold) call | 1 | ${ms(cold[0]!)} | | | | |`);
    const target =
      schemaTimes.median < TARGET_SNAPSHOT_MS
        ? `< ${TARGET_SNAPSHOT_MS} ms: met`
        : `< ${TARGET_SNAPSHOT_MS} ms: MISSED`;
    console.log(
      `| snapshotSchema, 300 tables | ${SNAPSHOT_ITERATIONS} | ${ms(schemaTimes.min)} | ${ms(schemaTimes.median)} | ${ms(schemaTimes.p95)} | ${ms(schemaTimes.max)} | ${target} |`,
    );
    console.log(
      `| snapshotData, 300 tables x ${ROWS_PER_TABLE} rows | ${SNAPSHOT_ITERATIONS} | ${ms(dataTimes.min)} | ${ms(dataTimes.median)} | ${ms(dataTimes.p95)} | ${ms(dataTimes.max)} | |`,
    );
    for (const [label, reports, overheadStats] of [
      ['300-table schema', large, largeOverhead],
      ['5-table schema', smallReports, smallOverhead],
    ] as const) {
      const steps = stepTime(reports);
      console.log(
        `| assertIdempotent overhead per step (2x update + 2x updateDestructive, 4 snapshots), ${label} | ${HARNESS_ITERATIONS} | ${ms(overheadStats.min)} | ${ms(overheadStats.median)} | ${ms(overheadStats.p95)} | ${ms(overheadStats.max)} | |`,
      );
      console.log(
        `| ... the step's own SQL in those runs, ${label} | ${HARNESS_ITERATIONS} | ${ms(steps.min)} | ${ms(steps.median)} | ${ms(steps.p95)} | ${ms(steps.max)} | |`,
      );
    }
  } finally {
    await Promise.all([testDb.destroy(), small.destroy()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

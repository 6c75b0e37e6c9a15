// The full compat check set on a 1M-row legacy table (target: under 10 s). Creates and drops its own schema.
import { randomBytes } from 'node:crypto';
import { runCheck, type CheckDefinitionInput } from '@safemig/compat';
import { createDatabase, DEFAULT_DATABASE_URL, parseDatabaseConfig, quoteIdentifier } from '@safemig/core';
import { sql } from 'kysely';

const ROWS = 1_000_000;

const CHECKS: CheckDefinitionInput[] = [
  { id: 'status', type: 'nullability', table: 'legacy', column: 'status', emptyStrings: true },
  { id: 'paid-at', type: 'defaults', table: 'legacy', add: { column: 'paid_at', type: 'DATETIME' } },
  {
    id: 'price',
    type: 'format',
    table: 'legacy',
    column: 'price_text',
    canonical: 'decimal',
    formats: [
      { name: 'decimal', regexp: '^[0-9]+\\.[0-9]{2}$' },
      { name: 'comma-currency', regexp: '^[0-9]+,[0-9]{2} [A-Z]{3}$' },
    ],
  },
  {
    id: 'payload',
    type: 'format',
    table: 'legacy',
    column: 'payload',
    expectJson: true,
    formats: [
      { name: 'v3', jsonPath: '$.v', jsonEquals: 3 },
      { name: 'v2', jsonPath: '$.version', jsonEquals: 2 },
      { name: 'v1', jsonPath: '$.amount' },
    ],
  },
  { id: 'email', type: 'unique', table: 'legacy', columns: ['email'], collation: 'utf8mb4_unicode_ci' },
  { id: 'sku', type: 'type-change', table: 'legacy', column: 'sku', to: 'VARCHAR(10)' },
  { id: 'amount', type: 'type-change', table: 'legacy', column: 'amount', to: 'DECIMAL(6,2)' },
  { id: 'birthday', type: 'dates', table: 'legacy', column: 'birthday' },
  { id: 'name', type: 'charset', table: 'legacy', column: 'name', target: 'utf8mb3' },
  {
    id: 'group',
    type: 'orphans',
    table: 'legacy',
    columns: ['group_id'],
    references: { table: 'legacy_group', columns: ['id'] },
  },
];

async function main(): Promise<void> {
  const server = parseDatabaseConfig(
    process.env.SAFEMIG_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
  );
  const name = `safemig_bench_${randomBytes(4).toString('hex')}`;
  const admin = createDatabase(server.withDatabase(undefined));
  await sql`CREATE DATABASE ${sql.raw(quoteIdentifier(name))} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(
    admin,
  );
  const db = createDatabase(server.withDatabase(name));
  try {
    const seedStarted = performance.now();
    await db.connection().execute(async (connection) => {
      await sql`SET SESSION sql_mode = 'ALLOW_INVALID_DATES'`.execute(connection);
      await sql`CREATE TABLE digits (d INT PRIMARY KEY)`.execute(connection);
      await sql`INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)`.execute(connection);
      await sql`CREATE TABLE legacy_group (id INT PRIMARY KEY)`.execute(connection);
      await sql`INSERT INTO legacy_group SELECT a.d * 10 + b.d FROM digits a CROSS JOIN digits b`.execute(connection);
      await sql`CREATE TABLE legacy (
        id INT PRIMARY KEY, email VARCHAR(100) NULL, status VARCHAR(20) NULL, price_text VARCHAR(30) NULL, payload TEXT NULL,
        birthday DATE NULL, name VARCHAR(60) NULL, sku VARCHAR(40) NULL, amount DECIMAL(12,3) NULL, group_id INT NULL
      )`.execute(connection);
      // One INSERT ... SELECT over a 10^6 cross join; anomalies at fixed rates by id.
      await sql`INSERT INTO legacy
        SELECT n,
          CASE WHEN n % 1000 = 0 THEN UPPER(CONCAT('user', n - 1, '@example.com')) WHEN n % 97 = 0 THEN NULL ELSE CONCAT('user', n, '@example.com') END,
          CASE WHEN n % 50 = 0 THEN NULL WHEN n % 51 = 0 THEN '' ELSE 'active' END,
          CASE WHEN n % 10 = 0 THEN CONCAT(n % 100, ',50 EUR') WHEN n % 333 = 0 THEN 'n/a' ELSE CONCAT(n % 100, '.50') END,
          CASE n % 4 WHEN 0 THEN CONCAT('{"amount":', n % 100, '}') WHEN 1 THEN CONCAT('{"version":2,"amount":"', n % 100, '"}')
                     WHEN 2 THEN CONCAT('{"v":3,"payload":{"amount":', n % 100, '}}') ELSE IF(n % 1001 = 3, '{bad', '{"v":3}') END,
          CASE WHEN n % 500 = 0 THEN '0000-00-00' WHEN n % 777 = 0 THEN '2020-02-30' ELSE DATE_ADD('1950-01-01', INTERVAL n % 20000 DAY) END,
          CASE WHEN n % 400 = 0 THEN 'Jürgen 😀' WHEN n % 401 = 0 THEN 'JÃ¼rgen' ELSE CONCAT('name', n) END,
          CASE WHEN n % 250 = 0 THEN CONCAT('SKU-LONG-', n) ELSE CONCAT('S', n % 100000) END,
          CASE WHEN n % 300 = 0 THEN 12345.5 ELSE (n % 1000) / 8 END,
          CASE WHEN n % 600 = 0 THEN 1000 + n % 7 WHEN n % 601 = 0 THEN NULL ELSE n % 100 END
        FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d + 1 AS n
              FROM digits a CROSS JOIN digits b CROSS JOIN digits c CROSS JOIN digits e CROSS JOIN digits f CROSS JOIN digits g) numbers`.execute(
        connection,
      );
      await sql`SET SESSION sql_mode = DEFAULT`.execute(connection);
    });
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const rows: string[] = [];
    let total = 0;
    for (const check of CHECKS) {
      const started = performance.now();
      const findings = await runCheck(db, check);
      const seconds = (performance.now() - started) / 1000;
      total += seconds;
      const counts = findings.map((finding) => `${finding.kind}=${finding.count}`).join(', ');
      rows.push(`| ${check.id} | ${check.type} | ${seconds.toFixed(2)} | ${counts} |`);
    }
    console.log(
      `${ROWS.toLocaleString('en-US')} rows seeded in ${seedSeconds.toFixed(1)} s (one INSERT ... SELECT).\n`,
    );
    console.log('| check | type | seconds | findings |');
    console.log('| --- | --- | ---: | --- |');
    for (const row of rows) console.log(row);
    console.log(
      `| **all ${CHECKS.length} checks** | | **${total.toFixed(2)}** | target < 10 s: ${total < 10 ? 'met' : 'MISSED'} |`,
    );
  } finally {
    await db.destroy();
    await sql`DROP DATABASE IF EXISTS ${sql.raw(quoteIdentifier(name))}`.execute(admin);
    await admin.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

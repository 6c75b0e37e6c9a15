import {
  DEFAULT_DATABASE_URL,
  MigrationSource,
  Migrator,
  parseDatabaseConfig,
  createDatabase,
  quoteIdentifier,
} from '@safemig/core';
import { sql } from 'kysely';
import { Migration1700000000ExternalOrder } from '../Migration/Migration1700000000ExternalOrder';
import { ANOMALIES, seedLegacyOrders, type Anomaly } from './seed-legacy-orders';

const USAGE = `usage: npm run example:seed -- [--rows N] [--seed S] [--rate <anomaly>=<share> ...] [--database-url URL]

Seeds release 1.0's external_order table with deterministic legacy orders (the same seed gives the same rows).
The schema of the URL (default: DATABASE_URL, else ${DEFAULT_DATABASE_URL.replace(/\/test$/, '/safemig_demo')}) is created
if missing; the release 1.0 migration runs first. Anomalies: ${ANOMALIES.join(', ')}.`;

/** `npm run example:seed -- --rows 1000000 --rate invalidJson=0.02`. */
async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  let rows = 10_000;
  let seed: number | undefined;
  let url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL.replace(/\/test$/, '/safemig_demo');
  const rates: Partial<Record<Anomaly, number>> = {};
  for (let index = 0; index < argv.length; index += 2) {
    const [flag, value] = [argv[index], argv[index + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value\n\n${USAGE}`);
    if (flag === '--rows') rows = Number(value);
    else if (flag === '--seed') seed = Number(value);
    else if (flag === '--database-url') url = value;
    else if (flag === '--rate') {
      const [anomaly, share] = value.split('=');
      if (!ANOMALIES.includes(anomaly as Anomaly))
        throw new Error(`unknown anomaly ${anomaly}; use one of ${ANOMALIES.join(', ')}`);
      rates[anomaly as Anomaly] = Number(share);
    } else throw new Error(`unknown option ${flag}\n\n${USAGE}`);
  }
  const config = parseDatabaseConfig(url);
  if (!config.database) throw new Error(`${config.redactedUrl} names no schema: add one, e.g. /safemig_demo`);
  const admin = createDatabase(config.withDatabase(undefined));
  try {
    await sql`CREATE DATABASE IF NOT EXISTS ${sql.raw(quoteIdentifier(config.database))} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(
      admin,
    );
  } finally {
    await admin.destroy();
  }
  const db = createDatabase(config);
  try {
    const source = MigrationSource.fromClasses([Migration1700000000ExternalOrder], {
      namespace: 'ExternalOrders\\Migration',
    });
    await new Migrator({ db, source }).migrate();
    const started = Date.now();
    const result = await seedLegacyOrders(db, { rows, ...(seed === undefined ? {} : { seed }), rates });
    console.log(
      `seeded ${result.rows} legacy orders into ${config.redactedUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    console.log(`payload formats: ${JSON.stringify(result.formats)}`);
    console.log(`anomalies: ${JSON.stringify(result.anomalies)}`);
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});

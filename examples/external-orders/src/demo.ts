import { join } from 'node:path';
import {
  connectDatabase,
  createDatabase,
  DEFAULT_DATABASE_URL,
  MigrationSource,
  Migrator,
  parseDatabaseConfig,
  quoteIdentifier,
  type MigrationStatus,
} from '@safemig/core';
import { sql } from 'kysely';

/** The schema the demo (re)creates, so it never touches anything else on the server. */
const DEMO_SCHEMA = 'safemig_demo';

async function main(): Promise<void> {
  const server = parseDatabaseConfig(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL).withDatabase(undefined);
  console.log(`safemig demo: using ${server.redactedUrl}, schema ${DEMO_SCHEMA}`);
  const admin = await connectDatabase(server);
  try {
    await sql`DROP DATABASE IF EXISTS ${sql.raw(quoteIdentifier(DEMO_SCHEMA))}`.execute(admin);
    await sql`CREATE DATABASE ${sql.raw(quoteIdentifier(DEMO_SCHEMA))} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(
      admin,
    );
  } finally {
    await admin.destroy();
  }

  const db = createDatabase(server.withDatabase(DEMO_SCHEMA));
  try {
    const source = MigrationSource.fromDirectory(join(__dirname, 'Migration'), {
      namespace: 'ExternalOrders\\Migration',
    });
    const migrator = new Migrator({ db, source });
    migrator.on('progress', (event) => {
      if (event.type === 'step:done')
        console.log(`  ${event.className}.${event.mode}() done in ${event.durationMs} ms`);
    });
    printStatus('before', await migrator.status());
    const result = await migrator.migrate();
    console.log(`migrate: ${result.executed.length} step(s) ran`);
    const again = await migrator.migrate();
    console.log(`migrate again: ${again.executed.length} step(s) ran (already executed steps are skipped)`);
    printStatus('after', await migrator.status());
  } finally {
    await db.destroy();
  }
}

function printStatus(label: string, status: readonly MigrationStatus[]): void {
  console.log(`status ${label}:`);
  for (const step of status) {
    console.log(`  ${step.name.padEnd(40)} ${step.state.padEnd(9)} update=${step.update?.toISOString() ?? '-'}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

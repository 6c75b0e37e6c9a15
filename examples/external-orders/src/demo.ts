import { join } from 'node:path';
import { createDatabase, quoteIdentifier, type DatabaseConfig } from '@safemig/core';
import { dropTableSnapshot, findTestServer, listTableSnapshots } from '@safemig/testkit';
import { sql } from 'kysely';
import { runExternalOrdersRollout } from './rollout';

/** The schema the demo (re)creates, so it never touches anything else on the server. */
const DEMO_SCHEMA = 'safemig_demo';

/**
 * `npm run example [-- --rows N]`: the whole ExternalOrders rollout against a server that is found or started for it
 * (DATABASE_URL, the local server, a container, or a throwaway mariadbd), with a short report at the end.
 */
async function main(): Promise<void> {
  const rows = rowsArgument(process.argv.slice(2));
  const server = await findTestServer({ report: (line) => console.log(`  ${line}`) });
  try {
    console.log(`safemig demo: ${server.description}, schema ${DEMO_SCHEMA}, ${rows} legacy orders`);
    const config = await freshSchema(server.config);
    const report = await runExternalOrdersRollout({
      config,
      rows,
      configFile: join(__dirname, 'safemig.config.js'),
      planFile: join(__dirname, '..', 'migrations.plan.json'),
      out: (text) => process.stdout.write(text),
      isTTY: Boolean(process.stderr.isTTY),
    });
    console.log('\n==> Report');
    console.log(`  legacy orders seeded:        ${report.seeded.rows}`);
    console.log(
      `  backfilled:                  ${report.backfill.updated} updated, ${report.backfill.failed} failed (error table)`,
    );
    console.log(`  live orders after contract:  ${report.liveOrders}`);
    console.log(`  quarantined for review:      ${report.quarantined}`);
    console.log(`  validation checklist:        exit ${report.validateExitCode} (0: every automated item passed)`);
    console.log(
      `  rollback check to 1.1.0:     exit ${report.rollbackCheckExitCode} (refused after the contract: restore snapshot before_1_2_0)`,
    );
    console.log(`  total time:                  ${(report.durationMs / 1000).toFixed(1)} s`);
    console.log(`\nThe schema ${DEMO_SCHEMA} is left in place to inspect, e.g. from examples/external-orders:`);
    console.log(`  npx safemig --config dist/safemig.config.js --database-url ${config.redactedUrl} status`);
    if (report.validateExitCode !== 0) process.exitCode = 1;
  } finally {
    await server.release();
  }
}

async function freshSchema(server: DatabaseConfig): Promise<DatabaseConfig> {
  const admin = createDatabase(server.withDatabase(undefined));
  try {
    await sql`DROP DATABASE IF EXISTS ${sql.raw(quoteIdentifier(DEMO_SCHEMA))}`.execute(admin);
    // The snapshot an earlier demo took of its schema goes with it.
    const { snapshots } = await listTableSnapshots(admin, { allSchemas: true });
    for (const snapshot of snapshots.filter((candidate) => candidate.sourceSchema === DEMO_SCHEMA)) {
      await dropTableSnapshot(admin, snapshot.name);
    }
    await sql`CREATE DATABASE ${sql.raw(quoteIdentifier(DEMO_SCHEMA))} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(
      admin,
    );
  } finally {
    await admin.destroy();
  }
  return server.withDatabase(DEMO_SCHEMA);
}

function rowsArgument(args: readonly string[]): number {
  const index = args.indexOf('--rows');
  if (index === -1) return 10_000;
  const value = Number(args[index + 1]);
  if (!Number.isInteger(value) || value < 100) throw new Error('--rows takes a whole number of at least 100');
  return value;
}

main().catch((error: unknown) => {
  console.error(`\nsafemig demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});

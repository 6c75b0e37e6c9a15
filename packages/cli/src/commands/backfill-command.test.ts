import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { CliContext, type GlobalOptions } from '../cli-context';
import { EXIT_CODES } from '../exit-codes';
import { runCli } from '../program';
import { BACKFILL_COMMAND_CODES, registerBackfillCommand } from './backfill-command';

let schema: TestSchema;
let project: string;
beforeAll(async () => {
  schema = await createTestSchema();
  await sql`CREATE TABLE external_order (id INT NOT NULL PRIMARY KEY, legacy_status CHAR(1) NULL, status VARCHAR(16) NULL) ENGINE=InnoDB`.execute(
    schema.db,
  );
  await sql`INSERT INTO external_order (id, legacy_status) VALUES (1, 'P'), (2, 'O'), (3, 'X'), (4, 'P')`.execute(
    schema.db,
  );
  await sql`CREATE TABLE bulk_order (id INT NOT NULL PRIMARY KEY, status VARCHAR(16) NULL) ENGINE=InnoDB`.execute(
    schema.db,
  );
  await sql`INSERT INTO bulk_order (id) SELECT seq FROM (SELECT a.n * 10 + b.n + 1 AS seq FROM
    (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10 UNION ALL SELECT 11 UNION ALL SELECT 12 UNION ALL SELECT 13 UNION ALL SELECT 14) a,
    (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b) s`.execute(
    schema.db,
  );
  project = mkdtempSync(join(tmpdir(), 'safemig-cli-backfill-'));
  writeFileSync(
    join(project, 'safemig.config.js'),
    `const STATUS = { P: 'paid', O: 'open' };
module.exports = {
  backfills: {
    definitions: [
      { name: 'status.set', table: 'external_order', where: 'status IS NULL', set: { status: "CASE legacy_status WHEN 'P' THEN 'paid' ELSE 'open' END" } },
      {
        name: 'status.transform', table: 'external_order', where: 'status IS NULL', select: ['legacy_status'],
        transform: (row) => { if (!STATUS[row.legacy_status]) throw new Error('unknown status ' + row.legacy_status); return { status: STATUS[row.legacy_status] }; },
        maxErrorRate: 1,
      },
      {
        name: 'bulk.failing', table: 'bulk_order', where: 'status IS NULL', select: ['status'],
        transform: () => { throw new Error('the legacy value cannot be mapped'); },
        maxErrorRate: 0.05,
      },
    ],
    lockWaitTimeoutSeconds: 2,
  },
};
`,
  );
});
afterAll(() => schema.destroy());

/** Runs `safemig <args>` with only the backfill command registered, capturing output and the thrown error. */
async function safemig(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    isTTY: false,
    env: {},
    cwd: project,
  };
  const program = new Command('safemig')
    .option('--database-url <url>')
    .option('--json')
    .option('--log-level <level>', '', 'warn')
    .exitOverride();
  const context = new CliContext(io, () => program.opts<GlobalOptions>());
  registerBackfillCommand(program, context);
  let error: unknown;
  try {
    await program.parseAsync(['node', 'safemig', '--database-url', schema.config.toUrl(), ...args]);
  } catch (caught) {
    error = caught;
  } finally {
    await context.close();
  }
  return { stdout, stderr, error: error as { code?: string; message?: string } | undefined };
}

describe('safemig backfill', () => {
  it('dry-runs, runs, shows status and resets a set-based backfill from the config', async () => {
    const dry = await safemig('--json', 'backfill', 'dry-run', 'status.set');
    expect(dry.error).toBeUndefined();
    expect(JSON.parse(dry.stdout)).toMatchObject({ name: 'status.set', wouldUpdate: 4, complete: true });

    const run = await safemig('backfill', 'run', 'status.set');
    expect(run.error).toBeUndefined();
    expect(run.stdout).toMatch(/^Backfill status\.set: completed \(completed\)/);
    expect(run.stdout).toMatch(/4 processed, 4 updated/);

    const again = await safemig('backfill', 'run', 'status.set');
    expect(again.stdout).toMatch(/already completed; nothing to do/);

    const status = await safemig('--json', 'backfill', 'status', 'status.set');
    expect(JSON.parse(status.stdout)).toMatchObject({
      status: 'completed',
      total: { updated: 4 },
      parts: [{ lastKey: '["4"]', active: false }],
    });
    expect((await safemig('backfill', 'reset', 'status.set')).stdout).toMatch(/reset/);
    expect((await safemig('backfill', 'status', 'status.set')).stdout).toBe('Backfill status.set has not started.\n');
  });

  it('reports bad rows and retries them, and names unknown backfills', async () => {
    await sql`UPDATE external_order SET status = NULL`.execute(schema.db);
    const run = await safemig('--json', 'backfill', 'run', 'status.transform');
    expect(run.error).toBeUndefined();
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'completed', updated: 3, failed: 1, errorRows: 1 });
    // JSON log lines go to stderr when not on a terminal.
    const failing = await safemig('backfill', 'retry-errors', 'status.transform');
    expect(failing.stdout).toMatch(/1 still failing/);
    expect(failing.error?.code).toBe('SAFEMIG_BACKFILL_ROWS_FAILING');

    const unknown = await safemig('backfill', 'run', 'nope');
    expect(unknown.error).toMatchObject({ code: BACKFILL_COMMAND_CODES.UNKNOWN });
    expect(unknown.error?.message).toMatch(/Known backfills: status\.set, status\.transform/);
  });

  it('fails a resume of a backfill that never ran with a stable code', async () => {
    const resume = await safemig('backfill', 'resume', 'status.set');
    expect(resume.error).toMatchObject({ code: 'SAFEMIG_BACKFILL_NOT_STARTED' });
  });
});

describe('safemig backfill exit codes', () => {
  async function exitCode(...args: string[]) {
    let stderr = '';
    const code = await runCli(['node', 'safemig', '--database-url', schema.config.toUrl(), ...args], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      isTTY: false,
      env: {},
      cwd: project,
    });
    return { code, stderr };
  }

  it('exits PAUSED when maxErrorRate stops a run, and USAGE for an unknown backfill', async () => {
    const paused = await exitCode('backfill', 'run', 'bulk.failing');
    expect(paused.code).toBe(EXIT_CODES.PAUSED);
    expect(paused.stderr).toMatch(/safemig backfill resume bulk\.failing/);
    expect((await exitCode('backfill', 'run', 'nope')).code).toBe(EXIT_CODES.USAGE);
  });
});

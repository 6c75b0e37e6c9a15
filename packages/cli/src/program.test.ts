import { join } from 'node:path';
import { createTestSchema, type TestSchema } from '../../../test/support/test-schema';
import { EXIT_CODES } from './exit-codes';
import { runCli } from './program';

const project = join(__dirname, '__fixtures__', 'project');

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(() => schema.destroy());

async function safemig(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'safemig', ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    isTTY: false,
    env: {},
    cwd: project,
  });
  return { code, stdout, stderr };
}

describe('safemig migrate, migrate:destructive and status', () => {
  it('runs the configured plugin migrations and reports their state', async () => {
    const url = schema.config.toUrl();
    const before = await safemig('status', '--database-url', url);
    expect(before.code).toBe(EXIT_CODES.OK);
    expect(before.stdout).toMatch(/Migration1700000000CreateExternalOrder\s+pending/);

    const first = await safemig('migrate', '--limit', '1', '--database-url', url);
    expect(first).toMatchObject({ code: EXIT_CODES.OK });
    expect(first.stdout).toMatch(/ran ExternalOrders\\Migration\\Migration1700000000CreateExternalOrder\.update\(\)/);
    expect(first.stdout).toMatch(/1 step\(s\) ran \(update\), 1 left by --until\/--limit\./);
    // Not a TTY: the log lines are pino JSON on stderr.
    expect(JSON.parse(first.stderr.split('\n')[0]!)).toMatchObject({ level: 30, msg: expect.stringMatching(/1 step/) });

    expect((await safemig('migrate', '--database-url', url)).code).toBe(EXIT_CODES.OK);
    const destructive = await safemig('migrate:destructive', '--json', '--database-url', url);
    expect(JSON.parse(destructive.stdout)).toMatchObject({ mode: 'updateDestructive', remaining: 0 });

    const after = await safemig('status', '--json', '--database-url', url);
    expect(JSON.parse(after.stdout).map((s: { state: string }) => s.state)).toEqual(['complete', 'complete']);
  });

  it('exits with USAGE and names the option for a bad --limit, and runs nothing', async () => {
    const result = await safemig('migrate', '--limit', 'many', '--database-url', schema.config.toUrl());
    expect(result.code).toBe(EXIT_CODES.USAGE);
    expect(result.stderr).toMatch(/--limit takes a whole number, got "many"/);
  });

  it('exits with USAGE when the named config file does not exist', async () => {
    const result = await safemig('status', '--config', 'nope.config.js');
    expect(result.code).toBe(EXIT_CODES.USAGE);
    expect(result.stderr).toMatch(/nope\.config\.js does not exist/);
  });

  it('exits with CONNECTION and hides the password when the server cannot be reached', async () => {
    const result = await safemig('status', '--database-url', 'mysql://root:hunter2@127.0.0.1:1/test');
    expect(result.code).toBe(EXIT_CODES.CONNECTION);
    expect(result.stderr).toMatch(/cannot reach the database/);
    expect(result.stderr).not.toContain('hunter2');
  });
});

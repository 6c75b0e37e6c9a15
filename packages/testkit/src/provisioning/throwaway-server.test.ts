import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createDatabase, parseDatabaseConfig } from '@safemig/core';
import { createTestDatabase } from './create-test-database';
import { probeServer } from './test-server';
import { findServerBinary, startThrowawayServer } from './throwaway-server';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const createDatabaseConfig = (port: number) => parseDatabaseConfig({ host: '127.0.0.1', port, user: 'root' });

async function waitForExit(pid: number): Promise<void> {
  while (isRunning(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('the throwaway server (option 4)', () => {
  it('finds mariadbd or mysqld on PATH or in /usr/sbin', () => {
    const binary = findServerBinary();
    expect(binary?.path).toMatch(/\/(mariadbd|mysqld)$/);
    expect(binary?.version).toMatch(/\d+\.\d+\.\d+/);
  });

  it('starts in a temporary datadir on a free port, answers queries, and stop() removes everything', async () => {
    const server = await startThrowawayServer();
    let stopped = false;
    try {
      expect(server.config.host).toBe('127.0.0.1');
      expect(server.port).not.toBe(3306);
      expect(existsSync(`${server.directory}/data`)).toBe(true);
      expect(isRunning(server.pid)).toBe(true);
      const db = createDatabase(server.config);
      const result = await sql<{ answer: number }>`SELECT 6 * 7 AS answer`.execute(db);
      await db.destroy();
      expect(Number(result.rows[0]?.answer)).toBe(42);
      await server.stop();
      stopped = true;
      await waitForExit(server.pid);
      expect(existsSync(server.directory)).toBe(false);
      await expect(probeServer(server.config, 500)).rejects.toThrow();
    } finally {
      if (!stopped) await server.stop();
    }
  });

  it('passes extra server options after its own, so they can switch on what the defaults switch off', async () => {
    const server = await startThrowawayServer({ serverArguments: ['--server-id=7', '--log-bin'] });
    try {
      const db = createDatabase(server.config);
      const result = await sql<{ id: number; binlog: number }>`SELECT @@server_id AS id, @@log_bin AS binlog`.execute(
        db,
      );
      await db.destroy();
      expect(result.rows[0]).toEqual({ id: '7', binlog: '1' });
    } finally {
      await server.stop();
    }
  });

  it('is what createTestDatabase() uses when forced, shared by the databases of a process and stopped after the last', async () => {
    const reports: string[] = [];
    const options = { servers: ['throwaway'] as const, report: (message: string) => reports.push(message) };
    const first = await createTestDatabase(options);
    const second = await createTestDatabase(options);
    try {
      expect(first.server.kind).toBe('throwaway');
      expect(first.server.description).toMatch(
        /^a throwaway .*(mariadbd|mysqld) \(.*\) on 127\.0\.0\.1:\d+, datadir in /,
      );
      expect(second.config.port).toBe(first.config.port);
      expect(reports).toEqual([`safemig testkit: using ${first.server.description}`]);
      await sql`CREATE TABLE t (id INT PRIMARY KEY)`.execute(first.db);
      await sql`INSERT INTO t VALUES (1), (2)`.execute(first.db);
      const rows = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM t`.execute(first.db);
      expect(Number(rows.rows[0]?.n)).toBe(2);
    } finally {
      await first.destroy();
      expect(await probeServer(second.config, 1_000)).toMatch(/\d+\.\d+/);
      await second.destroy();
    }
    await expect(probeServer(second.config, 500)).rejects.toThrow();
    const directory = /datadir in (\S+)$/.exec(first.server.description)?.[1];
    expect(directory && existsSync(directory)).toBe(false);
  });

  it('is killed and its directory removed when the process that started it exits without stopping it', async () => {
    const fixtures = join(__dirname, '__fixtures__');
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['-r', join(fixtures, 'register-typescript.js'), join(fixtures, 'start-server-and-exit.ts')],
        { timeout: 60_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const started = JSON.parse(output.trim()) as { pid: number; directory: string; port: number };
    await waitForExit(started.pid);
    expect(existsSync(started.directory)).toBe(false);
    await expect(probeServer(createDatabaseConfig(started.port), 500)).rejects.toThrow();
  });
});

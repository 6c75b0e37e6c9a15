import { inspect } from 'node:util';
import { sql } from 'kysely';
import { ConnectionError, InvalidConfigError } from '../errors';
import { connectDatabase, createDatabase, databaseConfigOf } from './create-database';
import { DEFAULT_DATABASE_URL, parseDatabaseConfig, redactUrl } from './database-options';
import { describeServer, getServerInfo } from './server-info';

const SECRET = 's3cr3t-p@ss';
const serverUrl = process.env.SAFEMIG_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;

describe('parseDatabaseConfig', () => {
  it('reads every part of a URL and keeps the password out of every printable form', () => {
    const config = parseDatabaseConfig(
      `mysql://shop:${encodeURIComponent(SECRET)}@db.internal:3307/shopware?connectionLimit=4`,
    );
    expect(config).toMatchObject({
      host: 'db.internal',
      port: 3307,
      user: 'shop',
      database: 'shopware',
      connectionLimit: 4,
    });
    expect(config.password).toBe(SECRET);
    for (const printed of [String(config), `${config}`, JSON.stringify(config), inspect(config), config.redactedUrl]) {
      expect(printed).not.toContain(SECRET);
    }
    expect(String(config)).toBe('mysql://shop:***@db.internal:3307/shopware');
    expect(parseDatabaseConfig(config.toUrl()).password).toBe(SECRET);
  });

  it('names the field that is wrong and never echoes the password', () => {
    const error = (() => {
      try {
        parseDatabaseConfig(`mysql://shop:${SECRET}@db:99999/shop`);
      } catch (e) {
        return e as InvalidConfigError;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error.message).not.toContain(SECRET);
    expect(() => parseDatabaseConfig(`mysql://shop:${SECRET}@db:99999/shop`)).toThrow(/Invalid URL|port/);
    expect(() => parseDatabaseConfig({ host: 'db', port: 3306, database: 'shop; DROP' })).toThrow(
      /database: may contain only letters/,
    );
    expect(() => parseDatabaseConfig(`postgres://u:${SECRET}@h/d`)).toThrow(/protocol postgres: is not supported/);
    expect(() => parseDatabaseConfig({ host: 'db', prot: 1 } as never)).toThrow(/Unrecognized key.*prot/);
  });

  it('redacts passwords inside free text', () => {
    expect(redactUrl(`failed: mysql://root:${SECRET}@h:3306/x and mariadb://a:b@c`)).toBe(
      'failed: mysql://root:***@h:3306/x and mariadb://a:***@c',
    );
  });
});

describe('createDatabase and connectDatabase', () => {
  it('connect to the real server and remember the redacted settings', async () => {
    const db = await connectDatabase(serverUrl);
    try {
      const result = await sql<{ one: number }>`SELECT 1 AS one`.execute(db);
      expect(result.rows[0]?.one).toBe(1);
      expect(databaseConfigOf(db)?.redactedUrl).toMatch(/^mysql:\/\//);
      const info = await getServerInfo(db);
      expect(['mysql', 'mariadb']).toContain(info.flavor);
      expect(info.major).toBeGreaterThanOrEqual(8);
    } finally {
      await db.destroy();
    }
  });

  it('fail with a ConnectionError that names the server but not the password', async () => {
    const server = parseDatabaseConfig(serverUrl);
    const wrong = parseDatabaseConfig({
      host: server.host,
      port: server.port,
      user: 'safemig_no_such_user',
      password: SECRET,
    });
    const error = (await connectDatabase(wrong).catch((e: unknown) => e)) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain(`mysql://safemig_no_such_user:***@${server.host}:${server.port}`);
    expect(error.message).toMatch(/Access denied/);
    expect(`${error.message}${error.stack}${inspect(error)}`).not.toContain(SECRET);
  });

  it('never enables multiple statements', async () => {
    const db = createDatabase(serverUrl);
    try {
      await expect(sql.raw('SELECT 1; SELECT 2').execute(db)).rejects.toThrow(/SQL syntax/);
    } finally {
      await db.destroy();
    }
  });
});

describe('describeServer', () => {
  it('maps replica status names per server and version', () => {
    expect(describeServer('8.4.3').replicaStatus).toEqual({
      statement: 'SHOW REPLICA STATUS',
      lagColumn: 'Seconds_Behind_Source',
      ioRunningColumn: 'Replica_IO_Running',
      sqlRunningColumn: 'Replica_SQL_Running',
    });
    expect(describeServer('8.0.21').replicaStatus.statement).toBe('SHOW SLAVE STATUS');
    const maria = describeServer('10.11.19-MariaDB-0+deb12u1');
    expect(maria).toMatchObject({ flavor: 'mariadb', major: 10, minor: 11, patch: 19, supportsInstantAddColumn: true });
    expect(maria.replicaStatus.lagColumn).toBe('Seconds_Behind_Master');
  });
});

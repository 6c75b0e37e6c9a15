import { sql, type Kysely } from 'kysely';

/**
 * The seeded legacy dataset of the compat tests: every anomaly the checks look for, a known number of times.
 * Written under a lenient sql_mode (as old installations were) so zero and impossible dates can be stored.
 */
export async function seedLegacyDataset(db: Kysely<any>): Promise<void> {
  await db.connection().execute(async (connection) => {
    await sql`SET SESSION sql_mode = 'ALLOW_INVALID_DATES'`.execute(connection);
    await sql`CREATE TABLE customer_group (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)`.execute(connection);
    await sql`INSERT INTO customer_group VALUES (1, 'retail'), (2, 'b2b')`.execute(connection);
    await sql`CREATE TABLE legacy_customer (
      id INT PRIMARY KEY,
      email VARCHAR(100) NULL,
      status VARCHAR(20) NULL,
      price_text VARCHAR(30) NULL,
      payload TEXT NULL,
      birthday DATE NULL,
      signup_text VARCHAR(20) NULL,
      name VARCHAR(60) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL,
      sku VARCHAR(40) NULL,
      amount DECIMAL(12,3) NULL,
      qty BIGINT NULL,
      kind VARCHAR(10) NULL,
      group_id INT NULL,
      legacy_since DATE NOT NULL DEFAULT '0000-00-00'
    ) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(connection);
    const rows: unknown[][] = [
      [
        1,
        'anna@example.com',
        'active',
        '12.50',
        '{"amount":12.5}',
        '1990-05-01',
        '2020-01-15',
        'Anna',
        'SKU-1',
        '10.000',
        5,
        'retail',
        1,
      ],
      [
        2,
        'ANNA@example.com',
        null,
        '12,50 EUR',
        '{"version":2,"amount":"12.50"}',
        '0000-00-00',
        '2020-13-01',
        'Jürgen 😀',
        'SKU-2',
        '12345.000',
        300,
        'b2b',
        2,
      ],
      [
        3,
        'anna@example.com ',
        '',
        '7,00 EUR',
        '{"v":3,"payload":{"amount":7}}',
        '2020-02-30',
        'yesterday',
        'JÃ¼rgen',
        'SKU-3-TOO-LONG-VALUE',
        '1.005',
        -1,
        'wholesale',
        99,
      ],
      [
        4,
        'cafe@example.com',
        null,
        'twelve',
        '{bad',
        '2021-00-10',
        '2020-02-29',
        'Zoë 🎉',
        'SKU-4',
        '2.500',
        7,
        'retail',
        null,
      ],
      [
        5,
        'café@example.com',
        'active',
        '3.99',
        '{"version":2,"amount":"3.99"}',
        '0000-00-00',
        '2021-02-30',
        'MÃ¼ller',
        'SKU-5-ALSO-TOO-LONG',
        '4.000',
        9,
        'b2b',
        98,
      ],
      [6, null, null, '5.00', '{"amount":5}', null, null, 'Bob', 'SKU-6', '1.000', 1, 'retail', 2],
      [7, null, '', '', 'not json', '1985-12-31', '2019-04-31', 'Eve', 'SKU-7', '3.000', 3, 'retail', 1],
      [
        8,
        'bob@example.com',
        'active',
        '1.00',
        '{"v":3,"payload":{"amount":1}}',
        '2000-01-01',
        '2000-01-01',
        'Carl',
        'SKU-8',
        '1.000',
        2,
        'retail',
        1,
      ],
      [9, null, 'active', '2.00', '{"amount":2}', '1970-01-01', '1999-12-31', 'Dana', 'SKU-9', '2.000', 4, 'b2b', 2],
      [
        10,
        'Bob@Example.com',
        'active',
        '9.90',
        '{"amount":9.9}',
        '1975-07-07',
        '2001-02-28',
        'Finn',
        'SKU-10',
        '9.900',
        6,
        'retail',
        1,
      ],
    ];
    for (const row of rows) {
      await sql`INSERT INTO legacy_customer (id, email, status, price_text, payload, birthday, signup_text, name, sku, amount, qty, kind, group_id)
        VALUES (${sql.join(row.map((value) => sql`${value}`))})`.execute(connection);
    }
    await sql`SET SESSION sql_mode = DEFAULT`.execute(connection);
  });
}

/** Rows of the seeded table. */
export const LEGACY_ROWS = 10;

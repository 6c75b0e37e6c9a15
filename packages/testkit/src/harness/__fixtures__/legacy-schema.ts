import { sql, type Kysely } from 'kysely';
import { MigrationStep } from '@safemig/core';

/*
 * The released history the zoos build on: the ExternalOrders plugin's first migration, as it shipped.
 */

export class Migration1700000000CreateExternalOrder extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000000;
  }

  async update(db: Kysely<any>): Promise<void> {
    await sql`CREATE TABLE IF NOT EXISTS external_order (
      id BINARY(16) NOT NULL,
      order_number VARCHAR(64) NOT NULL,
      legacy_status VARCHAR(64) NULL,
      payload JSON NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NULL,
      PRIMARY KEY (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
    await sql`CREATE TABLE IF NOT EXISTS external_order_state (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT,
      technical_name VARCHAR(32) NOT NULL,
      PRIMARY KEY (id)
    ) ENGINE=InnoDB`.execute(db);
    await sql`CREATE TABLE IF NOT EXISTS plugin_counter (
      name VARCHAR(32) NOT NULL,
      n INT NOT NULL DEFAULT 0,
      PRIMARY KEY (name)
    ) ENGINE=InnoDB`.execute(db);
  }
}

/** Legacy rows as production holds them: mixed status spellings, a NULL, a JSON payload, a duplicate-free id set. */
export async function seedLegacyOrders(db: Kysely<any>): Promise<void> {
  await sql`INSERT INTO external_order (id, order_number, legacy_status, payload, created_at) VALUES
    (UNHEX('0190A0B0C0D0E0F00112233445566701'), 'EO-1001', 'paid', '{"total": 10.5}', '2024-01-02 10:00:00.000'),
    (UNHEX('0190A0B0C0D0E0F00112233445566702'), 'EO-1002', 'PAID ', NULL, '2024-01-03 11:00:00.000'),
    (UNHEX('0190A0B0C0D0E0F00112233445566703'), 'EO-1003', NULL, '{"total": 0}', '2024-01-04 12:00:00.000')`.execute(
    db,
  );
  await sql`INSERT INTO external_order_state (technical_name) VALUES ('open'), ('paid')`.execute(db);
  await sql`INSERT INTO plugin_counter (name, n) VALUES ('imports', 0)`.execute(db);
}

export const LEGACY_HISTORY = [Migration1700000000CreateExternalOrder] as const;

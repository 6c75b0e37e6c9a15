import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'kysely';
import { EXIT_CODES } from '@safemig/cli';
import { dropTableSnapshot, snapshotSchema, useTestDatabase } from '@safemig/testkit';
import { runExternalOrdersRollout, type RolloutReport } from './run-rollout';

const database = useTestDatabase();
const snapshotName = `e2e_${randomBytes(4).toString('hex')}`;
let report: RolloutReport;
let output = '';

beforeAll(async () => {
  try {
    report = await runExternalOrdersRollout({
      config: database.current.config,
      rows: 10_000,
      configFile: join(__dirname, '..', 'safemig.config.ts'),
      planFile: join(__dirname, '..', '..', 'migrations.plan.json'),
      out: (text) => {
        output += text;
      },
      snapshotName,
    });
  } finally {
    // Snapshot schemas are server-wide: remove this run's, which only the rollback check needed.
    await dropTableSnapshot(database.db, snapshotName).catch(() => undefined);
  }
}, 180_000);

describe('the ExternalOrders rollout on 10,000 production-like orders', () => {
  it('backfills every mappable order and quarantines exactly the seeded unmappable ones', () => {
    const { anomalies } = report.seeded;
    const unmappable = anomalies.missingStatus + anomalies.invalidJson + anomalies.overlongReference;
    expect(report.backfill).toMatchObject({ status: 'completed', processed: 10_000, failed: unmappable });
    expect(report.backfill.updated).toBe(10_000 - unmappable);
    expect(report.quarantined).toBe(unmappable);
    expect(report.liveOrders).toBe(10_000 - unmappable);
  });

  it('ends with the contracted schema and data that fits it', async () => {
    const schema = await snapshotSchema(database.db);
    const table = schema.tables.external_order!;
    expect(Object.keys(table.columns)).toEqual(
      expect.arrayContaining(['id', 'external_reference_normalized', 'status', 'total_amount', 'currency']),
    );
    for (const legacy of ['payload', 'legacy_status', 'legacy_amount']) expect(table.columns[legacy]).toBeUndefined();
    expect(table.columns.status).toMatchObject({ nullable: false });
    expect(table.indexes.uniq_external_order_reference).toMatchObject({ unique: true });
    const checks = await sql<{ zero_dates: number | string; duplicates: number | string }>`
      SELECT (SELECT COUNT(*) FROM external_order WHERE MONTH(created_at) = 0) AS zero_dates,
             (SELECT COUNT(*) FROM (SELECT 1 FROM external_order WHERE external_reference_normalized IS NOT NULL
                GROUP BY sales_channel_id, external_reference_normalized HAVING COUNT(*) > 1) AS d) AS duplicates`.execute(
      database.db,
    );
    expect({ zeroDates: Number(checks.rows[0]?.zero_dates), duplicates: Number(checks.rows[0]?.duplicates) }).toEqual({
      zeroDates: 0,
      duplicates: 0,
    });
  });

  it("leaves the application's view of the orders unchanged by the contract", () => {
    expect(output).toMatch(/\| external-order-list \| snapshot \| \d+ \| snapshot taken \|/);
    expect(output).toMatch(/\| external-order-list \| compare \| \d+ \| unchanged \(count and checksum equal\) \|/);
  });

  it('passes the validation checklist and refuses a compensation-only rollback after the contract', () => {
    expect(report.validateExitCode).toBe(EXIT_CODES.OK);
    expect(output).toMatch(/Result: \*\*PASSED\*\*/);
    expect(output).toMatch(/ok metrics endpoint http:\/\/127\.0\.0\.1:\d+\/metrics: HTTP 200, Prometheus text/);
    expect(report.rollbackCheckExitCode).toBe(EXIT_CODES.FAILURE);
    expect(output).toMatch(new RegExp(`Table snapshots: ${snapshotName}`));
  });
});

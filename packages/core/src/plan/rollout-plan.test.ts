import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { PlanFileError, RolloutOrderError } from '../errors';
import { flagAt } from '../flags';
import { MigrationSource, MigrationStep, serverSupports, stepMetadata, type MigrationStepClass } from '../migration';
import { addColumn, dropColumnIfExists } from '../schema';
import { checkPlanFile, createPlanFile, readPlanFile, writePlanFile } from './plan-file';
import { renderPlanMarkdown } from './plan-markdown';
import { planRollout } from './rollout-plan';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(() => schema.destroy());

class Migration1700000000ExternalOrder extends MigrationStep {
  getCreationTimestamp() {
    return 1700000000;
  }
  async update(db: Kysely<any>) {
    await sql`CREATE TABLE IF NOT EXISTS external_order (id INT NOT NULL PRIMARY KEY, legacy_status VARCHAR(64) NULL)`.execute(
      db,
    );
  }
  override getMetadata() {
    return stepMetadata({ description: 'The 1.0 table', phase: 'expand', release: '1.0.0' });
  }
}

class Migration1700000100AddStatus extends MigrationStep {
  getCreationTimestamp() {
    return 1700000100;
  }
  async update(db: Kysely<any>) {
    await addColumn(db, 'external_order', 'status', 'VARCHAR(32)');
  }
  override getMetadata() {
    return stepMetadata({
      phase: 'expand',
      release: '1.1.0',
      dependsOn: [Migration1700000000ExternalOrder],
      requires: [serverSupports('instantAddColumn')],
    });
  }
}

class Migration1700000200WriteStatus extends MigrationStep {
  getCreationTimestamp() {
    return 1700000200;
  }
  async update(db: Kysely<any>) {
    await sql`UPDATE external_order SET status = legacy_status WHERE status IS NULL`.execute(db);
  }
  override getMetadata() {
    return stepMetadata({
      phase: 'activate',
      release: '1.1.0',
      dependsOn: [Migration1700000100AddStatus],
      requires: [
        {
          id: 'backfill:external_order_status',
          kind: 'backfill',
          describe: () => 'backfill external_order_status completed',
          check: async () => ({ met: true, detail: 'completed' }),
        },
      ],
      lintSuppressions: [{ code: 'SM011', reason: 'the table holds at most 200 rows per shop' }],
    });
  }
}

function contract(dropColumn: string, release = '1.2.0'): MigrationStepClass {
  return class Migration1700000300DropLegacyStatus extends MigrationStep {
    getCreationTimestamp() {
      return 1700000300;
    }
    async update(_db: Kysely<any>) {}
    override async updateDestructive(db: Kysely<any>) {
      await dropColumnIfExists(db, 'external_order', dropColumn);
    }
    override getMetadata() {
      return stepMetadata({
        phase: 'contract',
        release,
        dependsOn: [Migration1700000100AddStatus],
        requires: [flagAt('external_order_status', 'new')],
      });
    }
  };
}

const steps = [Migration1700000000ExternalOrder, Migration1700000100AddStatus, Migration1700000200WriteStatus];
const source = MigrationSource.fromClasses([...steps, contract('legacy_status')]);

describe('planRollout', () => {
  it('orders releases -> steps with phase, dependencies, prerequisites, destructive operations, locking and lint', async () => {
    const plan = await planRollout(schema.db, source);
    expect(plan.releases.map((release) => [release.release, release.steps.map((step) => step.name)])).toEqual([
      ['1.0.0', ['Migration1700000000ExternalOrder']],
      ['1.1.0', ['Migration1700000100AddStatus', 'Migration1700000200WriteStatus']],
      ['1.2.0', ['Migration1700000300DropLegacyStatus']],
    ]);
    const [addStatus, writeStatus] = plan.releases[1]!.steps;
    expect(addStatus).toMatchObject({
      phase: 'expand',
      dependsOn: [{ step: 'Migration1700000000ExternalOrder', external: false }],
      requires: [{ id: 'server:instantAddColumn', kind: 'server' }],
      expectedLocking: [{ phase: 'update', table: 'external_order', algorithm: 'INSTANT', lock: 'NONE' }],
      lintFindings: [],
    });
    expect(writeStatus!.lintFindings).toEqual([
      expect.objectContaining({ code: 'SM011', suppressed: 'the table holds at most 200 rows per shop' }),
    ]);
    expect(plan.releases[2]!.steps[0]).toMatchObject({
      requires: [{ id: 'flag:external_order_status=new', description: 'flag external_order_status is new' }],
      destructiveOperations: [{ phase: 'updateDestructive', operation: 'DROP COLUMN external_order.legacy_status' }],
    });
    const markdown = renderPlanMarkdown(createPlanFile(plan, { reviewer: 'alice', date: '2025-01-31' }));
    expect(markdown).toContain('## Release 1.2.0');
    expect(markdown).toContain('### 4. Migration1700000300DropLegacyStatus (contract)');
    expect(markdown).toContain('- Requires: flag external_order_status is new (`flag:external_order_status=new`)');
    expect(markdown).toContain(
      '- Destructive operations: DROP COLUMN external_order.legacy_status in updateDestructive()',
    );
    expect(markdown).toContain('SM011 suppressed (the table holds at most 200 rows per shop)');
    expect(markdown).toContain('Reviewed by alice on 2025-01-31.');
  });

  it('refuses a plan that breaks an ordering rule', async () => {
    const sameRelease = contract('legacy_status', '1.1.0');
    await expect(planRollout(schema.db, MigrationSource.fromClasses([...steps, sameRelease]))).rejects.toThrow(
      RolloutOrderError,
    );
  });
});

describe('the plan file', () => {
  const directory = mkdtempSync(join(tmpdir(), 'safemig-plan-'));

  it('passes the check when the code is unchanged and reviewed, and names an edited step otherwise', async () => {
    const file = join(directory, 'migrations.plan.json');
    writePlanFile(file, createPlanFile(await planRollout(schema.db, source), { reviewer: 'alice' }));
    const committed = readPlanFile(file);
    expect(committed.review).toEqual({ reviewer: 'alice', date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(checkPlanFile(await planRollout(schema.db, source), committed)).toEqual({ ok: true, problems: [] });

    const edited = MigrationSource.fromClasses([...steps, contract('status')]);
    const check = checkPlanFile(await planRollout(schema.db, edited), committed);
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual([
      'the plan differs from the committed one: step Migration1700000300DropLegacyStatus changed: destructiveOperations, expectedLocking.',
    ]);
  });

  it('fails without a review, and when the file was edited by hand', async () => {
    const plan = await planRollout(schema.db, source);
    expect(checkPlanFile(plan, createPlanFile(plan)).problems).toEqual([
      'the committed plan has no review: record one with `safemig plan --write --reviewer <name>`.',
    ]);
    const file = join(directory, 'edited.plan.json');
    writePlanFile(file, createPlanFile(plan, { reviewer: 'alice' }));
    writeFileSync(file, readFileSync(file, 'utf8').replace('"phase": "contract"', '"phase": "expand"'));
    expect(checkPlanFile(plan, readPlanFile(file)).problems[0]).toMatch(/edited by hand/);
    writeFileSync(file, '{"version": 1}');
    expect(() => readPlanFile(file)).toThrow(PlanFileError);
  });
});

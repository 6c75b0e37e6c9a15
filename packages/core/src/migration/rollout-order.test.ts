import type { Kysely } from 'kysely';
import { RolloutOrderError } from '../errors';
import { releaseGate, isHeldBack } from './destructive-selection';
import { MigrationSource } from './migration-source';
import { MigrationStep, stepMetadata, type MigrationMetadata, type MigrationStepClass } from './migration-step';
import type { Prerequisite } from './prerequisite';
import { compareReleases } from './release-version';
import { analyzeRollout, assertRolloutOrder } from './rollout-order';

function step(name: string, metadata: MigrationMetadata): MigrationStepClass {
  const timestamp = Number(/^Migration(\d+)/.exec(name)![1]);
  const classes = {
    [name]: class extends MigrationStep {
      getCreationTimestamp() {
        return timestamp;
      }
      async update(_db: Kysely<any>) {}
      override getMetadata() {
        return stepMetadata(metadata);
      }
    },
  };
  return classes[name] as MigrationStepClass;
}

const backfillDone: Prerequisite = {
  id: 'backfill:external_order_status',
  kind: 'backfill',
  describe: () => 'backfill external_order_status completed',
  check: async () => ({ met: true, detail: 'completed' }),
};

const Expand = step('Migration1700000100AddStatus', { phase: 'expand', release: '1.1.0' });
const Adapt = step('Migration1700000200ReadStatus', { phase: 'adapt', release: '1.1.0', dependsOn: [Expand] });

function rules(classes: MigrationStepClass[]): string[] {
  return analyzeRollout(MigrationSource.fromClasses(classes)).issues.map((issue) => `${issue.rule}:${issue.step}`);
}

describe('the ordering rules', () => {
  it('accept the four-step rollout across two releases', () => {
    const classes = [
      Expand,
      Adapt,
      step('Migration1700000300WriteStatus', { phase: 'activate', release: '1.1.0', dependsOn: [Adapt] }),
      step('Migration1700000400DropLegacy', { phase: 'contract', release: '1.2.0', dependsOn: [Expand, 1700000300] }),
    ];
    expect(rules(classes)).toEqual([]);
    const analysis = assertRolloutOrder(MigrationSource.fromClasses(classes));
    expect(analysis.steps[3]!.dependencies.map((d) => [d.name, d.external])).toEqual([
      ['Migration1700000100AddStatus', false],
      ['Migration1700000300WriteStatus', false],
    ]);
  });

  it('reject a dependency cycle', () => {
    const a = step('Migration1700000100A', { dependsOn: ['Migration1700000200B'] });
    const b = step('Migration1700000200B', { dependsOn: [a] });
    expect(rules([a, b])).toEqual([
      'dependency-on-later-step:Migration1700000100A',
      'dependency-cycle:Migration1700000100A',
    ]);
    const error = (() => {
      try {
        assertRolloutOrder(MigrationSource.fromClasses([a, b]));
      } catch (e) {
        return e as RolloutOrderError;
      }
      throw new Error('expected a RolloutOrderError');
    })();
    expect(error.code).toBe('SAFEMIG_ROLLOUT_ORDER');
    expect(error.message).toMatch(
      /\[dependency-cycle\] Migration1700000100A: is part of a dependency cycle: Migration1700000100A -> Migration1700000200B -> Migration1700000100A\./,
    );
  });

  it('reject a dependency on a later timestamp, also of another plugin', () => {
    const early = step('Migration1700000100Early', { dependsOn: ['OtherPlugin\\Migration\\Migration1800000000Base'] });
    expect(rules([early])).toEqual(['dependency-on-later-step:Migration1700000100Early']);
    const fine = step('Migration1700000100Early', { dependsOn: ['OtherPlugin\\Migration\\Migration1600000000Base'] });
    expect(rules([fine])).toEqual([]);
    expect(rules([step('Migration1700000100Early', { dependsOn: [1690000000] })])).toEqual([
      'unknown-dependency:Migration1700000100Early',
    ]);
  });

  it('reject a contract step in the same release as the expand step it cleans up', () => {
    const contract = step('Migration1700000400DropLegacy', {
      phase: 'contract',
      release: '1.1.0',
      dependsOn: [Expand],
    });
    expect(rules([Expand, contract])).toEqual(['contract-in-expand-release:Migration1700000400DropLegacy']);
    const issue = analyzeRollout(MigrationSource.fromClasses([Expand, contract])).issues[0]!;
    expect(issue.message).toBe(
      'is a contract step in release 1.1.0, but the expand step it cleans up (Migration1700000100AddStatus) ships in 1.1.0 too.',
    );
    const warning = analyzeRollout(
      MigrationSource.fromClasses([step('Migration1700000400DropLegacy', { phase: 'contract', release: '1.2.0' })]),
    ).issues;
    expect(warning).toEqual([expect.objectContaining({ rule: 'contract-without-expand', severity: 'warning' })]);
  });

  it('reject an activate step before its adapt step or backfill', () => {
    const alone = step('Migration1700000300WriteStatus', { phase: 'activate', release: '1.1.0', dependsOn: [Expand] });
    expect(rules([Expand, alone])).toEqual(['activate-before-adapt:Migration1700000300WriteStatus']);
    const earlier = step('Migration1700000300WriteStatus', { phase: 'activate', release: '1.0.0', dependsOn: [Adapt] });
    expect(rules([Expand, Adapt, earlier])).toEqual(['activate-before-adapt:Migration1700000300WriteStatus']);
    const withBackfill = step('Migration1700000300WriteStatus', {
      phase: 'activate',
      release: '1.1.0',
      dependsOn: [Expand],
      requires: [backfillDone],
    });
    expect(rules([Expand, withBackfill])).toEqual([]);
  });

  it('reject a step that depends on a later phase', () => {
    const contract = step('Migration1700000100Contract', { phase: 'contract', release: '1.0.0', dependsOn: [] });
    const expand = step('Migration1700000200Expand', { phase: 'expand', release: '1.1.0', dependsOn: [contract] });
    expect(rules([contract, expand])).toContain('phase-order:Migration1700000200Expand');
  });

  it('reject malformed metadata with a message naming the field', () => {
    const bad = step('Migration1700000100Bad', {
      phase: 'shrink' as never,
      release: 'v1',
      requires: [{ id: 'x' } as never],
      lintSuppressions: [{ code: 'SM012', reason: ' ' }],
    });
    const messages = analyzeRollout(MigrationSource.fromClasses([bad])).issues.map((issue) => issue.message);
    expect(messages).toEqual([
      'phase "shrink" is not a phase.',
      'release "v1" is not a semver version.',
      'requires[0] is not a Prerequisite.',
      'lintSuppressions[0] (SM012) has no reason.',
    ]);
  });
});

describe('releases and the destructive release gate', () => {
  it('compare releases as semver', () => {
    expect(['1.10.0', '1.2.0', '1.2.0-rc.1', '0.9.9'].sort(compareReleases)).toEqual([
      '0.9.9',
      '1.2.0-rc.1',
      '1.2.0',
      '1.10.0',
    ]);
  });

  it('keep the current release back in blue-green mode and the previous one too in safe mode', () => {
    const releases = ['1.0.0', '1.1.0', '1.2.0'];
    const runs = (mode: 'safe' | 'blue-green' | 'all', current?: string) =>
      [...releases, undefined].filter((release) => !isHeldBack(releaseGate(mode, current, releases), release));
    expect(runs('all')).toEqual(['1.0.0', '1.1.0', '1.2.0', undefined]);
    expect(runs('blue-green')).toEqual(['1.0.0', '1.1.0', undefined]);
    expect(runs('safe')).toEqual(['1.0.0', undefined]);
    expect(runs('safe', '1.3.0')).toEqual(['1.0.0', '1.1.0', undefined]);
  });
});

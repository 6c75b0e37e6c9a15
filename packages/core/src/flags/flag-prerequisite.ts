import type { Prerequisite } from '../migration';
import { flagNameSchema, flagStateSchema, type FlagState } from './flag-state';
import { getFlag } from './flag-store';

/**
 * Requires a deactivation flag to be in exactly this state, e.g. a contract step that drops the old column only once
 * every instance writes the new model.
 *
 * ### Examples
 * ```ts
 * requires: [flagAt('external_order_status', 'new')]
 * ```
 */
export function flagAt(name: string, state: FlagState): Prerequisite {
  const flagName = flagNameSchema.parse(name);
  const wanted = flagStateSchema.parse(state);
  return {
    id: `flag:${flagName}=${wanted}`,
    kind: 'flag',
    describe: () => `flag ${flagName} is ${wanted}`,
    async check(db) {
      const flag = await getFlag(db, flagName);
      const since = flag.updatedAt
        ? ` since ${flag.updatedAt.toISOString()} (by ${flag.updatedBy}: ${flag.reason})`
        : ' (never set)';
      return {
        met: flag.state === wanted,
        detail: `flag ${flagName} is ${flag.state}${since}`,
        hint:
          flag.state === wanted
            ? undefined
            : `Run \`safemig flag set ${flagName} ${wanted} --by <you> --reason <why>\` once the rollout allows it, then run again.`,
      };
    },
  };
}

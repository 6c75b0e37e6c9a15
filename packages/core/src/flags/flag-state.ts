import { z } from 'zod';

/**
 * Where a deactivation flag stands: `off` (old model only), `dual` (write both, read new with fallback), `new` (new
 * model only). A rollout moves off -> dual -> new; rolling back moves the other way.
 */
export type FlagState = 'off' | 'dual' | 'new';

/** The states in rollout order. */
export const FLAG_STATES: readonly FlagState[] = Object.freeze(['off', 'dual', 'new']);

/** The longest flag name the flag table stores. */
export const MAX_FLAG_NAME_LENGTH = 128;

/** zod schema of a flag name: letters, digits, `_`, `.`, `:` and `-`, at most 128 characters. */
export const flagNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_FLAG_NAME_LENGTH, `must be at most ${MAX_FLAG_NAME_LENGTH} characters`)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits, _, ., : and -');

/** zod schema of a flag state. */
export const flagStateSchema = z.enum(['off', 'dual', 'new']);

/** Whether going from one state to another skips `dual` (off <-> new). */
export function skipsDual(from: FlagState, to: FlagState): boolean {
  return Math.abs(FLAG_STATES.indexOf(from) - FLAG_STATES.indexOf(to)) > 1;
}

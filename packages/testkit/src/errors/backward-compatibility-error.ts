import { SafemigError } from '@safemig/core';
import { TESTKIT_ERROR_CODES } from './testkit-error-codes';

/** One query of the previous release that no longer works after the step's `update()`. */
export interface BrokenQuery {
  readonly name: string;
  readonly error: unknown;
}

/**
 * The expand phase broke release N-1: queries the previous release runs (reads and writes) failed after `update()`.
 * The message names the step and every broken query with the server's error.
 *
 * ### Examples
 * ```ts
 * await expect(assertBackwardCompatible(step, { db, queries })).rejects.toBeInstanceOf(BackwardCompatibilityError);
 * ```
 */
export class BackwardCompatibilityError extends SafemigError {
  readonly step: string;
  readonly broken: readonly BrokenQuery[];

  constructor(step: string, broken: readonly BrokenQuery[]) {
    const lines = broken.map(
      ({ name, error }) => `  ${name}: ${error instanceof Error ? error.message : String(error)}`,
    );
    super(
      TESTKIT_ERROR_CODES.NOT_BACKWARD_COMPATIBLE,
      `${step}.update() breaks the previous release: ${broken.length} of its queries fail on the expanded schema:\n${lines.join('\n')}`,
      {
        hint: 'update() is the expand step and must keep release N-1 working: add columns as NULLable or with a default, keep old columns and names until updateDestructive() in a later release.',
      },
    );
    this.step = step;
    this.broken = broken;
  }
}

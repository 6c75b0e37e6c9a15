import { SafemigError } from '@safemig/core';

/** Stable codes of `safemig validate`'s own outcomes. */
export const VALIDATION_ERROR_CODES = {
  FAILED: 'SAFEMIG_VALIDATION_FAILED',
  UNKNOWN_ITEM: 'SAFEMIG_VALIDATION_UNKNOWN_ITEM',
} as const;

/** At least one automated checklist item failed; the checklist above says which and why. */
export class ValidationFailedError extends SafemigError {
  readonly failed: readonly string[];
  constructor(failed: readonly string[]) {
    super(VALIDATION_ERROR_CODES.FAILED, `Post-migration validation failed: ${failed.join(', ')}.`, {
      hint: 'Fix the items marked FAIL in the checklist, or trigger the rollback (docs/rollback-runbook.md, section 1).',
    });
    this.failed = failed;
  }
}

/** `--sign-off` named an item that is not one of the config's manual items. */
export class UnknownSignOffItemError extends SafemigError {
  readonly item: string;
  constructor(item: string, known: readonly string[]) {
    super(VALIDATION_ERROR_CODES.UNKNOWN_ITEM, `${JSON.stringify(item)} is not a manual checklist item.`, {
      hint: `Manual items (validation.manual): ${known.join(', ')}.`,
    });
    this.item = item;
  }
}

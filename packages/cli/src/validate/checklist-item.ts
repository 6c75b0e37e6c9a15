/** `pass`/`fail` for checks that ran, `skipped` when nothing is configured, `pending` for unsigned manual items. */
export type ChecklistStatus = 'pass' | 'fail' | 'skipped' | 'pending';

/** One item of the post-migration checklist. */
export interface ChecklistItem {
  /** Stable id, e.g. `migrations`, `data-integrity`, `smoke`, or the manual item's name. */
  readonly id: string;
  readonly title: string;
  /** Automated items decide the exit code; manual items are signed off with `--sign-off <item> --by <name>`. */
  readonly kind: 'automated' | 'manual';
  readonly status: ChecklistStatus;
  /** One line per finding, e.g. `external_order: rows 120 -> 130 (+10), expected [0, 500]`. */
  readonly details: readonly string[];
}

/** The whole checklist, as `safemig validate` prints it (markdown) or returns it (`--json`). */
export interface ValidationReport {
  readonly schema: string;
  readonly generatedAt: Date;
  readonly baseline: { readonly capturedAt: Date; readonly capturedBy: string } | null;
  readonly items: readonly ChecklistItem[];
  /** False when an automated item failed: the command exits non-zero. */
  readonly passed: boolean;
}

import type { Kysely } from 'kysely';
import type { Finding, Severity } from '../finding';

/** What every check run receives. */
export interface CheckContext {
  readonly db: Kysely<any>;
  /** Samples per finding. */
  readonly sampleSize: number;
}

/** Builds a finding with the fields every check fills the same way. */
export function finding(fields: {
  check: string;
  kind: string;
  table: string;
  column?: string;
  severity: Severity;
  count: number;
  samples?: Finding['samples'];
  suggestedFix: string;
  details?: Record<string, unknown>;
}): Finding {
  return {
    check: fields.check,
    kind: fields.kind,
    table: fields.table,
    column: fields.column,
    severity: fields.severity,
    count: fields.count,
    samples: fields.samples ?? [],
    suggestedFix: fields.suggestedFix,
    ...(fields.details ? { details: fields.details } : {}),
  };
}

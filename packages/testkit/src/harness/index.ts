export {
  assertBackwardCompatible,
  type AssertBackwardCompatibleOptions,
  type BackwardCompatibilityReport,
  type PreviousReleaseQuery,
} from './assert-backward-compatible';
export { assertCollectionIdempotent, type AssertCollectionIdempotentOptions } from './assert-collection-idempotent';
export { assertIdempotent, DEFAULT_IDEMPOTENCY_RUNS } from './assert-idempotent';
export type {
  AssertIdempotentOptions,
  HarnessOptions,
  IdempotencyReport,
  IgnoreOptions,
  StepUnderTest,
} from './harness-options';

import { compareReleases } from './release-version';

/**
 * Which contract steps `migrateDestructive()` may run, like Shopware's `--version-selection-mode`:
 * - `all`: every due step;
 * - `blue-green`: not the steps of the current release (old instances may still run release N-1 next to it);
 * - `safe` (default): neither the current nor the previous release.
 */
export type DestructiveMode = 'safe' | 'blue-green' | 'all';

/** The destructive modes, most careful first. */
export const DESTRUCTIVE_MODES: readonly DestructiveMode[] = Object.freeze(['safe', 'blue-green', 'all']);

/** The default of `migrateDestructive()`, as Shopware's: keep the current and the previous release. */
export const DEFAULT_DESTRUCTIVE_MODE: DestructiveMode = 'safe';

/** Which releases a destructive run keeps back. */
export interface ReleaseGate {
  readonly mode: DestructiveMode;
  /** The release being deployed: the option, else the newest release declared by a step. */
  readonly currentRelease: string | undefined;
  /** Steps of this release and newer are kept back; undefined keeps nothing back. */
  readonly cutoff: string | undefined;
}

/**
 * Computes the release gate of a destructive run. "The previous release" is the newest release declared by a step
 * that is older than the current one.
 *
 * ### Examples
 * ```ts
 * releaseGate('safe', '1.2.0', ['1.0.0', '1.1.0', '1.2.0']).cutoff; // '1.1.0': only 1.0.0 steps run
 * releaseGate('blue-green', '1.2.0', ['1.0.0', '1.1.0', '1.2.0']).cutoff; // '1.2.0'
 * ```
 */
export function releaseGate(
  mode: DestructiveMode,
  currentRelease: string | undefined,
  declaredReleases: readonly string[],
): ReleaseGate {
  const sorted = [...new Set(declaredReleases)].sort(compareReleases);
  const current = currentRelease ?? sorted.at(-1);
  if (mode === 'all' || current === undefined) return { mode, currentRelease: current, cutoff: undefined };
  if (mode === 'blue-green') return { mode, currentRelease: current, cutoff: current };
  const previous = sorted.filter((release) => compareReleases(release, current) < 0).at(-1);
  return { mode, currentRelease: current, cutoff: previous ?? current };
}

/**
 * Whether the gate keeps a step of this release back. A step without a release counts as the oldest release and is
 * never kept back, so Shopware-style steps without metadata behave as before.
 */
export function isHeldBack(gate: ReleaseGate, release: string | undefined): boolean {
  return release !== undefined && gate.cutoff !== undefined && compareReleases(release, gate.cutoff) >= 0;
}

/*
 * Releases are plugin versions in semver form. Only ordering matters here, so this is the small part of semver that
 * orders versions: MAJOR.MINOR.PATCH, then pre-release identifiers, build metadata ignored.
 */

const RELEASE_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Whether a string is a semver release such as `1.2.0` or `2.0.0-rc.1`. */
export function isRelease(value: string): boolean {
  return RELEASE_PATTERN.test(value);
}

/**
 * Orders two semver releases: negative when `a` is older, 0 when equal (build metadata ignored), positive when newer.
 * Throws a TypeError for a string that is not semver; metadata is validated before it gets here.
 *
 * ### Examples
 * ```ts
 * compareReleases('1.10.0', '1.9.3'); // > 0
 * compareReleases('2.0.0-rc.1', '2.0.0'); // < 0
 * ```
 */
export function compareReleases(a: string, b: string): number {
  const left = parse(a);
  const right = parse(b);
  for (let index = 0; index < 3; index += 1) {
    const difference = left.core[index]! - right.core[index]!;
    if (difference !== 0) return Math.sign(difference);
  }
  // A pre-release orders before its release: 2.0.0-rc.1 < 2.0.0.
  if (left.pre.length === 0 || right.pre.length === 0) {
    return left.pre.length === right.pre.length ? 0 : left.pre.length === 0 ? 1 : -1;
  }
  for (let index = 0; index < Math.max(left.pre.length, right.pre.length); index += 1) {
    const x = left.pre[index];
    const y = right.pre[index];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xNumeric = /^\d+$/.test(x);
    const yNumeric = /^\d+$/.test(y);
    if (xNumeric && yNumeric) return Math.sign(Number(x) - Number(y));
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function parse(release: string): { core: number[]; pre: string[] } {
  const match = RELEASE_PATTERN.exec(release);
  if (!match) throw new TypeError(`${JSON.stringify(release)} is not a semver release (MAJOR.MINOR.PATCH)`);
  return { core: [Number(match[1]), Number(match[2]), Number(match[3])], pre: match[4] ? match[4].split('.') : [] };
}

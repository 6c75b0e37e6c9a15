import { getServerInfo, type ServerInfo } from '../database';
import type { Prerequisite } from './prerequisite';

/** Server features a step can require; each maps to a field of {@link ServerInfo}. */
export type ServerFeature = 'instantAddColumn';

const FEATURES: Readonly<Record<ServerFeature, { readonly field: keyof ServerInfo; readonly label: string }>> = {
  instantAddColumn: { field: 'supportsInstantAddColumn', label: 'ALTER TABLE ... ADD COLUMN, ALGORITHM=INSTANT' },
};

/**
 * Requires a server feature, as detected by `getServerInfo`.
 *
 * ### Examples
 * ```ts
 * getMetadata() {
 *   return stepMetadata({ phase: 'expand', release: '1.1.0', requires: [serverSupports('instantAddColumn')] });
 * }
 * ```
 */
export function serverSupports(feature: ServerFeature): Prerequisite {
  const known = FEATURES[feature];
  if (!known)
    throw new TypeError(
      `Unknown server feature ${JSON.stringify(feature)}; use one of ${Object.keys(FEATURES).join(', ')}`,
    );
  return {
    id: `server:${feature}`,
    kind: 'server',
    describe: () => `the server supports ${known.label}`,
    async check(db) {
      const info = await getServerInfo(db);
      const met = info[known.field] === true;
      return {
        met,
        detail: `${serverName(info)} ${met ? 'supports' : 'does not support'} ${known.label}`,
        hint: met ? undefined : 'Upgrade the server (MySQL 8.0.12+ or MariaDB 10.3.2+) before this release.',
      };
    },
  };
}

/** Minimum versions per server flavor; a flavor left out is not supported by the step. */
export interface MinimumServerVersions {
  readonly mysql?: string;
  readonly mariadb?: string;
}

/**
 * Requires at least the given server version (`MAJOR.MINOR.PATCH`) for the flavor the step runs on.
 *
 * ### Examples
 * ```ts
 * requires: [minimumServerVersion({ mysql: '8.0.12', mariadb: '10.3.2' })]
 * ```
 */
export function minimumServerVersion(versions: MinimumServerVersions): Prerequisite {
  const parsed = Object.entries(versions).map(([flavor, version]) => {
    if (flavor !== 'mysql' && flavor !== 'mariadb')
      throw new TypeError(`Unknown server flavor ${JSON.stringify(flavor)}: use mysql or mariadb`);
    const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(String(version));
    if (!match) throw new TypeError(`Minimum ${flavor} version ${JSON.stringify(version)} must look like 8.0.12`);
    return [flavor, [Number(match[1]), Number(match[2]), Number(match[3])] as const] as const;
  });
  if (parsed.length === 0) throw new TypeError('minimumServerVersion needs a version for mysql and/or mariadb');
  const wanted = new Map(parsed);
  const label = parsed
    .map(([flavor, version]) => `${flavor === 'mysql' ? 'MySQL' : 'MariaDB'} ${version.join('.')}`)
    .join(' or ');
  return {
    id: `server:version:${parsed.map(([flavor, version]) => `${flavor}>=${version.join('.')}`).join(',')}`,
    kind: 'server',
    describe: () => `the server is at least ${label}`,
    async check(db) {
      const info = await getServerInfo(db);
      const minimum = wanted.get(info.flavor);
      if (!minimum) {
        return {
          met: false,
          detail: `${serverName(info)} is not a supported flavor for this step`,
          hint: `Run it on ${label}.`,
        };
      }
      const actual = [info.major, info.minor, info.patch];
      const difference = actual.map((part, index) => part - minimum[index]!).find((part) => part !== 0) ?? 0;
      return {
        met: difference >= 0,
        detail: `the server is ${serverName(info)}`,
        hint: difference >= 0 ? undefined : `Upgrade the server to ${label} or later before this release.`,
      };
    },
  };
}

function serverName(info: ServerInfo): string {
  return `${info.flavor === 'mysql' ? 'MySQL' : 'MariaDB'} ${info.major}.${info.minor}.${info.patch}`;
}

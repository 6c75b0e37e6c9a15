import { existsSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { ChecklistItem } from './checklist-item';
import type { ValidationConfig } from './validation-config';

/** How long the metrics endpoint may take to answer. */
export const DEFAULT_METRICS_TIMEOUT_MS = 5_000;

/** A Prometheus exposition line: `name{labels} value` (comments `# HELP`/`# TYPE` aside). */
const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?\s+[-+]?(\d|NaN|Inf)/m;

/**
 * Monitoring and alerting: the metrics endpoint answers 2xx with Prometheus text, and the alert rules file exists and
 * defines every named alert (an `alert: <name>` line, as in Prometheus rule files).
 */
export async function checkMonitoring(
  monitoring: ValidationConfig['monitoring'],
  resolvePath: (path: string) => string,
): Promise<ChecklistItem> {
  const item = { id: 'monitoring', title: 'Monitoring and alerting', kind: 'automated' as const };
  if (!monitoring?.metricsUrl && !monitoring?.alertRulesFile) {
    return {
      ...item,
      status: 'skipped',
      details: ['No validation.monitoring.metricsUrl or alertRulesFile configured.'],
    };
  }
  const details: string[] = [];
  let failed = false;
  if (monitoring.metricsUrl) {
    const url = redact(monitoring.metricsUrl);
    try {
      const response = await fetchText(monitoring.metricsUrl, monitoring.timeoutMs ?? DEFAULT_METRICS_TIMEOUT_MS);
      const ok = response.status >= 200 && response.status < 300 && SAMPLE_LINE.test(response.body);
      failed ||= !ok;
      details.push(
        ok
          ? `ok metrics endpoint ${url}: HTTP ${response.status}, Prometheus text`
          : `FAIL metrics endpoint ${url}: HTTP ${response.status}${response.status < 300 ? ', but no Prometheus samples in the body' : ''}`,
      );
    } catch (error) {
      failed = true;
      details.push(`FAIL metrics endpoint ${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (monitoring.alertRulesFile) {
    const file = resolvePath(monitoring.alertRulesFile);
    if (!existsSync(file)) {
      failed = true;
      details.push(`FAIL alert rules file ${file} does not exist`);
    } else {
      const text = readFileSync(file, 'utf8');
      const defined = new Set([...text.matchAll(/^\s*(?:-\s*)?alert:\s*["']?([^"'\s#]+)["']?/gm)].map((m) => m[1]!));
      const missing = (monitoring.alertRules ?? []).filter((name) => !defined.has(name));
      failed ||= missing.length > 0;
      details.push(
        missing.length > 0
          ? `FAIL alert rules file ${file}: missing ${missing.map((name) => `alert: ${name}`).join(', ')}`
          : `ok alert rules file ${file}: ${(monitoring.alertRules ?? []).length} named alert(s) present (${defined.size} defined)`,
      );
    }
  }
  return { ...item, status: failed ? 'fail' : 'pass', details };
}

function fetchText(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const request = get(url, { timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/** A metrics URL may carry basic-auth credentials; they never reach the report. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * deploy/prometheus/alerts.yml is valid for Prometheus (`promtool check rules`),
 * names only series Switchboard exports, and fires as its unit tests
 * (alerts.test.yml) expect. promtool is required under CI=true.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, test, type TestContext } from 'vitest';
import { requireService } from '../helpers/required-services.ts';

const run = promisify(execFile);
const RULES = 'deploy/prometheus/alerts.yml';

async function promtoolAvailable(): Promise<boolean> {
  try {
    await run('promtool', ['--version']);
    return true;
  } catch {
    return false;
  }
}

async function promtool(context: TestContext, args: string[]): Promise<string> {
  await requireService(context, 'promtool', promtoolAvailable());
  const { stdout, stderr } = await run('promtool', args);
  return stdout + stderr;
}

describe('Prometheus alerting rules', () => {
  test('promtool check rules accepts them', async (context) => {
    const output = await promtool(context, ['check', 'rules', RULES]);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
  });

  test('they fire as their unit tests expect', async (context) => {
    const output = await promtool(context, ['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
    expect(output).toContain('SUCCESS');
  });

  test('every switchboard_ series they use is one /metrics exports', async () => {
    const [rules, exporter] = await Promise.all([
      readFile(RULES, 'utf8'),
      readFile('server/metrics/prometheus.ts', 'utf8'),
    ]);
    const exported = new Set([...exporter.matchAll(/name: '(switchboard_[a-z_]+)'/g)].map((match) => match[1]));
    const used = new Set(
      [
        ...rules.replace(/^\s*#.*$/gm, '').matchAll(/\b(switchboard_[a-z_]+?)(?:_bucket|_sum|_count)?\b(?=[{[\s)])/g),
      ].map((match) => match[1]),
    );
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});

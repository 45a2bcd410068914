/**
 * `npm start` as a user runs it: a real process on the embedded PGlite default
 * (and on PostgreSQL when DATABASE_URL is set), seeding once, answering
 * GraphQL, keeping its data across restarts and stopping cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createPostgresDatabase, dropPostgresDatabase } from '../helpers/database.ts';
import { requirePostgres } from '../helpers/required-services.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DEMO_API_KEY = 'sb_test_demo_key_0123456789abcdefghij';
const DEMO_PASSWORD = 'demo password for tests';
const leftovers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of leftovers.reverse()) await cleanup();
});

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
}

async function start(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['server/index.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      LOG_LEVEL: 'warn',
      DEMO_API_KEY,
      DEMO_PASSWORD,
      SWITCHBOARD_PYTHON_POOL_SIZE: '0',
      SWITCHBOARD_JS_POOL_SIZE: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 90 s:\n${output}`)), 90_000);
    const check = () => {
      const match = /Switchboard listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
  leftovers.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, url, output: () => output };
}

async function stop(running: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGTERM');
  return exited;
}

async function query<T>(url: string, body: string): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_API_KEY}` },
    body: JSON.stringify({ query: body }),
  });
  return ((await response.json()) as { data: T }).data;
}

describe.each(['pglite', 'postgresql'] as const)('start command on %s', (engine) => {
  test('seeds once, serves GraphQL and the start page, persists, and stops on SIGTERM', async (context) => {
    if (engine === 'postgresql') await requirePostgres(context);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-start-'));
    leftovers.push(() => rm(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { SWITCHBOARD_DATA_DIR: dataDir };
    if (engine === 'postgresql') {
      const url = await createPostgresDatabase();
      leftovers.push(() => dropPostgresDatabase(url));
      env.DATABASE_URL = url;
      env.SWITCHBOARD_MASTER_KEY = Buffer.alloc(32, 3).toString('hex');
    }

    const first = await start(env);
    expect(first.output()).toContain('seeded a demo organization');
    expect(first.output()).toContain(`demo@switchboard.local / ${DEMO_PASSWORD}`);
    const seeded = await query<{
      viewer: { role: string };
      tools: { edges: Array<{ node: { name: string } }> };
      assistants: { edges: unknown[] };
    }>(first.url, `{ viewer { role } tools { edges { node { name } } } assistants { edges { node { id } } } }`);
    expect(seeded.viewer.role).toBe('OWNER');
    expect(seeded.tools.edges.map((edge) => edge.node.name)).toContain('order_status');
    expect(seeded.assistants.edges).toHaveLength(1);
    const page = await fetch(`${first.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/Switchboard/);
    await query(first.url, `mutation { createAssistant(input: { name: "Persisted" }) { __typename } }`);
    expect(await stop(first)).toBe(0);

    if (engine === 'pglite') {
      const key = await stat(path.join(dataDir, 'master.key'));
      expect(key.mode & 0o777).toBe(0o600);
    }

    const second = await start(env);
    expect(second.output()).not.toContain('seeded a demo organization');
    const after = await query<{ assistants: { edges: unknown[] } }>(
      second.url,
      `{ assistants { edges { node { id } } } }`,
    );
    expect(after.assistants.edges).toHaveLength(2);
    expect(await stop(second)).toBe(0);
  }, 240_000);
});

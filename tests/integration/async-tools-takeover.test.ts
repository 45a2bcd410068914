/**
 * kill -9 during an async job (PostgreSQL, graphile-worker): an instance in a
 * child process takes the job and reaches a held upstream, and is SIGKILLed.
 * Another instance sees its lease lapse, force-unlocks the dead workers' jobs
 * and finishes the execution: the receiver, which dedupes by Idempotency-Key,
 * saw every attempt under the execution id and completed it exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, expect, test } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { openDatabase, type Database } from '../../server/db/database.ts';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import { TEST_MASTER_KEY } from '../helpers/app.ts';
import { createPostgresDatabase, dropPostgresDatabase } from '../helpers/database.ts';
import { createOrganization } from '../helpers/fixtures.ts';
import { startIdempotentReceiver } from '../helpers/idempotent-receiver.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LEASE_MS = '1000';
const DEADLINE_MS = 30_000;
const leftovers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of leftovers.reverse()) await cleanup().catch(() => undefined);
});

function instanceEnv(databaseUrl: string, dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_MASTER_KEY: TEST_MASTER_KEY,
    SWITCHBOARD_JS_POOL_SIZE: '0',
    SWITCHBOARD_PYTHON_POOL_SIZE: '0',
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    SWITCHBOARD_INSTANCE_LEASE_MS: LEASE_MS,
    SWITCHBOARD_ASYNC_CONCURRENCY: '1',
  };
}

async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['server/index.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  leftovers.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 90 s:\n${output}`)), 90_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Switchboard listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
  return { child, url };
}

async function gql<T>(url: string, key: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function rowWhen(database: Database, id: string, done: (row: ToolExecution) => boolean): Promise<ToolExecution> {
  const until = Date.now() + DEADLINE_MS;
  for (;;) {
    const row = await database.prisma.toolExecution.findUniqueOrThrow({ where: { id } });
    if (done(row)) return row;
    if (Date.now() > until) throw new Error(`execution ${id} stayed ${row.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('an async job whose instance is killed (-9) mid-run is finished by another, once per idempotency key', async () => {
  const databaseUrl = await createPostgresDatabase();
  leftovers.push(() => dropPostgresDatabase(databaseUrl));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-takeover-'));
  leftovers.push(() => rm(dataDir, { recursive: true, force: true }));
  const receiver = await startIdempotentReceiver();
  leftovers.push(() => receiver.close());
  const database = await openDatabase({ databaseUrl, dataDir, poolSize: 3 });
  leftovers.push(() => database.close());

  const doomed = await startChild(instanceEnv(databaseUrl, dataDir));
  const org = await createOrganization(database.prisma, 'Takeover');
  const created = await gql<{ createTool: { id: string } }>(
    doomed.url,
    org.keys.MEMBER,
    `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename ... on Tool { id } } }`,
    {
      input: {
        name: 'book',
        type: 'ENDPOINT',
        timeoutSeconds: 60,
        configuration: { url: `${receiver.url}/book`, method: 'POST', execution_mode: 'async' },
        functionDefinition: { name: 'book', parameters: { type: 'object', properties: {} } },
      },
    },
  );
  receiver.plan('/book', ['hold', 200]);
  const queued = await gql<{ testTool: { id: string; status: string } }>(
    doomed.url,
    org.keys.MEMBER,
    `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename ... on ToolExecution { id status } } }`,
    { input: { toolId: created.createTool.id, parameters: {} } },
  );
  expect(queued.testTool.status).toBe('QUEUED');
  const id = queued.testTool.id;

  // The child's worker took it and is waiting on the upstream: kill it there.
  await receiver.arrived('/book');
  const running = await database.prisma.toolExecution.findUniqueOrThrow({ where: { id } });
  expect(running.status).toBe('RUNNING');
  const exited = new Promise((resolve) => doomed.child.once('exit', resolve));
  doomed.child.kill('SIGKILL');
  await exited;

  const config = loadConfig(instanceEnv(databaseUrl, dataDir));
  const survivor = await buildApp(config, { database, logger: pino({ level: 'silent' }) });
  leftovers.push(() => survivor.stop());
  await survivor.start(0, '127.0.0.1');

  const done = await rowWhen(database, id, (row) => row.status !== 'RUNNING');
  expect(done).toMatchObject({ status: 'SUCCESS', instanceId: survivor.services.engine.instanceId });
  expect(done.instanceId).not.toBe(running.instanceId);
  expect(receiver.requests('/book').map((request) => request.key)).toEqual([id, id]);
  expect(receiver.completions(id)).toBe(1);
  const jobs = await database.sql.query(`SELECT 1 FROM "graphile_worker"."jobs" WHERE "key" = $1`, [id]);
  expect(jobs).toEqual([]);
}, 120_000);

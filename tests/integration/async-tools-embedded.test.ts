/**
 * Async tools in embedded mode (PGlite, the `script/start` default): the jobs
 * live in the database's `async_jobs` table, so they survive a restart. One
 * execution is running against a held upstream and one is still queued when
 * the app closes; reopened on the same data directory, both complete, the
 * interrupted one under the same Idempotency-Key.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildApp, type App } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { openDatabase, type Database } from '../../server/db/database.ts';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import { TEST_MASTER_KEY } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { startIdempotentReceiver, type IdempotentReceiver } from '../helpers/idempotent-receiver.ts';

const DEADLINE_MS = 30_000;
let dataDir: string;
let receiver: IdempotentReceiver;
const leftovers: Array<() => Promise<void>> = [];

interface Running {
  app: App;
  database: Database;
  url: string;
  stop(): Promise<void>;
}

async function open(): Promise<Running> {
  const database = await openDatabase({ databaseUrl: null, dataDir });
  const config = loadConfig({
    NODE_ENV: 'test',
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_MASTER_KEY: TEST_MASTER_KEY,
    SWITCHBOARD_JS_POOL_SIZE: '0',
    SWITCHBOARD_PYTHON_POOL_SIZE: '0',
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    SWITCHBOARD_ASYNC_CONCURRENCY: '1',
  });
  const app = await buildApp(config, { database, logger: pino({ level: 'silent' }) });
  const url = await app.start(0, '127.0.0.1');
  let stopped: Promise<void> | null = null;
  const stop = () => (stopped ??= app.stop().then(() => database.close()));
  leftovers.push(stop);
  return { app, database, url, stop };
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

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-async-'));
  receiver = await startIdempotentReceiver();
});

afterAll(async () => {
  for (const cleanup of leftovers.reverse()) await cleanup().catch(() => undefined);
  await receiver?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('queued and running async executions complete after the app is closed and reopened on the same data', async () => {
  const first = await open();
  const org: TestOrganization = await createOrganization(first.database.prisma, 'Embedded');
  const created = await gql<{ createTool: { id: string } }>(
    first.url,
    org.keys.MEMBER,
    `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename ... on Tool { id } } }`,
    {
      input: {
        name: 'book',
        type: 'ENDPOINT',
        timeoutSeconds: 30,
        configuration: {
          url: `${receiver.url}/book/\${parameters.n}`,
          method: 'POST',
          execution_mode: 'async',
        },
        functionDefinition: { name: 'book', parameters: { type: 'object', properties: { n: { type: 'string' } } } },
      },
    },
  );
  const toolId = created.createTool.id;
  const run = (n: string) =>
    gql<{ testTool: { id: string; status: string } }>(
      first.url,
      org.keys.MEMBER,
      `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename ... on ToolExecution { id status } } }`,
      { input: { toolId, parameters: { n } } },
    );

  // The first one reaches the upstream, which holds it; with one worker the second stays queued.
  receiver.plan('/book/held', ['hold', 200]);
  const held = (await run('held')).testTool;
  expect(held.status).toBe('QUEUED');
  await receiver.arrived('/book/held');
  const waiting = (await run('waiting')).testTool;
  expect(waiting.status).toBe('QUEUED');

  await first.stop();
  const rowsAtClose = await (async () => {
    const reopened = await openDatabase({ databaseUrl: null, dataDir });
    try {
      return await reopened.prisma.toolExecution.findMany({ where: { id: { in: [held.id, waiting.id] } } });
    } finally {
      await reopened.close();
    }
  })();
  // Neither was given a verdict by the shutdown: their jobs still hold them.
  expect(rowsAtClose.map((row) => row.status).sort()).toEqual(['QUEUED', 'RUNNING']);

  const second = await open();
  const heldDone = await rowWhen(second.database, held.id, (row) => row.status === 'SUCCESS');
  const waitingDone = await rowWhen(second.database, waiting.id, (row) => row.status === 'SUCCESS');
  expect(heldDone.instanceId).toBe(second.app.services.engine.instanceId);
  expect(waitingDone.instanceId).toBe(second.app.services.engine.instanceId);
  expect(receiver.requests('/book/held').map((request) => request.key)).toEqual([held.id, held.id]);
  expect(receiver.completions(held.id)).toBe(1);
  expect(receiver.requests('/book/waiting').map((request) => request.key)).toEqual([waiting.id]);
  expect(await second.database.prisma.asyncJob.count()).toBe(0);
  await second.stop();
}, 90_000);

/**
 * Live fan-out: 1,000 graphql-ws subscribers on one organization receive the
 * events of executions run through the engine. Prints delivery latency
 * (event time → client receipt) p50/p99 and lost events, for one instance
 * with in-memory pub/sub and for two instances sharing Redis (subscribers
 * split across both, executions on the first), side by side. Figures only.
 *
 * BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is
 * where a scratch database is created and dropped; REDIS_URL defaults to local.
 */
import { randomBytes } from 'node:crypto';
import { cpus, platform, release } from 'node:os';
import pg from 'pg';
import WebSocket from 'ws';
import { buildApp, type App } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase, type Database } from '../server/db/database.ts';
import type { ExecutionEvent } from '../server/realtime/pubsub.ts';
import { generateApiKey } from '../server/security/tokens.ts';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 60);
const EXECUTIONS_PER_SECOND = 20;
const CONNECT_BATCH = 50;
const SETTLE_MS = 2_000;
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MASTER_KEY = Buffer.alloc(32, 3).toString('base64');

const QUERIES = {
  'event only': 'subscription { toolExecutionEvents { kind status executionId at } }',
  'with execution': 'subscription { toolExecutionEvents { kind at execution { id status durationMs errorCode tool { name } } } }',
} as const;

interface Subscriber {
  socket: WebSocket;
  received: number;
  latencies: number[];
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function startApp(database: Database, env: Record<string, string>): Promise<{ app: App; url: string }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    SWITCHBOARD_DATA_DIR: '/tmp/switchboard-bench',
    SWITCHBOARD_MASTER_KEY: MASTER_KEY,
    SWITCHBOARD_JS_POOL_SIZE: '0',
    SWITCHBOARD_PYTHON_POOL_SIZE: '0',
    SWITCHBOARD_SUBSCRIPTION_QUEUE_LIMIT: '1000',
    ...env,
  });
  const app = await buildApp(config, { database });
  return { app, url: await app.start(0, '127.0.0.1') };
}

async function subscribe(url: string, apiKey: string, query: string): Promise<Subscriber> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const subscriber: Subscriber = { socket, received: 0, latencies: [] };
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { type: string; payload?: { data?: { toolExecutionEvents?: { at: string } } } };
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
        resolve();
      } else if (message.type === 'next') {
        const at = message.payload?.data?.toolExecutionEvents?.at;
        subscriber.received += 1;
        if (at) subscriber.latencies.push(Date.now() - Date.parse(at));
      }
    });
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { apiKey } })));
  });
  return subscriber;
}

interface RunResult {
  events: number;
  delivered: number;
  lost: number;
  p50: number;
  p99: number;
  max: number;
  seconds: number;
}

async function run(database: Database, instances: 1 | 2, query: string): Promise<RunResult> {
  const env: Record<string, string> = instances === 2 ? { REDIS_URL } : {};
  const apps = [await startApp(database, env)];
  if (instances === 2) apps.push(await startApp(database, env));
  const prisma = apps[0]!.app.services.prisma;
  const slug = `bench-${randomBytes(4).toString('hex')}`;
  const org = await prisma.organization.create({ data: { name: 'Bench', slug } });
  const key = generateApiKey();
  await prisma.apiKey.create({ data: { organizationId: org.id, name: 'bench', prefix: key.prefix, keyHash: key.hash, role: 'VIEWER' } });
  // Inactive: every run is recorded (CREATED, FINISHED) without waiting on any network.
  const tool = await prisma.tool.create({
    data: {
      organizationId: org.id,
      name: 'noop',
      displayName: 'noop',
      type: 'ENDPOINT',
      isActive: false,
      configuration: { url: 'https://api.example.com/noop', method: 'GET' },
      functionDefinition: { name: 'noop', parameters: { type: 'object', properties: {} } },
    },
  });

  const subscribers: Subscriber[] = [];
  for (let i = 0; i < SUBSCRIBERS; i += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, SUBSCRIBERS - i) }, (_, j) => apps[(i + j) % apps.length]!);
    subscribers.push(...(await Promise.all(batch.map(({ url }) => subscribe(url, key.key, query)))));
  }
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

  let published = 0;
  const stop = apps[0]!.app.services.pubsub.onLocalPublish((topic, event) => {
    if (topic.startsWith('executions:') && (event as ExecutionEvent).organizationId === org.id) published += 1;
  });
  const started = Date.now();
  const engine = apps[0]!.app.services.engine;
  const runs: Array<Promise<unknown>> = [];
  for (let i = 0; i < EXECUTIONS; i += 1) {
    runs.push(
      engine.run({
        organizationId: org.id,
        toolId: tool.id,
        parameters: {},
        context: { triggerContext: 'call' },
        actor: { userId: null, apiKeyId: null },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000 / EXECUTIONS_PER_SECOND));
  }
  await Promise.all(runs);
  const expected = () => published * subscribers.length;
  const delivered = () => subscribers.reduce((sum, subscriber) => sum + subscriber.received, 0);
  const deadline = Date.now() + 30_000;
  while (delivered() < expected() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const seconds = (Date.now() - started) / 1000;
  stop();

  const latencies = subscribers.flatMap((subscriber) => subscriber.latencies).sort((a, b) => a - b);
  for (const subscriber of subscribers) subscriber.socket.terminate();
  for (const { app } of apps) await app.stop();
  return {
    events: published,
    delivered: delivered(),
    lost: expected() - delivered(),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    seconds,
  };
}

export async function runFanout(): Promise<void> {
  const name = `sb_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory://', poolSize: 20 });
  const version = await database.sql.query<{ server_version: string }>('SHOW server_version');
  try {
    const cpuList = cpus();
    console.log('## Live fan-out: graphql-ws subscribers on one organization');
    console.log(`machine:  ${cpuList[0]?.model ?? 'unknown'} × ${cpuList.length} (${platform()} ${release()})`);
    console.log(`node:     ${process.version}; database: PostgreSQL ${version[0]?.server_version}; Redis at ${REDIS_URL}`);
    console.log(`load:     ${SUBSCRIBERS} subscribers (one socket each, same process as the servers), ${EXECUTIONS} executions at ${EXECUTIONS_PER_SECOND}/s, 2 events each`);
    console.log('');
    console.log('| selection | setup | events | deliveries | lost | p50 ms | p99 ms | max ms | p99 ratio vs memory |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const [label, query] of Object.entries(QUERIES)) {
      const memory = await run(database, 1, query);
      const redis = await run(database, 2, query);
      for (const [setup, result] of [['1 instance, memory', memory], ['2 instances, Redis', redis]] as const) {
        console.log(
          `| ${label} | ${setup} | ${result.events} | ${result.delivered} | ${result.lost} | ${result.p50} | ${result.p99} | ${result.max} | ${(result.p99 / memory.p99).toFixed(2)} |`,
        );
      }
    }
    console.log('');
  } finally {
    await database.close();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

if (import.meta.main) await runFanout();

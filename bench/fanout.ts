/**
 * Live fan-out: 1,000 graphql-ws subscribers on one organization receive the
 * events of executions run through the engine. Prints delivery latency
 * (event time → client receipt) p50/p99 and lost events, for one instance
 * with in-memory pub/sub and for two instances sharing Redis (subscribers
 * split across both, executions on the first), side by side. Figures only.
 *
 * The subscriber sockets live in a child process (this file run with
 * `--clients`, driven over IPC): a client parsing 1,000 sockets' frames on the
 * servers' event loop would delay the deliveries it measures. Both processes
 * read the same wall clock, so latency is `Date.now()` at receipt minus the event's `at`.
 *
 * BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is
 * where a scratch database is created and dropped; REDIS_URL defaults to local.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { buildApp, type App } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase, type Database } from '../server/db/database.ts';
import type { ExecutionEvent } from '../server/realtime/pubsub.ts';
import { generateApiKey } from '../server/security/tokens.ts';
import { machineLine, percentile } from './report.ts';
import { postgresAdmin } from './postgres-admin.ts';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 60);
const EXECUTIONS_PER_SECOND = 20;
const CONNECT_BATCH = 50;
const SETTLE_MS = 1_000;
/** How long deliveries may trail the last execution before the rest count as lost. */
const DRAIN_MS = 15_000;
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MASTER_KEY = Buffer.alloc(32, 3).toString('base64');

const QUERIES = {
  'event only': 'subscription { toolExecutionEvents { kind status executionId at } }',
  'with execution':
    'subscription { toolExecutionEvents { kind at execution { id status durationMs errorCode tool { name } assistant { name } } } }',
} as const;

interface Subscriber {
  socket: WebSocket;
  received: number;
  latencies: number[];
}

/** Parent → clients process. */
type ClientCommand =
  | { type: 'connect'; urls: string[]; apiKey: string; query: string; count: number }
  | { type: 'count' }
  | { type: 'report' };

/** Clients process → parent. */
type ClientReply =
  | { type: 'connected'; count: number }
  | { type: 'count'; delivered: number }
  | { type: 'report'; delivered: number; latencies: number[] };

const admin = (sql: string): Promise<void> => postgresAdmin(ADMIN_URL, sql);

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

async function subscribeOne(url: string, apiKey: string, query: string): Promise<Subscriber> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const subscriber: Subscriber = { socket, received: 0, latencies: [] };
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as {
        type: string;
        payload?: { data?: { toolExecutionEvents?: { at: string } } };
      };
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
  /** 1-minute load average, the higher of before and after the run. */
  load: number;
}

async function run(database: Database, instances: 1 | 2, query: string): Promise<RunResult> {
  const env: Record<string, string> = instances === 2 ? { REDIS_URL } : {};
  const apps = [await startApp(database, env)];
  if (instances === 2) apps.push(await startApp(database, env));
  const prisma = apps[0]!.app.services.prisma;
  const slug = `bench-${randomBytes(4).toString('hex')}`;
  const org = await prisma.organization.create({ data: { name: 'Bench', slug } });
  const key = generateApiKey();
  // A key acts with at most its creator's role: the bench key answers to a member.
  const user = await prisma.user.create({ data: { email: `${slug}@bench.local`, passwordHash: '-' } });
  await prisma.membership.create({ data: { userId: user.id, organizationId: org.id, role: 'VIEWER' } });
  await prisma.apiKey.create({
    data: {
      organizationId: org.id,
      name: 'bench',
      prefix: key.prefix,
      keyHash: key.hash,
      role: 'VIEWER',
      createdById: user.id,
    },
  });
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

  const clients = startClients();
  const connected = await clients.ask({
    type: 'connect',
    urls: apps.map(({ url }) => url),
    apiKey: key.key,
    query,
    count: SUBSCRIBERS,
  });
  if (connected.type !== 'connected' || connected.count !== SUBSCRIBERS)
    throw new Error('the clients process did not connect every subscriber');
  // graphql-ws does not acknowledge a subscribe: wait for every subscription to be open on the servers.
  const open = async () => {
    let total = 0;
    for (const { app } of apps) {
      const values = (await app.services.metrics.prometheus.liveSubscriptions.get()).values;
      total += values.find((value) => value.labels.field === 'toolExecutionEvents')?.value ?? 0;
    }
    return total;
  };
  const openDeadline = Date.now() + 30_000;
  while ((await open()) < SUBSCRIBERS && Date.now() < openDeadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const loadBefore = loadavg()[0]!;

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
  const expected = published * SUBSCRIBERS;
  const deadline = Date.now() + DRAIN_MS;
  for (;;) {
    const reply = await clients.ask({ type: 'count' });
    if ((reply.type === 'count' && reply.delivered >= expected) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (Date.now() - started) / 1000;
  const load = Math.max(loadBefore, loadavg()[0]!);
  stop();

  const report = await clients.ask({ type: 'report' });
  if (report.type !== 'report') throw new Error('unexpected reply from the clients process');
  await clients.close();
  for (const { app } of apps) await app.stop();
  const latencies = report.latencies.sort((a, b) => a - b);
  return {
    events: published,
    delivered: report.delivered,
    lost: expected - report.delivered,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    seconds,
    load,
  };
}

/** The clients process, driven over IPC: one request, one reply, in order. */
function startClients(): { ask(command: ClientCommand): Promise<ClientReply>; close(): Promise<void> } {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--clients'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending: Array<{ resolve: (reply: ClientReply) => void; reject: (error: Error) => void }> = [];
  child.on('message', (reply) => pending.shift()?.resolve(reply as ClientReply));
  child.on('exit', (code) => {
    for (const waiter of pending.splice(0)) waiter.reject(new Error(`the clients process exited (${code})`));
  });
  return {
    ask(command) {
      return new Promise((resolve, reject) => {
        pending.push({ resolve, reject });
        child.send(command);
      });
    },
    close() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      });
    },
  };
}

/** Child side: opens the sockets (round-robin over the instances) and records every delivery. */
function serveClients(): void {
  const subscribers: Subscriber[] = [];
  const delivered = () => subscribers.reduce((sum, subscriber) => sum + subscriber.received, 0);
  const reply = (message: ClientReply) => process.send?.(message);
  process.on('message', (raw) => {
    const command = raw as ClientCommand;
    void (async () => {
      if (command.type === 'connect') {
        for (let i = 0; i < command.count; i += CONNECT_BATCH) {
          const batch = Array.from(
            { length: Math.min(CONNECT_BATCH, command.count - i) },
            (_, j) => command.urls[(i + j) % command.urls.length]!,
          );
          subscribers.push(
            ...(await Promise.all(batch.map((url) => subscribeOne(url, command.apiKey, command.query)))),
          );
        }
        reply({ type: 'connected', count: subscribers.length });
      } else if (command.type === 'count') {
        reply({ type: 'count', delivered: delivered() });
      } else {
        reply({
          type: 'report',
          delivered: delivered(),
          latencies: subscribers.flatMap((subscriber) => subscriber.latencies),
        });
        for (const subscriber of subscribers) subscriber.socket.terminate();
      }
    })();
  });
  // The parent disconnecting is the signal to go.
  process.on('disconnect', () => process.exit(0));
}

export async function runFanout(): Promise<void> {
  const name = `sb_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory://', poolSize: 20 });
  const version = await database.sql.query<{ server_version: string }>('SHOW server_version');
  try {
    console.log('## Live fan-out: graphql-ws subscribers on one organization');
    console.log(machineLine());
    console.log(
      `node:     ${process.version}; database: PostgreSQL ${version[0]?.server_version}; Redis at ${REDIS_URL}`,
    );
    console.log(
      `load:     ${SUBSCRIBERS} subscribers (one socket each, in a separate clients process; both instances in this process), ${EXECUTIONS} executions at ${EXECUTIONS_PER_SECOND}/s, 2 events each`,
    );
    console.log(
      `machine load average at start (1/5/15 min): ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' / ')}`,
    );
    console.log('');
    console.log(
      '| selection | setup | events | deliveries | lost | p50 ms | p99 ms | max ms | p99 ratio vs memory | seconds | load avg |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    // BENCH_SELECTION=execution / BENCH_SETUP=memory narrow the runs (e.g. for a profile).
    const selection = process.env.BENCH_SELECTION;
    const setup = process.env.BENCH_SETUP;
    for (const [label, query] of Object.entries(QUERIES)) {
      if (selection && !label.includes(selection)) continue;
      const memory = await run(database, 1, query);
      const redis = setup === 'memory' ? null : await run(database, 2, query);
      for (const [setup, result] of [
        ['1 instance, memory', memory],
        ['2 instances, Redis', redis],
      ] as const) {
        if (!result) continue;
        console.log(
          `| ${label} | ${setup} | ${result.events} | ${result.delivered} | ${result.lost} | ${result.p50} | ${result.p99} | ${result.max} | ${(result.p99 / memory.p99).toFixed(2)} | ${result.seconds.toFixed(1)} | ${result.load.toFixed(2)} |`,
        );
      }
    }
    console.log('');
  } finally {
    await database.close();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

if (import.meta.main) {
  if (process.argv.includes('--clients')) serveClients();
  else await runFanout();
}

/**
 * Async tools on PostgreSQL: enqueue → start latency (p50/p99, one job at a
 * time) and jobs per second (a burst drained by the workers), through
 * Switchboard (engine.run of an async endpoint tool → QUEUED row + job in one
 * statement → worker claims the row → the tool's request reaches a loopback
 * upstream), printed beside graphile-worker's own figures measured in the same
 * run (add_job + a no-op task) as ratios. Figures only, no pass/fail.
 *
 * BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is
 * where the scratch databases are created and dropped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Logger, run, runMigrations } from 'graphile-worker';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/database.ts';
import { postgresAdmin } from './postgres-admin.ts';
import { loadAverage, machineLine, percentile } from './report.ts';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const LATENCY_JOBS = Number(process.env.BENCH_ASYNC_LATENCY_JOBS ?? 300);
const BURST_JOBS = Number(process.env.BENCH_ASYNC_BURST_JOBS ?? 2_000);
const WARMUP_JOBS = 50;
/** Both sides run this many jobs at once (SWITCHBOARD_ASYNC_CONCURRENCY's default). */
const CONCURRENCY = 8;
/** Concurrent enqueuers in the burst. */
const ENQUEUERS = 8;
const UNLIMITED = { capacity: 1e9, refillPerSecond: 1e9 };
const MASTER_KEY = Buffer.alloc(32, 9).toString('base64');

interface Figures {
  p50: number;
  p99: number;
  jobsPerSecond: number;
}

/** Something that enqueues job `n` and reports (through `started`) when its work starts. */
interface Subject {
  enqueue(n: number): Promise<void>;
  /** Resolves when job `n` started (latency) or finished (burst). */
  started(n: number): Promise<void>;
  finished(n: number): Promise<void>;
}

function signals(): { wait(n: number): Promise<void>; fire(n: number): void } {
  const fired = new Set<number>();
  const waiting = new Map<number, () => void>();
  return {
    wait: (n) => (fired.has(n) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(n, resolve))),
    fire(n) {
      fired.add(n);
      waiting.get(n)?.();
      waiting.delete(n);
    },
  };
}

async function measure(subject: Subject, offset: number): Promise<Figures> {
  for (let n = offset; n < offset + WARMUP_JOBS; n += 1) {
    await subject.enqueue(n);
    await subject.finished(n);
  }
  const latencies: number[] = [];
  const first = offset + WARMUP_JOBS;
  for (let n = first; n < first + LATENCY_JOBS; n += 1) {
    const t0 = performance.now();
    await subject.enqueue(n);
    await subject.started(n);
    latencies.push(performance.now() - t0);
    await subject.finished(n);
  }
  latencies.sort((a, b) => a - b);
  const burst = first + LATENCY_JOBS;
  let next = burst;
  const started = performance.now();
  const enqueuer = async (): Promise<void> => {
    while (next < burst + BURST_JOBS) {
      const n = next;
      next += 1;
      await subject.enqueue(n);
    }
  };
  await Promise.all(Array.from({ length: ENQUEUERS }, enqueuer));
  await Promise.all(Array.from({ length: BURST_JOBS }, (_, i) => subject.finished(burst + i)));
  const seconds = (performance.now() - started) / 1000;
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), jobsPerSecond: BURST_JOBS / seconds };
}

async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sb_bench_${randomBytes(5).toString('hex')}`;
  await postgresAdmin(ADMIN_URL, `CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => postgresAdmin(ADMIN_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

const quiet = new Logger(() => () => undefined);

async function rawGraphileWorker(): Promise<Figures> {
  const scratch = await scratchDatabase();
  const pool = new pg.Pool({ connectionString: scratch.url, max: CONCURRENCY + 4 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const starts = signals();
  const ends = signals();
  try {
    await runMigrations({ pgPool: pool, logger: quiet });
    const runner = await run({
      pgPool: pool,
      concurrency: CONCURRENCY,
      noHandleSignals: true,
      pollInterval: 1_000,
      logger: quiet,
      taskList: {
        noop: async (payload) => {
          const n = (payload as { n: number }).n;
          starts.fire(n);
          ends.fire(n);
        },
      },
    });
    try {
      return await measure(
        {
          enqueue: async (n) => {
            await pool.query(`SELECT graphile_worker.add_job('noop', json_build_object('n', $1::int))`, [n]);
          },
          started: starts.wait,
          finished: ends.wait,
        },
        0,
      );
    } finally {
      await runner.stop();
    }
  } finally {
    await pool.end();
    await scratch.drop();
  }
}

async function throughSwitchboard(): Promise<Figures> {
  const scratch = await scratchDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-bench-async-'));
  const starts = signals();
  const ends = signals();
  const byExecution = new Map<string, number>();
  const upstream = createServer((req, res) => {
    starts.fire(Number(req.url?.split('/').pop()));
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  upstream.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;
  const database = await openDatabase({ databaseUrl: scratch.url, dataDir, poolSize: 10 });
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: scratch.url,
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_MASTER_KEY: MASTER_KEY,
    SWITCHBOARD_JS_POOL_SIZE: '0',
    SWITCHBOARD_PYTHON_POOL_SIZE: '0',
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    SWITCHBOARD_ASYNC_CONCURRENCY: String(CONCURRENCY),
    SWITCHBOARD_SEED_DEMO: 'false',
  });
  const app = await buildApp(config, {
    database,
    logger: pino({ level: 'silent' }),
    engine: { rateLimits: { tool: UNLIMITED, assistant: UNLIMITED, perCall: 1e9, test: UNLIMITED } },
    onAsyncSettled: async (row) => {
      const n = byExecution.get(row.id);
      if (n !== undefined) ends.fire(n);
    },
  });
  try {
    const { prisma } = app.services;
    const org = await prisma.organization.create({
      data: { name: 'Bench', slug: `bench-${randomBytes(4).toString('hex')}` },
    });
    const tool = await prisma.tool.create({
      data: {
        organizationId: org.id,
        name: 'book',
        displayName: 'book',
        type: 'ENDPOINT',
        configuration: {
          url: `http://127.0.0.1:${port}/book/\${parameters.n}`,
          method: 'POST',
          execution_mode: 'async',
        },
        functionDefinition: { name: 'book', parameters: { type: 'object', properties: { n: { type: 'string' } } } },
      },
    });
    return await measure(
      {
        enqueue: async (n) => {
          const row = await app.services.engine.run({
            organizationId: org.id,
            toolId: tool.id,
            parameters: { n: String(n) },
            context: { triggerContext: 'test' },
            actor: { userId: null, apiKeyId: null },
          });
          if (row.status !== 'QUEUED') throw new Error(`job ${n} was ${row.status}: ${row.errorMessage}`);
          byExecution.set(row.id, n);
        },
        started: starts.wait,
        finished: ends.wait,
      },
      0,
    );
  } finally {
    await app.stop();
    await database.close();
    upstream.closeAllConnections();
    upstream.close();
    await rm(dataDir, { recursive: true, force: true });
    await scratch.drop();
  }
}

function row(label: string, raw: number, ours: number, digits: number): string {
  return `${label.padEnd(26)}${raw.toFixed(digits).padStart(16)}${ours.toFixed(digits).padStart(16)}${(ours / raw).toFixed(2).padStart(10)}×`;
}

export async function runAsyncQueue(): Promise<void> {
  const raw = await rawGraphileWorker();
  const ours = await throughSwitchboard();
  console.log(
    [
      '',
      `async queue: PostgreSQL, graphile-worker, concurrency ${CONCURRENCY}; latency over ${LATENCY_JOBS} jobs one at a time, throughput over a burst of ${BURST_JOBS}`,
      machineLine(),
      `load:     ${loadAverage()}`,
      `${''.padEnd(26)}${'graphile raw'.padStart(16)}${'Switchboard'.padStart(16)}${'ratio'.padStart(11)}`,
      row('enqueue → start p50 (ms)', raw.p50, ours.p50, 2),
      row('enqueue → start p99 (ms)', raw.p99, ours.p99, 2),
      row('jobs/s', raw.jobsPerSecond, ours.jobsPerSecond, 0),
      'raw: add_job + a no-op task; Switchboard: engine.run → QUEUED row + job → claim → the tool request reaches a loopback upstream',
    ].join('\n'),
  );
}

if (import.meta.main) await runAsyncQueue();

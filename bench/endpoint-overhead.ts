/**
 * Endpoint overhead: one local HTTP endpoint called directly with fetch, and
 * the same endpoint as a tool through `executeTool` over GraphQL (HTTP, API
 * key, logged execution). Prints added p50/p99 milliseconds and the throughput
 * ratio at concurrency 1 and 32. Figures only, no pass/fail.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/database.ts';
import { generateApiKey } from '../server/security/tokens.ts';
import { loadAverage, machineLine, percentile } from './report.ts';

/** Requests per measured phase, and a time cap so the whole run stays well under a minute. */
const REQUESTS = { 1: 600, 32: 4_000 } as const;
const WARMUP_REQUESTS = 300;
const PHASE_TIME_CAP_MS = 8_000;
const UNLIMITED = { capacity: 1e9, refillPerSecond: 1e9 };
/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux builds). */
const CLOCK_TICKS_PER_SECOND = 100;

interface Phase {
  latencies: number[];
  seconds: number;
  failures: number;
  /** CPU milliseconds per request of this process (client, server and, on PGlite, the database). */
  cpuPerOp: number;
  /** CPU milliseconds per request of local PostgreSQL processes; null when none are visible. */
  postgresCpuPerOp: number | null;
}

/** CPU milliseconds used so far by local PostgreSQL processes (Linux /proc); null when none are visible. */
function postgresCpuMs(): number | null {
  let ticks = 0;
  let seen = false;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      seen = true;
    }
  } catch {
    return null;
  }
  return seen ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : null;
}

async function measure(total: number, concurrency: number, once: () => Promise<boolean>): Promise<Phase> {
  const latencies: number[] = [];
  let failures = 0;
  let issued = 0;
  const cpuBefore = process.cpuUsage();
  const postgresBefore = postgresCpuMs();
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (issued < total && performance.now() - started < PHASE_TIME_CAP_MS) {
      issued += 1;
      const t0 = performance.now();
      const ok = await once();
      latencies.push(performance.now() - t0);
      if (!ok) failures += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const postgresAfter = postgresCpuMs();
  const count = Math.max(1, latencies.length);
  return {
    latencies: latencies.sort((a, b) => a - b),
    seconds,
    failures,
    cpuPerOp: (cpu.user + cpu.system) / 1000 / count,
    postgresCpuPerOp:
      postgresBefore === null || postgresAfter === null ? null : (postgresAfter - postgresBefore) / count,
  };
}

/** Requests of the separate-process phase, and its concurrency. */
const REMOTE_LOAD = { requests: 6_000, concurrency: 32 } as const;

/** Parent → load process. */
interface LoadCommand {
  url: string;
  headers: Record<string, string>;
  /** The body, with `SEQ` replaced by a sequence number (unique tool call ids). */
  body: string;
  requests: number;
  concurrency: number;
}

/** Load process → parent: its upstream's port once listening, then each run's figures. */
type LoadReply =
  { type: 'upstream'; port: number } | { type: 'done'; latencies: number[]; seconds: number; failures: number };

/** Child side: an upstream like the parent's, and a load generator driven over IPC. */
async function serveLoad(): Promise<void> {
  const upstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"ok","order":{"id":"A-1"}}');
  });
  upstream.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const reply = (message: LoadReply): void => void process.send?.(message);
  reply({ type: 'upstream', port: (upstream.address() as AddressInfo).port });
  process.on('message', (raw) => {
    const command = raw as LoadCommand;
    void (async () => {
      const latencies: number[] = [];
      let failures = 0;
      let issued = 0;
      const started = performance.now();
      const worker = async (): Promise<void> => {
        while (issued < command.requests) {
          issued += 1;
          const body = command.body.replace('SEQ', String(issued));
          const t0 = performance.now();
          const response = await fetch(command.url, { method: 'POST', headers: command.headers, body });
          const text = await response.text();
          latencies.push(performance.now() - t0);
          if (!text.includes('SUCCESS')) failures += 1;
        }
      };
      await Promise.all(Array.from({ length: command.concurrency }, worker));
      reply({
        type: 'done',
        latencies: latencies.sort((a, b) => a - b),
        seconds: (performance.now() - started) / 1000,
        failures,
      });
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

/** The load process: started first, so its upstream can be allow-listed when the app is built. */
async function startLoadProcess(): Promise<{
  port: number;
  run(command: LoadCommand): Promise<LoadReply>;
  stop(): void;
}> {
  const child = fork(fileURLToPath(import.meta.url), ['--load'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (): Promise<LoadReply> =>
    new Promise((resolve) => child.once('message', (message) => resolve(message as LoadReply)));
  const first = await next();
  if (first.type !== 'upstream') throw new Error('the load process did not start its upstream');
  return {
    port: first.port,
    run(command) {
      const reply = next();
      child.send(command);
      return reply;
    },
    stop: () => child.disconnect(),
  };
}

export async function runEndpointOverhead(): Promise<void> {
  const load = await startLoadProcess();
  const upstream = createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end('{"message":"ok","order":{"id":"A-1","status":"shipped"}}');
  });
  upstream.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}/orders`;

  const databaseUrl = process.env.BENCH_DATABASE_URL ?? null;
  const database = await openDatabase({ databaseUrl, dataDir: 'memory://', poolSize: 20 });
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    SWITCHBOARD_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
    SWITCHBOARD_DATA_DIR: '/tmp/switchboard-bench',
    SWITCHBOARD_SEED_DEMO: 'false',
    SWITCHBOARD_JS_POOL_SIZE: '0',
    SWITCHBOARD_PYTHON_POOL_SIZE: '0',
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstreamPort},127.0.0.1:${load.port}`,
  });
  // The benchmark measures the engine, not the abuse limits, so they are lifted.
  const app = await buildApp(config, {
    database,
    engine: { rateLimits: { tool: UNLIMITED, assistant: UNLIMITED, perCall: 1e9 } },
  });
  const base = await app.start(0, '127.0.0.1');

  const prisma = app.services.prisma;
  const organization = await prisma.organization.create({ data: { name: 'Bench', slug: `bench-${Date.now()}` } });
  const key = generateApiKey();
  await prisma.apiKey.create({
    data: { organizationId: organization.id, name: 'bench', prefix: key.prefix, keyHash: key.hash, role: 'MEMBER' },
  });
  const tool = await prisma.tool.create({
    data: {
      organizationId: organization.id,
      name: 'lookup_order',
      displayName: 'Lookup order',
      type: 'ENDPOINT',
      configuration: { url: upstreamUrl, method: 'GET', query_parameters: { id: '${parameters.order_id}' } },
      functionDefinition: {
        name: 'lookup_order',
        parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
      },
    },
  });
  const assistant = await prisma.assistant.create({ data: { organizationId: organization.id, name: 'Bench' } });
  await prisma.assistantTool.create({ data: { assistantId: assistant.id, toolId: tool.id } });
  // The same tool against the load process's upstream, for the phase whose load comes from there.
  const remoteTool = await prisma.tool.create({
    data: {
      organizationId: organization.id,
      name: 'lookup_order_remote',
      displayName: 'Lookup order (remote upstream)',
      type: 'ENDPOINT',
      configuration: {
        url: `http://127.0.0.1:${load.port}/orders`,
        method: 'GET',
        query_parameters: { id: '${parameters.order_id}' },
      },
      functionDefinition: {
        name: 'lookup_order_remote',
        parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
      },
    },
  });
  await prisma.assistantTool.create({ data: { assistantId: assistant.id, toolId: remoteTool.id } });

  const query =
    'mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { ... on ToolExecution { id status } } }';
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key.key}` };
  let sequence = 0;
  const direct = async (): Promise<boolean> => {
    const response = await fetch(`${upstreamUrl}?id=A-1`);
    await response.arrayBuffer();
    return response.ok;
  };
  const throughEngine = async (): Promise<boolean> => {
    sequence += 1;
    const body = JSON.stringify({
      query,
      variables: {
        input: {
          assistantId: assistant.id,
          toolName: 'lookup_order',
          parameters: { order_id: 'A-1' },
          context: { callSid: `CA-bench-${sequence % 64}` },
          toolCallId: `tc-${sequence}`,
        },
      },
    });
    const response = await fetch(`${base}/graphql`, { method: 'POST', headers, body });
    const result = (await response.json()) as { data?: { executeTool?: { status?: string } } };
    return result.data?.executeTool?.status === 'SUCCESS';
  };

  // The floor: an authenticated GraphQL request that runs no tool (API key lookup, parse, validate, execute).
  const graphqlFloor = async (): Promise<boolean> => {
    const response = await fetch(`${base}/graphql`, { method: 'POST', headers, body: '{"query":"{ __typename }"}' });
    await response.arrayBuffer();
    return response.ok;
  };

  await measure(WARMUP_REQUESTS, 8, direct);
  await measure(WARMUP_REQUESTS, 8, graphqlFloor);
  await measure(WARMUP_REQUESTS, 8, throughEngine);
  console.log('## Endpoint overhead: direct fetch vs executeTool over GraphQL');
  console.log(machineLine());
  console.log(`node:     ${process.version}; load average at start ${loadAverage()}`);
  console.log(
    `database: ${databaseUrl ? 'PostgreSQL' : 'PGlite (embedded, in memory)'}; rate limiter: ${config.redisUrl ? 'Redis' : 'memory'}`,
  );
  console.log('');
  console.log(
    '| concurrency | requests | direct p50 | direct p99 | engine p50 | engine p99 | added p50 | added p99 | direct req/s | engine exec/s | throughput ratio | CPU ms/request direct → engine | failures |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const fmt = (value: number): string => value.toFixed(2);
  const cpu = (phase: Phase): string =>
    `${fmt(phase.cpuPerOp)}${phase.postgresCpuPerOp === null ? '' : ` + PG ${fmt(phase.postgresCpuPerOp)}`}`;
  for (const concurrency of [1, 32] as const) {
    const a = await measure(REQUESTS[concurrency], concurrency, direct);
    const b = await measure(REQUESTS[concurrency], concurrency, throughEngine);
    const rpsA = a.latencies.length / a.seconds;
    const rpsB = b.latencies.length / b.seconds;
    console.log(
      `| ${concurrency} | ${a.latencies.length}/${b.latencies.length} | ${fmt(percentile(a.latencies, 50))} ms | ${fmt(percentile(a.latencies, 99))} ms | ` +
        `${fmt(percentile(b.latencies, 50))} ms | ${fmt(percentile(b.latencies, 99))} ms | ` +
        `${fmt(percentile(b.latencies, 50) - percentile(a.latencies, 50))} ms | ${fmt(percentile(b.latencies, 99) - percentile(a.latencies, 99))} ms | ` +
        `${rpsA.toFixed(0)} | ${rpsB.toFixed(0)} | ${(rpsB / rpsA).toFixed(3)} | ${cpu(a)} → ${cpu(b)} | ${a.failures + b.failures} |`,
    );
  }
  console.log(
    '\nCPU ms/request: this process (benchmark client, API server and, with PGlite, the database) per request;' +
      ' "+ PG" adds local PostgreSQL processes. On 2 cores, 2,000 executions/s needs both together under 1 ms.',
  );
  const inProcess = async (): Promise<boolean> => {
    sequence += 1;
    const row = await app.services.engine.run({
      organizationId: organization.id,
      assistantId: assistant.id,
      toolName: 'lookup_order',
      parameters: { order_id: 'A-1' },
      context: { triggerContext: 'call', callSid: `CA-bench-${sequence % 64}`, toolCallId: `tc-${sequence}` },
      actor: { userId: null, apiKeyId: null },
    });
    return row.status === 'SUCCESS';
  };
  for (const concurrency of [1, 32] as const) {
    const engineOnly = await measure(REQUESTS[concurrency], concurrency, inProcess);
    console.log(
      `engine.run in process (no HTTP/GraphQL), concurrency ${concurrency}: p50 ${fmt(percentile(engineOnly.latencies, 50))} ms, ` +
        `p99 ${fmt(percentile(engineOnly.latencies, 99))} ms, ${(engineOnly.latencies.length / engineOnly.seconds).toFixed(0)} exec/s, ` +
        `CPU ms/exec ${cpu(engineOnly)} (includes the upstream request itself).`,
    );
  }
  const floor = await measure(REQUESTS[1], 1, graphqlFloor);
  console.log(
    `GraphQL floor (authenticated \`{ __typename }\`, no tool), concurrency 1: p50 ${fmt(percentile(floor.latencies, 50))} ms, ` +
      `p99 ${fmt(percentile(floor.latencies, 99))} ms, CPU ms/request ${cpu(floor)} — the part of "added" that is transport and auth rather than the engine.`,
  );
  // The load from another process, with its own upstream: this process is then only Switchboard, so its
  // CPU per execution is the server's cost (what bounds throughput: one Node process uses one core).
  const remoteBody = JSON.stringify({
    query,
    variables: {
      input: {
        assistantId: assistant.id,
        toolName: 'lookup_order_remote',
        parameters: { order_id: 'A-1' },
        context: { callSid: 'CA-remote' },
        toolCallId: 'remote-SEQ',
      },
    },
  });
  const remoteCommand = (requests: number): LoadCommand => ({
    url: `${base}/graphql`,
    headers,
    body: remoteBody.replace('remote-SEQ', `remote-${requests}-SEQ`),
    requests,
    concurrency: REMOTE_LOAD.concurrency,
  });
  await load.run(remoteCommand(WARMUP_REQUESTS));
  const remoteCpuBefore = process.cpuUsage();
  const remotePgBefore = postgresCpuMs();
  const remote = await load.run(remoteCommand(REMOTE_LOAD.requests));
  const remoteCpu = process.cpuUsage(remoteCpuBefore);
  const remotePgAfter = postgresCpuMs();
  if (remote.type === 'done') {
    const count = Math.max(1, remote.latencies.length);
    const pgPerOp =
      remotePgBefore === null || remotePgAfter === null ? '' : ` + PG ${fmt((remotePgAfter - remotePgBefore) / count)}`;
    console.log(
      `executeTool with the load (and its upstream) in a separate process, concurrency ${REMOTE_LOAD.concurrency}: ` +
        `${(count / remote.seconds).toFixed(0)} exec/s, p50 ${fmt(percentile(remote.latencies, 50))} ms, p99 ${fmt(percentile(remote.latencies, 99))} ms, ` +
        `server CPU ms/exec ${fmt((remoteCpu.user + remoteCpu.system) / 1000 / count)}${pgPerOp}, failures ${remote.failures}.`,
    );
  }
  load.stop();
  const logged = await prisma.toolExecution.count({ where: { organizationId: organization.id, status: 'SUCCESS' } });
  console.log(`logged executions: ${logged}`);

  await app.stop();
  await database.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--load')) await serveLoad();
  else await runEndpointOverhead();
}

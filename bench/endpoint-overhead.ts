/**
 * Endpoint overhead: one local HTTP endpoint called directly with fetch, and
 * the same endpoint as a tool through `executeTool` over GraphQL (HTTP, API
 * key, logged execution). Prints added p50/p99 milliseconds and the throughput
 * ratio at concurrency 1 and 32. Figures only, no pass/fail.
 */
import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildApp, type App } from '../server/app.ts';
import type { loadConfig } from '../server/config.ts';
import { openDatabase, type Database } from '../server/db/database.ts';
import { generateApiKey } from '../server/security/tokens.ts';
import { benchConfig } from './bench-config.ts';
import { rawPostLoad, startRawUpstream } from './raw-http.ts';
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
  /** Ports of the Switchboard instances; connections are spread over them round-robin. */
  ports: number[];
  headers: Record<string, string>;
  /** The body, with `SEQ` replaced by a sequence number (unique tool call ids). */
  body: string;
  requests: number;
  concurrency: number;
}

/** Load process → parent: its upstream's port once listening, then each run's figures. */
type LoadReply =
  | { type: 'upstream'; port: number }
  | { type: 'done'; latencies: number[]; seconds: number; failures: number; cpuPerOp: number };

/** Child side: a lean upstream and a lean load generator (raw-http.ts), driven over IPC. */
async function serveLoad(): Promise<void> {
  const upstream = await startRawUpstream('{"message":"ok","order":{"id":"A-1"}}');
  const reply = (message: LoadReply): void => void process.send?.(message);
  reply({ type: 'upstream', port: upstream.port });
  process.on('message', (raw) => {
    const command = raw as LoadCommand;
    void (async () => {
      const cpuBefore = process.cpuUsage();
      const result = await rawPostLoad({
        ports: command.ports,
        path: '/graphql',
        headers: command.headers,
        body: (sequence) => command.body.replace('SEQ', String(sequence)),
        ok: (response) => response.includes('SUCCESS'),
        requests: command.requests,
        concurrency: command.concurrency,
      });
      const cpu = process.cpuUsage(cpuBefore);
      reply({
        type: 'done',
        ...result,
        cpuPerOp: (cpu.user + cpu.system) / 1000 / Math.max(1, result.latencies.length),
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
  const { child, ask } = forkSelf<LoadReply>('--load', {});
  const first = await ask();
  if (first.type !== 'upstream') throw new Error('the load process did not start its upstream');
  return { port: first.port, run: (command) => ask(command), stop: () => child.disconnect() };
}

/**
 * This file again as a child process in `flag` mode, talking over IPC. `ask`
 * sends a message (if any) and resolves with the child's next one; it fails if
 * the child exits first.
 */
function forkSelf<Reply>(
  flag: string,
  env: Record<string, string>,
): { child: ChildProcess; ask(message?: Serializable): Promise<Reply> } {
  const child = fork(fileURLToPath(import.meta.url), [flag], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
    env: { ...process.env, ...env },
  });
  const ask = (message?: Serializable): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`the ${flag} process exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (reply) => {
        child.off('exit', onExit);
        resolve(reply as Reply);
      });
      if (message !== undefined) child.send(message);
    });
  return { child, ask };
}

/** The app as every phase runs it; the benchmark measures the engine, not the abuse limits, so they are lifted. */
async function startBenchApp(
  database: Database,
  allowedHosts: string,
  env: Record<string, string>,
): Promise<{ app: App; config: ReturnType<typeof loadConfig> }> {
  const config = benchConfig(allowedHosts, env);
  const app = await buildApp(config, {
    database,
    engine: { rateLimits: { tool: UNLIMITED, assistant: UNLIMITED, perCall: 1e9 } },
  });
  return { app, config };
}

/** Parent → instance process, and its replies: the port it listens on, then its CPU time on request. */
type InstanceReply = { type: 'listening'; port: number } | { type: 'cpu'; ms: number };

/** Child side of the two-instance phase: one Switchboard instance on the shared PostgreSQL and Redis. */
async function serveInstance(): Promise<void> {
  const database = await openDatabase({
    databaseUrl: process.env.BENCH_DATABASE_URL ?? null,
    dataDir: 'memory://',
    poolSize: 20,
  });
  const { app } = await startBenchApp(database, process.env.BENCH_ALLOWED_HOSTS ?? '', {
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
  const url = await app.start(0, '127.0.0.1');
  const reply = (message: InstanceReply): void => void process.send?.(message);
  reply({ type: 'listening', port: Number(new URL(url).port) });
  process.on('message', () => {
    const cpu = process.cpuUsage();
    reply({ type: 'cpu', ms: (cpu.user + cpu.system) / 1000 });
  });
  process.on('disconnect', () => {
    void app
      .stop()
      .then(() => database.close())
      .finally(() => process.exit(0));
  });
}

interface Instance {
  port: number;
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const { child, ask } = forkSelf<InstanceReply>('--instance', env);
  const first = await ask();
  if (first.type !== 'listening') throw new Error('the instance did not start');
  return {
    port: first.port,
    async cpuMs() {
      const reply = await ask('cpu');
      return reply.type === 'cpu' ? reply.ms : Number.NaN;
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

/** Whether Redis answers a PING at `url` within a second. */
async function redisAnswers(url: string): Promise<boolean> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ port: Number(port || 6379), host: hostname });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => done(chunk.toString().startsWith('+PONG')));
  });
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
  const allowedHosts = `127.0.0.1:${upstreamPort},127.0.0.1:${load.port}`;
  const { app, config } = await startBenchApp(database, allowedHosts, {});
  const base = await app.start(0, '127.0.0.1');

  const prisma = app.services.prisma;
  const organization = await prisma.organization.create({ data: { name: 'Bench', slug: `bench-${Date.now()}` } });
  const key = generateApiKey();
  // A key acts with at most its creator's role: the bench key answers to a member.
  const user = await prisma.user.create({ data: { email: `${organization.slug}@bench.local`, passwordHash: '-' } });
  await prisma.membership.create({ data: { userId: user.id, organizationId: organization.id, role: 'MEMBER' } });
  await prisma.apiKey.create({
    data: {
      organizationId: organization.id,
      name: 'bench',
      prefix: key.prefix,
      keyHash: key.hash,
      role: 'MEMBER',
      createdById: user.id,
    },
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
    ports: [Number(new URL(base).port)],
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
        `server CPU ms/exec ${fmt((remoteCpu.user + remoteCpu.system) / 1000 / count)}${pgPerOp}, ` +
        `load process (client and upstream) ${fmt(remote.cpuPerOp)}, failures ${remote.failures}.`,
    );
  }
  if (remote.type === 'done' && databaseUrl) {
    await runTwoInstances(databaseUrl, allowedHosts, load, remoteCommand, remote);
  } else {
    console.log('two instances: skipped (they need PostgreSQL: set BENCH_DATABASE_URL)');
  }
  load.stop();
  const logged = await prisma.toolExecution.count({ where: { organizationId: organization.id, status: 'SUCCESS' } });
  console.log(`logged executions: ${logged}`);

  await app.stop();
  await database.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
}

/**
 * The same load over two instances (separate processes, as two replicas behind a load balancer would
 * be; Redis shares rate limits and events between them, as it must in production): one Node process
 * runs JavaScript on one core, so this is what a 2-core machine can do.
 */
async function runTwoInstances(
  databaseUrl: string,
  allowedHosts: string,
  load: Awaited<ReturnType<typeof startLoadProcess>>,
  command: (requests: number) => LoadCommand,
  oneInstance: Extract<LoadReply, { type: 'done' }>,
): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await redisAnswers(redisUrl))) {
    console.log(`two instances: skipped (no Redis at ${redisUrl})`);
    return;
  }
  const env = { BENCH_DATABASE_URL: databaseUrl, BENCH_REDIS_URL: redisUrl, BENCH_ALLOWED_HOSTS: allowedHosts };
  const instances = await Promise.all([startInstance(env), startInstance(env)]);
  const ports = instances.map((instance) => instance.port);
  try {
    await load.run({ ...command(WARMUP_REQUESTS * 2), ports });
    const cpuBefore = await Promise.all(instances.map((instance) => instance.cpuMs()));
    const pgBefore = postgresCpuMs();
    const result = await load.run({ ...command(REMOTE_LOAD.requests * 2), ports });
    const cpuAfter = await Promise.all(instances.map((instance) => instance.cpuMs()));
    const pgAfter = postgresCpuMs();
    if (result.type !== 'done') return;
    const count = Math.max(1, result.latencies.length);
    const serverCpu = cpuAfter.reduce((sum, ms, index) => sum + ms - (cpuBefore[index] ?? 0), 0) / count;
    const pg = pgBefore === null || pgAfter === null ? '' : ` + PG ${((pgAfter - pgBefore) / count).toFixed(2)}`;
    const rate = count / result.seconds;
    const oneRate = oneInstance.latencies.length / oneInstance.seconds;
    console.log(
      `executeTool over two instances (PostgreSQL, Redis rate limits and events), same load process, concurrency ${REMOTE_LOAD.concurrency}: ` +
        `${rate.toFixed(0)} exec/s (${(rate / oneRate).toFixed(2)}× one instance), p50 ${percentile(result.latencies, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(result.latencies, 99).toFixed(2)} ms, server CPU ms/exec ${serverCpu.toFixed(2)}${pg}, ` +
        `load process ${result.cpuPerOp.toFixed(2)}, failures ${result.failures}.`,
    );
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--load')) await serveLoad();
  else if (process.argv.includes('--instance')) await serveInstance();
  else await runEndpointOverhead();
}

/**
 * Soak: minutes of mixed load over two instances on PostgreSQL + Redis while
 * one instance is killed (-9) and restarted and Redis is killed and restarted.
 * Endpoint and Lambda-compatible tools (each call a side effect counted by
 * key), code tools, approvals (approved on whichever instance comes next),
 * duplicates (the same tool call id sent again, to the other instance), and
 * an organization whose tool answers text PostgreSQL refuses (U+0000).
 * Prints executions requested, answered, stored, final, duplicated side
 * effects and lost, and how long after each fault every row was final.
 * `npm run bench:soak`; SOAK_SECONDS (default 120), BENCH_DATABASE_URL.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/database.ts';
import { setSecret } from '../server/secrets/secret-store.ts';
import { createSecretCipher } from '../server/security/secret-cipher.ts';
import { generateApiKey } from '../server/security/tokens.ts';
import { outcome, startFakeLambda } from '../tests/helpers/fake-lambda.ts';
import { machineLine } from './report.ts';
import { postgresAdmin } from './postgres-admin.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const CONCURRENCY = 8;
/** Shares of the load; the rest are endpoint calls with a side effect. */
const MIX = { poison: 0.1, duplicate: 0.1, code: 0.2, lambda: 0.15, approval: 0.05 };
const MASTER_KEY = Buffer.alloc(32, 5);
const LAMBDA_CREDENTIALS = {
  accessKeyId: 'AKIASOAKTESTKEY00001',
  secretAccessKey: 'soak/secret/key',
  region: 'us-east-1',
};
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const FINAL_TIMEOUT_MS = 180_000;

async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const admin = (sql: string): Promise<void> => postgresAdmin(ADMIN_URL, sql);

/** Child side: one instance, reporting its port, until it is killed or disconnected. */
async function serveInstance(): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATABASE_URL: process.env.SOAK_DATABASE_URL!,
    REDIS_URL: process.env.SOAK_REDIS_URL!,
    SWITCHBOARD_MASTER_KEY: MASTER_KEY.toString('base64'),
    AWS_ENDPOINT_URL_LAMBDA: process.env.SOAK_LAMBDA_URL!,
    SWITCHBOARD_DATA_DIR: '/tmp/switchboard-soak',
    SWITCHBOARD_SEED_DEMO: 'false',
    SWITCHBOARD_JS_POOL_SIZE: '1',
    SWITCHBOARD_PYTHON_POOL_SIZE: '0',
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: process.env.SOAK_ALLOWED_HOSTS!,
    PORT: process.env.SOAK_PORT!,
  });
  const unlimited = { capacity: 1e9, refillPerSecond: 1e9 };
  const app = await buildApp(config, {
    engine: { rateLimits: { tool: unlimited, assistant: unlimited, perCall: 1e9 } },
  });
  await app.start(Number(process.env.SOAK_PORT), '127.0.0.1');
  process.send?.('listening');
  process.on('disconnect', () => void app.stop().finally(() => process.exit(0)));
}

interface InstanceHandle {
  port: number;
  child: ChildProcess | null;
}

async function startInstance(handle: InstanceHandle, env: Record<string, string>): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--instance'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env, SOAK_PORT: String(handle.port) },
  });
  handle.child = child;
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`instance exited with ${code} while starting`)));
  });
}

function killNine(handle: InstanceHandle): Promise<unknown> {
  const child = handle.child;
  handle.child = null;
  if (!child) return Promise.resolve();
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  return exited;
}

function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
}

async function main(): Promise<void> {
  const name = `sb_soak_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const database = await openDatabase({ databaseUrl, dataDir: 'memory://', poolSize: 4 });
  const prisma = database.prisma;

  // Side effects by key: the upstream's and the Lambda function's. The poison path answers with U+0000.
  const sideEffects = new Map<string, number>();
  const count = (key: string): void => void sideEffects.set(key, (sideEffects.get(key) ?? 0) + 1);
  const upstream = createHttpServer((req, res) => {
    req.resume();
    const path = req.url ?? '/';
    if (path.startsWith('/poison')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"bad\\u0000text"}');
      return;
    }
    count(decodeURIComponent(path.split('/').pop() ?? ''));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const lambda = await startFakeLambda({
    ...LAMBDA_CREDENTIALS,
    functions: {
      effect: (event) => {
        count(String((event as { parameters?: { key?: string } }).parameters?.key));
        return outcome.value({ ok: true });
      },
    },
  });

  type ToolSpec = { name: string; type: 'ENDPOINT' | 'CODE' | 'LAMBDA'; configuration: object; confirm?: boolean };
  async function organization(label: string, tools: ToolSpec[]) {
    const suffix = randomBytes(3).toString('hex');
    const org = await prisma.organization.create({
      data: { name: label, slug: `${label}-${suffix}`, featureFlags: { ENDPOINT: true, CODE: true, LAMBDA: true } },
    });
    const user = await prisma.user.create({
      data: { email: `${label}-${suffix}@soak.test`, name: label, passwordHash: 'x' },
    });
    await prisma.membership.create({ data: { userId: user.id, organizationId: org.id, role: 'OWNER' } });
    const key = generateApiKey();
    await prisma.apiKey.create({
      data: {
        organizationId: org.id,
        name: 'soak',
        prefix: key.prefix,
        keyHash: key.hash,
        // ADMIN: it approves executions too.
        role: 'ADMIN',
        createdById: user.id,
      },
    });
    const secrets = { prisma, cipher: createSecretCipher(MASTER_KEY) };
    const actor = { organizationId: org.id, role: 'OWNER' as const, userId: user.id, apiKeyId: null };
    await setSecret(secrets, actor, 'AWS_KEY', LAMBDA_CREDENTIALS.accessKeyId);
    await setSecret(secrets, actor, 'AWS_SECRET', LAMBDA_CREDENTIALS.secretAccessKey);
    const assistant = await prisma.assistant.create({ data: { organizationId: org.id, name: 'Soak' } });
    for (const tool of tools) {
      const row = await prisma.tool.create({
        data: {
          organizationId: org.id,
          name: tool.name,
          displayName: tool.name,
          type: tool.type,
          configuration: tool.configuration,
          requireConfirmation: tool.confirm ?? false,
          functionDefinition: {
            name: tool.name,
            parameters: { type: 'object', properties: { key: { type: 'string' } } },
          },
        },
      });
      await prisma.assistantTool.create({ data: { assistantId: assistant.id, toolId: row.id } });
    }
    return { apiKey: key.key, assistantId: assistant.id };
  }
  const base = `http://127.0.0.1:${upstreamPort}`;
  const shop = await organization('soak', [
    { name: 'effect', type: 'ENDPOINT', configuration: { url: `${base}/effect/\${parameters.key}`, method: 'POST' } },
    { name: 'compute', type: 'CODE', configuration: { runtime: 'javascript', code: 'return { doubled: 2 }' } },
    {
      name: 'lambda_effect',
      type: 'LAMBDA',
      configuration: {
        function_name: 'effect',
        region: LAMBDA_CREDENTIALS.region,
        access_key_field: 'AWS_KEY',
        secret_key_field: 'AWS_SECRET',
      },
    },
    {
      name: 'confirm',
      type: 'ENDPOINT',
      confirm: true,
      configuration: { url: `${base}/confirm/\${parameters.key}`, method: 'POST' },
    },
  ]);
  const poison = await organization('poison', [
    { name: 'poison', type: 'ENDPOINT', configuration: { url: `${base}/poison`, method: 'GET' } },
  ]);

  const redisPort = await freePort();
  let redis: ChildProcess | null = startRedis(redisPort);
  const env = {
    SOAK_DATABASE_URL: databaseUrl,
    SOAK_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    SOAK_ALLOWED_HOSTS: `127.0.0.1:${upstreamPort}`,
    SOAK_LAMBDA_URL: lambda.url,
  };
  const instances: InstanceHandle[] = [
    { port: await freePort(), child: null },
    { port: await freePort(), child: null },
  ];
  for (const instance of instances) await startInstance(instance, env);

  console.log(`\nSoak — ${machineLine()}, PostgreSQL + Redis, two instances, ${SECONDS} s, concurrency ${CONCURRENCY}`);

  const answered = new Set<string>();
  const refusals = new Map<string, number>();
  const note = (what: string): void => void refusals.set(what, (refusals.get(what) ?? 0) + 1);
  let requested = 0;
  let sequence = 0;
  const sent: Array<{ callId: string; key: string }> = [];
  const deadline = Date.now() + SECONDS * 1000;

  type Org = { apiKey: string; assistantId: string };
  type Answer = { id: string; status: string };
  async function graphql(org: Org, query: string, input: object): Promise<Answer | null> {
    const instance = instances[sequence++ % instances.length]!;
    try {
      const response = await fetch(`http://127.0.0.1:${instance.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${org.apiKey}` },
        body: JSON.stringify({ query, variables: { input } }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await response.json()) as {
        data?: Record<string, Partial<Answer> | null>;
        errors?: Array<{ message: string }>;
      };
      const result = Object.values(body.data ?? {})[0];
      if (result?.id) return { id: result.id, status: result.status ?? '' };
      note(`GraphQL error: ${body.errors?.[0]?.message ?? `HTTP ${response.status}`}`);
    } catch (error) {
      note(`no answer (${(error as Error).name}: the instance was down, or a fault cut the request)`);
    }
    return null;
  }

  async function call(org: Org, toolName: string, callId: string, key: string): Promise<void> {
    requested += 1;
    const execution = await graphql(
      org,
      `
        mutation ($input: ExecuteToolInput!) {
          executeTool(input: $input) {
            ... on ToolExecution {
              id
              status
            }
          }
        }
      `,
      {
        assistantId: org.assistantId,
        toolName,
        parameters: { key },
        toolCallId: callId,
        context: { callSid: 'CA-soak' },
      },
    );
    if (!execution) return;
    answered.add(execution.id);
    if (execution.status !== 'PENDING_APPROVAL') return;
    await graphql(
      org,
      `
        mutation ($input: ExecutionIdInput!) {
          approveExecution(input: $input) {
            ... on ToolExecution {
              id
              status
            }
          }
        }
      `,
      { id: execution.id },
    );
  }

  async function worker(): Promise<void> {
    const fresh = (prefix: string): string => `${prefix}-${randomBytes(6).toString('hex')}`;
    while (Date.now() < deadline) {
      let roll = Math.random();
      const take = (share: number): boolean => (roll -= share) < 0;
      if (take(MIX.poison)) await call(poison, 'poison', fresh('p'), 'x');
      else if (take(MIX.duplicate) && sent.length > 0) {
        const again = sent[Math.floor(Math.random() * sent.length)]!;
        await call(shop, 'effect', again.callId, again.key);
      } else if (take(MIX.code)) await call(shop, 'compute', fresh('c'), 'x');
      else if (take(MIX.lambda)) await call(shop, 'lambda_effect', fresh('l'), fresh('k'));
      else if (take(MIX.approval)) await call(shop, 'confirm', fresh('a'), fresh('k'));
      else {
        const entry = { callId: fresh('e'), key: fresh('k') };
        sent.push(entry);
        await call(shop, 'effect', entry.callId, entry.key);
      }
    }
  }

  const runningIds = async (): Promise<string[]> =>
    (
      await database.sql.query<{ id: string }>(
        `SELECT "id"::text AS id FROM "tool_execution_logs" WHERE "status" = 'RUNNING'`,
      )
    ).map((row) => row.id);
  const stillRunning = async (ids: string[]): Promise<number> => {
    const rows = await database.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "tool_execution_logs" WHERE "id" = ANY($1::uuid[]) AND "status" = 'RUNNING'`,
      [ids],
    );
    return Number(rows[0]?.n ?? 0);
  };
  const recoveries: string[] = [];
  /** How long until every execution RUNNING at the fault is final. */
  async function timeUntilFinal(label: string, inFlight: string[]): Promise<void> {
    const at = Date.now();
    while ((await stillRunning(inFlight)) > 0) {
      if (Date.now() - at > FINAL_TIMEOUT_MS) {
        const left = await stillRunning(inFlight);
        recoveries.push(
          `${label}: ${left} of ${inFlight.length} in flight still RUNNING after ${FINAL_TIMEOUT_MS / 1000} s`,
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const seconds = ((Date.now() - at) / 1000).toFixed(1);
    recoveries.push(`${label}: ${inFlight.length} in flight, every one final ${seconds} s after the fault`);
  }

  async function faults(): Promise<void> {
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const watches: Array<Promise<void>> = [];
    await pause((SECONDS * 1000) / 4);
    const inFlightAtKill = await runningIds();
    await killNine(instances[0]!);
    watches.push(timeUntilFinal('instance killed -9, restarted 2 s later', inFlightAtKill));
    await pause(2_000);
    await startInstance(instances[0]!, env);
    await pause((SECONDS * 1000) / 4);
    const inFlightAtRedis = await runningIds();
    if (redis) {
      const exited = once(redis, 'exit');
      redis.kill('SIGKILL');
      await exited;
    }
    watches.push(timeUntilFinal('Redis killed -9, restarted 5 s later', inFlightAtRedis));
    await pause(5_000);
    redis = startRedis(redisPort);
    await Promise.all(watches);
  }

  const faulting = faults();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await faulting;
  await timeUntilFinal('end of load', await runningIds());

  const ids = [...answered];
  const storedRows = await database.sql.query<{ id: string; status: string }>(
    `SELECT "id"::text AS id, "status"::text AS status FROM "tool_execution_logs" WHERE "id" = ANY($1::uuid[])`,
    [ids],
  );
  const total = await database.sql.query<{ n: number; final: number }>(
    `SELECT count(*)::int AS n, (count(*) FILTER (WHERE "status" <> 'RUNNING'))::int AS final FROM "tool_execution_logs"`,
  );
  const storedIds = new Set(storedRows.map((row) => row.id));
  const lost = ids.filter((id) => !storedIds.has(id)).length;
  const duplicated = [...sideEffects.values()].filter((times) => times > 1).length;
  console.log(`  requested           ${requested}`);
  console.log(`  answered            ${ids.length} executions`);
  for (const [what, times] of [...refusals].sort((a, b) => b[1] - a[1]))
    console.log(`    not answered      ${times} × ${what}`);
  console.log(`  stored              ${total[0]?.n ?? 0} rows (${storedIds.size} of the answered)`);
  console.log(`  final               ${total[0]?.final ?? 0} rows`);
  console.log(`  duplicated effects  ${duplicated} (keys whose side effect ran more than once)`);
  console.log(`  lost                ${lost} (answered, nothing stored)`);
  for (const line of recoveries) console.log(`  ${line}`);

  for (const instance of instances) await killNine(instance);
  redis?.kill('SIGKILL');
  upstream.close();
  await lambda.close();
  await database.close();
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

export async function runSoak(): Promise<void> {
  await main();
}

if (process.argv.includes('--instance')) await serveInstance();
else if (import.meta.url === `file://${process.argv[1]}`) await runSoak();

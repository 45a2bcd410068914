/**
 * The execution engine over a real database, a real local upstream HTTP server
 * and the fake Lambda, with the endpoint executor's SSRF policy allow-listing
 * exactly those loopback ports.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Actor } from '../../server/actor.ts';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import {
  createExecutionEngine,
  type EngineDeps,
  type EngineOptionsInput,
  type ExecutionEngine,
  type ExecutionRequest,
} from '../../server/executions/engine.ts';
import { createMemoryRateLimiter, type RateLimiter } from '../../server/executions/rate-limiter.ts';
import { createEndpointExecutor } from '../../server/executors/endpoint.ts';
import { createLambdaExecutor } from '../../server/executors/lambda.ts';
import { createExecutorRegistry } from '../../server/executors/registry.ts';
import type { JsonObject, JsonValue } from '../../server/executors/types.ts';
import {
  createInMemoryPubSub,
  executionTopic,
  type ExecutionEvent,
  type SwitchboardPubSub,
} from '../../server/realtime/pubsub.ts';
import { grantOnSave } from '../../server/secrets/secret-grants.ts';
import { secretAccess, setSecret } from '../../server/secrets/secret-store.ts';
import { createSecretCipher } from '../../server/security/secret-cipher.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { outcome, startFakeLambda, type FakeHandler, type FakeLambda } from './fake-lambda.ts';
import { createOrganization, type TestOrganization } from './fixtures.ts';

export const LAMBDA_REGION = 'us-east-1';
export const LAMBDA_KEY_ID = 'AKIAENGINETESTKEY001';
export const LAMBDA_SECRET_KEY = 'engine/test+secret/key';

export interface UpstreamRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Upstream {
  base: string;
  port: number;
  requests: UpstreamRequest[];
  /** Requests to paths starting with `prefix`. */
  hits(prefix: string): UpstreamRequest[];
  /** Scripted statuses for `/script/<name>`: each request takes the next one; afterwards 200. */
  script(name: string, statuses: Array<number | { status: number; headers?: Record<string, string> }>): void;
  close(): Promise<void>;
}

/**
 * Routes: `/echo` (request back as JSON), `/status/<code>`, `/script/<name>`,
 * `/slow/<ms>`, `/leak?value=` (echoes a value in the body, and in a 400 with `&fail=1`).
 */
export async function startUpstream(): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  const scripts = new Map<string, Array<number | { status: number; headers?: Record<string, string> }>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(recorded);
      const url = new URL(req.url ?? '/', 'http://upstream');
      const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
        if (!res.destroyed)
          res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
      };
      const parts = url.pathname.split('/').filter(Boolean);
      if (parts[0] === 'status') return json(Number(parts[1]), { error: `status ${parts[1]}` });
      if (parts[0] === 'slow') {
        const timer = setTimeout(() => json(200, { slow: true }), Number(parts[1]));
        res.on('close', () => clearTimeout(timer));
        return;
      }
      if (parts[0] === 'script') {
        const next = scripts.get(parts[1] ?? '')?.shift() ?? 200;
        const step = typeof next === 'number' ? { status: next } : next;
        return json(
          step.status,
          step.status === 200 ? { ok: true, message: 'done' } : { error: 'try later' },
          step.headers,
        );
      }
      if (parts[0] === 'leak') {
        const value = url.searchParams.get('value') ?? '';
        if (url.searchParams.get('fail')) return json(400, { error: `bad credential ${value}` });
        return json(200, { message: `your key is ${value}`, echoed: value });
      }
      return json(200, {
        message: 'echo',
        method: req.method,
        path: req.url,
        headers: req.headers as JsonValue,
        body: body === '' ? null : (JSON.parse(body) as JsonValue),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    requests,
    hits: (prefix) => requests.filter((request) => request.url.startsWith(prefix)),
    script: (name, statuses) => void scripts.set(name, [...statuses]),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export const LAMBDA_FUNCTIONS: Record<string, FakeHandler> = {
  echo: (event) => outcome.value({ message: 'lambda ok', received: event }),
  failing: () => outcome.functionError('Order A-1 does not exist', { errorType: 'OrderNotFound', handled: true }),
  throttled: () => outcome.throttled({ retryAfterSeconds: 0 }),
  logger: () => outcome.value({ ok: 1 }, { logs: 'looking up order\nfound it\n' }),
};

export interface EngineHarness {
  db: TestDatabase;
  engine: ExecutionEngine;
  pubsub: SwitchboardPubSub;
  upstream: Upstream;
  lambda: FakeLambda;
  org: TestOrganization;
  actor: Actor;
  /** Every event published, in order. */
  events: ExecutionEvent[];
  createTool(overrides?: Partial<ToolInput>): Promise<string>;
  createAssistant(toolsSettings?: JsonObject): Promise<string>;
  assign(
    assistantId: string,
    toolId: string,
    extra?: { enabled?: boolean; customConfiguration?: JsonObject },
  ): Promise<void>;
  setSecret(name: string, value: string): Promise<void>;
  run(request: Partial<ExecutionRequest> & { toolId?: string }): Promise<ToolExecution>;
  /** A second engine over the same database, as after a restart (or another instance). */
  restart(options?: EngineOptionsInput, deps?: Pick<EngineDeps, 'circuitBreaker' | 'clock'>): ExecutionEngine;
  close(): Promise<void>;
}

export interface ToolInput {
  name: string;
  type: 'ENDPOINT' | 'LAMBDA' | 'CODE';
  configuration: JsonObject;
  parameters: JsonObject;
  isActive: boolean;
  requireConfirmation: boolean;
  allowedContexts: string[];
  timeoutSeconds: number;
  retryAttempts: number;
}

let toolCounter = 0;

/** Fast backoff so retry tests take milliseconds. */
export const TEST_ENGINE_OPTIONS: EngineOptionsInput = {
  backoff: { baseMs: 5, maxMs: 20, minAttemptMs: 20 },
  sweepIntervalMs: 60_000,
};

export async function startEngineHarness(
  options: {
    engine?: EngineOptionsInput;
    rateLimiter?: RateLimiter;
    database?: 'postgresql' | 'pglite';
    /** Stands between the engine and the database driver (to fail chosen statements). */
    wrapSql?: (driver: EngineDeps['sql']) => EngineDeps['sql'];
  } = {},
): Promise<EngineHarness> {
  const db = await createTestDatabase(options.database ? { engine: options.database } : {});
  const prisma = db.database.prisma;
  const upstream = await startUpstream();
  const lambda = await startFakeLambda({
    accessKeyId: LAMBDA_KEY_ID,
    secretAccessKey: LAMBDA_SECRET_KEY,
    region: LAMBDA_REGION,
    functions: LAMBDA_FUNCTIONS,
  });
  const cipher = createSecretCipher(Buffer.alloc(32, 9));
  const lambdaExecutor = createLambdaExecutor({ endpoint: lambda.url });
  const registry = createExecutorRegistry([
    createEndpointExecutor({ policy: createSsrfPolicy({ allowedPrivateHosts: [`127.0.0.1:${upstream.port}`] }) }),
    lambdaExecutor,
  ]);
  const pubsub = createInMemoryPubSub();
  const org = await createOrganization(prisma, 'Engine');
  const owner = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.id, role: 'OWNER' } });
  const actor: Actor = { organizationId: org.id, role: 'OWNER', userId: owner.userId, apiKeyId: null };
  const logger = pino({ level: 'silent' });
  const events: ExecutionEvent[] = [];
  const subscription = pubsub.subscribe(executionTopic(org.id));
  void (async () => {
    for await (const event of subscription) events.push(event);
  })();

  const engines: ExecutionEngine[] = [];
  const makeEngine = (
    engineOptions: EngineOptionsInput = {},
    rateLimiter?: RateLimiter,
    extra: Pick<EngineDeps, 'circuitBreaker' | 'clock'> = {},
  ): ExecutionEngine => {
    const engine = createExecutionEngine({
      ...extra,
      prisma,
      sql: options.wrapSql ? options.wrapSql(db.database.sql) : db.database.sql,
      registry,
      secrets: (organizationId) => secretAccess({ prisma, cipher }, organizationId),
      pubsub,
      rateLimiter: rateLimiter ?? createMemoryRateLimiter(),
      logger,
      options: { ...TEST_ENGINE_OPTIONS, ...options.engine, ...engineOptions },
    });
    engines.push(engine);
    return engine;
  };
  const engine = makeEngine({}, options.rateLimiter);

  return {
    db,
    engine,
    pubsub,
    upstream,
    lambda,
    org,
    actor,
    events,
    async createTool(overrides = {}) {
      toolCounter += 1;
      const name = overrides.name ?? `tool_${toolCounter}`;
      const tool = await prisma.tool.create({
        data: {
          organizationId: org.id,
          name,
          displayName: name,
          type: overrides.type ?? 'ENDPOINT',
          configuration: overrides.configuration ?? { url: `${upstream.base}/echo`, method: 'POST' },
          functionDefinition: {
            name,
            description: 'test tool',
            parameters: overrides.parameters ?? {
              type: 'object',
              properties: { order_id: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
              required: ['order_id'],
            },
          },
          isActive: overrides.isActive ?? true,
          requireConfirmation: overrides.requireConfirmation ?? false,
          allowedContexts: overrides.allowedContexts ?? ['call', 'sms', 'webhook', 'test'],
          timeoutSeconds: overrides.timeoutSeconds ?? 10,
          retryAttempts: overrides.retryAttempts ?? 0,
        },
      });
      // As when an ADMIN saves a tool through the API: the secrets it reads are granted to it.
      await grantOnSave(prisma, actor, tool, null);
      return tool.id;
    },
    async createAssistant(toolsSettings = {}) {
      const assistant = await prisma.assistant.create({
        data: { organizationId: org.id, name: 'Receptionist', toolsSettings },
      });
      return assistant.id;
    },
    async assign(assistantId, toolId, extra = {}) {
      await prisma.assistantTool.create({
        data: { assistantId, toolId, enabled: extra.enabled ?? true, customConfiguration: extra.customConfiguration },
      });
    },
    async setSecret(name, value) {
      await setSecret({ prisma, cipher }, actor, name, value);
    },
    run(request) {
      return engine.run({
        organizationId: org.id,
        parameters: { order_id: 'A-1' },
        context: { triggerContext: 'call' },
        actor: { userId: actor.userId, apiKeyId: null },
        ...request,
      });
    },
    restart: (engineOptions, deps) => makeEngine(engineOptions, undefined, deps),
    async close() {
      for (const each of engines) await each.close();
      await subscription.return?.();
      lambdaExecutor.close();
      await lambda.close();
      await upstream.close();
      await db.drop();
    },
  };
}

/** Lets pending publishes reach the subscriber loop. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

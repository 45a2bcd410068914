/**
 * The live monitor reads an event's execution once per process, whatever the
 * number of subscribers: 50 graphql-ws subscribers selecting the execution
 * with its tool, assistant and call cost as many SQL statements per event as one.
 * The shared read stays organization-scoped.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { connectWs, disposeLive, sleep, type LiveSubscription } from '../helpers/live.ts';
import { openDatabase, type Database, type Prisma } from '../../server/db/database.ts';
import { readSnapshots, SNAPSHOT_INCLUDE } from '../../server/realtime/execution-snapshots.ts';
import { executionTopic, type ExecutionEvent } from '../../server/realtime/pubsub.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { requirePostgres } from '../helpers/required-services.ts';

const SUBSCRIBERS = 50;
const WITH_RELATIONS = `subscription {
  toolExecutionEvents {
    kind status executionId at
    execution {
      id status durationMs errorCode toolName
      tool { id name displayName }
      assistant { id name }
      call { id callSid assistant { id name } }
    }
  }
}`;

interface EventData {
  toolExecutionEvents: {
    kind: string;
    executionId: string;
    execution: {
      id: string;
      status: string;
      tool: { id: string; name: string } | null;
      assistant: { id: string; name: string } | null;
      call: { id: string; callSid: string; assistant: { id: string } | null } | null;
    } | null;
  };
}

const statements: string[] = [];
let counting = false;
let t: TestApp;
let acme: TestOrganization;
let other: TestOrganization;
let executionId: string;
let toolId: string;
let assistantId: string;

beforeAll(async () => {
  // No periodic health check running its own SQL while statements are counted.
  t = await startTestApp(
    // No heartbeat sweep (it reads tool_execution_logs) inside a counting window.
    { SWITCHBOARD_HEALTH_CHECK_INTERVAL_MS: '3600000', SWITCHBOARD_INSTANCE_LEASE_MS: '600000' },
    { onQuery: (sql) => counting && statements.push(sql) },
  );
  // Prisma reports its statements through onQuery; the common snapshot's raw statement is counted here
  // (not the metrics' read-back of finished executions, which runs on a timer of its own).
  const { sql } = t.app.services;
  const query = sql.query.bind(sql);
  sql.query = (text, params, options) => {
    if (counting && /left join "calls"/i.test(text)) statements.push(text);
    return query(text, params, options);
  };
  const prisma = t.app.services.prisma;
  acme = await createOrganization(prisma, 'Snapshot');
  other = await createOrganization(prisma, 'Snapshot other');
  const tool = await prisma.tool.create({
    data: {
      organizationId: acme.id,
      name: 'lookup',
      displayName: 'Lookup',
      type: 'ENDPOINT',
      configuration: { url: 'https://api.example.com/x', method: 'GET' },
      functionDefinition: { name: 'lookup', parameters: { type: 'object', properties: {} } },
    },
  });
  const assistant = await prisma.assistant.create({ data: { organizationId: acme.id, name: 'Front desk' } });
  const call = await prisma.call.create({
    data: { organizationId: acme.id, assistantId: assistant.id, callSid: 'CA-snapshot' },
  });
  const row = await prisma.toolExecution.create({
    data: {
      organizationId: acme.id,
      toolId: tool.id,
      assistantId: assistant.id,
      callId: call.id,
      toolName: 'lookup',
      toolVersion: 1,
      inputParameters: {},
      status: 'RUNNING',
      triggerContext: 'call',
    },
  });
  executionId = row.id;
  toolId = tool.id;
  assistantId = assistant.id;
});

afterAll(async () => {
  await disposeLive();
  await t?.close();
});

function event(kind: ExecutionEvent['kind'], status: string, organizationId = acme.id): ExecutionEvent {
  return { kind, organizationId, executionId, toolId, assistantId, callId: null, status, at: new Date().toISOString() };
}

async function openSubscriptions(): Promise<number> {
  const values = (await t.app.services.metrics.prometheus.liveSubscriptions.get()).values;
  return values.find((value) => value.labels.field === 'toolExecutionEvents')?.value ?? 0;
}

/** graphql-ws has no "subscribed" acknowledgement: wait until the server counts them open. */
async function subscribers(
  count: number,
  apiKey: string | string[],
  query = WITH_RELATIONS,
): Promise<Array<LiveSubscription<EventData>>> {
  const open = await openSubscriptions();
  const keys = Array.isArray(apiKey) ? apiKey : [apiKey];
  const subs = Array.from({ length: count }, (_, index) =>
    connectWs(t.url, { apiKey: keys[index % keys.length] }).subscribe<EventData>(query),
  );
  const deadline = Date.now() + 20_000;
  while ((await openSubscriptions()) < open + count) {
    if (Date.now() > deadline) throw new Error('subscriptions did not open');
    await sleep(20);
  }
  return subs;
}

async function closeAll(subs: Array<LiveSubscription<EventData>>): Promise<void> {
  const open = await openSubscriptions();
  for (const sub of subs) sub.close();
  const deadline = Date.now() + 10_000;
  while ((await openSubscriptions()) > open - subs.length && Date.now() < deadline) await sleep(20);
}

/** Publishes one event and returns the statements the deliveries cost. */
async function deliver(
  subs: Array<LiveSubscription<EventData>>,
  published: ExecutionEvent,
  topicOrg = acme.id,
): Promise<string[]> {
  const before = subs.map((sub) => sub.results.length);
  statements.length = 0;
  counting = true;
  t.app.services.pubsub.publish(executionTopic(topicOrg), published);
  await Promise.all(subs.map((sub, index) => sub.waitFor(before[index]! + 1, 10_000)));
  await sleep(100);
  counting = false;
  return [...statements];
}

const executionReads = (sqls: string[]) => sqls.filter((sql) => /from "(public"\.")?tool_execution_logs"/i.test(sql));

test('50 subscribers cost one execution read per event, and the same statements as one subscriber', async () => {
  const single = await subscribers(1, acme.keys.VIEWER);
  const alone = await deliver(single, event('running', 'RUNNING'));
  expect(executionReads(alone)).toHaveLength(1);
  await closeAll(single);

  // Four viewers (one key per role): identical subscriptions of one viewer share an execution
  // per event (fresh-context-per-event.ts); these are four executions sharing one read.
  const many = await subscribers(SUBSCRIBERS, Object.values(acme.keys));
  for (const [kind, status] of [
    ['running', 'RUNNING'],
    ['retrying', 'RUNNING'],
    ['finished', 'SUCCESS'],
  ] as const) {
    const sqls = await deliver(many, event(kind, status));
    expect(executionReads(sqls)).toHaveLength(1);
    // Tool, assistant and call (and the call's assistant) come with that read: no per-subscriber fallback query.
    expect(sqls.length).toBe(alone.length);
    for (const sub of many) {
      const last = sub.results.at(-1)!.data!.toolExecutionEvents;
      expect(last.kind).toBe(kind.toUpperCase());
      expect(last.execution).toMatchObject({
        id: executionId,
        tool: { id: toolId, name: 'lookup' },
        assistant: { id: assistantId, name: 'Front desk' },
        call: { callSid: 'CA-snapshot', assistant: { id: assistantId } },
      });
    }
  }
  await closeAll(many);
});

test('every event is read again: a later event sees the row as it is then', async () => {
  const subs = await subscribers(5, acme.keys.VIEWER);
  await t.app.services.prisma.toolExecution.update({
    where: { id: executionId },
    data: { status: 'ERROR', errorCode: 'HTTP_500' },
  });
  await deliver(subs, event('finished', 'ERROR'));
  for (const sub of subs) expect(sub.results.at(-1)!.data!.toolExecutionEvents.execution?.status).toBe('ERROR');
  await t.app.services.prisma.toolExecution.update({
    where: { id: executionId },
    data: { status: 'SUCCESS', errorCode: null },
  });
  await deliver(subs, event('finished', 'SUCCESS'));
  for (const sub of subs) expect(sub.results.at(-1)!.data!.toolExecutionEvents.execution?.status).toBe('SUCCESS');
  await closeAll(subs);
});

test('the shared read stays scoped to the subscriber organization', async () => {
  const mine = await subscribers(3, acme.keys.VIEWER);
  const theirs = await subscribers(3, other.keys.VIEWER);
  // The very same event object reaching both topics (as a misrouted publish would).
  const shared = event('running', 'RUNNING');
  t.app.services.pubsub.publish(executionTopic(acme.id), shared);
  await Promise.all(mine.map((sub) => sub.waitFor(1, 10_000)));
  await deliver(theirs, shared, other.id);
  for (const sub of mine) expect(sub.results.at(-1)!.data!.toolExecutionEvents.execution?.id).toBe(executionId);
  for (const sub of theirs) expect(sub.results.at(-1)!.data!.toolExecutionEvents.execution).toBeNull();
  await closeAll([...mine, ...theirs]);
});

test('events of two organizations published in the same turn: each reads only its own rows', async () => {
  const theirRow = await t.app.services.prisma.toolExecution.create({
    data: {
      organizationId: other.id,
      toolName: 'theirs',
      toolVersion: 1,
      inputParameters: {},
      status: 'RUNNING',
      triggerContext: 'test',
    },
  });
  const mine = await subscribers(3, acme.keys.VIEWER);
  const theirs = await subscribers(3, other.keys.VIEWER);
  statements.length = 0;
  counting = true;
  // One synchronous run: the reads are batched per organization, never across.
  t.app.services.pubsub.publish(executionTopic(acme.id), event('running', 'RUNNING'));
  t.app.services.pubsub.publish(executionTopic(other.id), {
    ...event('running', 'RUNNING', other.id),
    executionId: theirRow.id,
    toolId: null,
    assistantId: null,
  });
  // Acme's execution id on the other organization's topic, as a misrouted publish would.
  t.app.services.pubsub.publish(executionTopic(other.id), event('finished', 'SUCCESS', other.id));
  await Promise.all([...mine.map((sub) => sub.waitFor(1, 10_000)), ...theirs.map((sub) => sub.waitFor(2, 10_000))]);
  counting = false;
  expect(executionReads(statements)).toHaveLength(2);
  for (const sub of mine) {
    expect(sub.results.map((result) => result.data!.toolExecutionEvents.execution?.id)).toEqual([executionId]);
  }
  for (const sub of theirs) {
    expect(sub.results.map((result) => result.data!.toolExecutionEvents.execution?.id ?? null)).toEqual([
      theirRow.id,
      null,
    ]);
  }
  await closeAll([...mine, ...theirs]);
});

test('other selections of the execution keep working, each resolved from a shared read', async () => {
  const narrow = await subscribers(
    10,
    Object.values(acme.keys),
    `subscription { toolExecutionEvents { execution { id status } } }`,
  );
  const deep = await subscribers(
    10,
    Object.values(acme.keys),
    `subscription { toolExecutionEvents { execution { id tool { id createdBy { id } assistantCount } } } }`,
  );
  const sqls = await deliver([...narrow, ...deep], event('running', 'RUNNING'));
  // One read for the common snapshot, at most one more for the deeper selection, whatever the subscriber count.
  expect(executionReads(sqls).length).toBeLessThanOrEqual(2);
  for (const sub of narrow) expect(sub.results.at(-1)!.data!.toolExecutionEvents.execution?.id).toBe(executionId);
  for (const sub of deep) {
    const execution = sub.results.at(-1)!.data!.toolExecutionEvents.execution as unknown as {
      tool: { id: string; createdBy: null; assistantCount: number };
    };
    expect(execution.tool).toEqual({ id: toolId, createdBy: null, assistantCount: 0 });
  }
  await closeAll([...narrow, ...deep]);
});

/** Rows with every column set, and rows whose relations are all absent. */
async function snapshotFixture(prisma: Prisma): Promise<{ organizationId: string; ids: string[] }> {
  const org = await prisma.organization.create({
    data: { name: 'Parity', slug: `parity-${Date.now()}-${Math.random()}` },
  });
  const user = await prisma.user.create({
    data: { email: `parity-${Date.now()}-${Math.random()}@example.test`, passwordHash: 'x' },
  });
  const tool = await prisma.tool.create({
    data: {
      organizationId: org.id,
      name: 'parity',
      displayName: 'Parity',
      description: 'every column',
      type: 'CODE',
      configuration: { language: 'javascript', nested: { list: [1, 'two', null] } },
      functionDefinition: { name: 'parity', parameters: { type: 'object', properties: {} } },
      allowedContexts: ['call', 'test'],
      lastExecutedAt: new Date('2030-01-02T03:04:05.678Z'),
      messages: { requestStart: 'one moment' },
      createdById: user.id,
    },
  });
  const assistant = await prisma.assistant.create({
    data: {
      organizationId: org.id,
      name: 'Parity desk',
      toolsSettings: { enabled_tools: ['parity'] },
      serverSecretHash: 'hash',
      retellApiKey: new Uint8Array([0, 1, 2, 254, 255]),
    },
  });
  const call = await prisma.call.create({
    data: {
      organizationId: org.id,
      assistantId: assistant.id,
      callSid: 'CA-parity',
      fromNumber: '+1555',
      endedAt: new Date(),
    },
  });
  const bare = await prisma.call.create({ data: { organizationId: org.id, callSid: 'CA-bare' } });
  const full = await prisma.toolExecution.create({
    data: {
      organizationId: org.id,
      toolId: tool.id,
      toolName: 'parity',
      toolVersion: 3,
      assistantId: assistant.id,
      callId: call.id,
      userId: user.id,
      toolCallId: 'call_1',
      idempotencyKey: 'parity-key',
      inputParameters: { order: 42, tags: ['a'] },
      outputResult: { success: true, data: { ok: 1 } },
      status: 'ERROR',
      completedAt: new Date(),
      durationMs: 1234,
      errorMessage: 'boom',
      errorCode: 'HTTP_500',
      retryCount: 2,
      triggerContext: 'call',
      context: { call_sid: 'CA-parity' },
      request: { method: 'POST', headers: { authorization: '[redacted]' } },
      logs: [{ level: 'info', message: 'hi' }],
      approvalDeadline: new Date('2030-01-01T00:00:00.000Z'),
      decidedById: user.id,
    },
  });
  const empty = await prisma.toolExecution.create({
    data: {
      organizationId: org.id,
      toolName: 'gone',
      toolVersion: 1,
      inputParameters: {},
      status: 'RUNNING',
      triggerContext: 'test',
    },
  });
  const callWithoutAssistant = await prisma.toolExecution.create({
    data: {
      organizationId: org.id,
      toolName: 'bare',
      toolVersion: 1,
      callId: bare.id,
      inputParameters: {},
      status: 'SUCCESS',
      triggerContext: 'call',
    },
  });
  return { organizationId: org.id, ids: [full.id, empty.id, callWithoutAssistant.id] };
}

async function expectSameAsPrisma(database: Pick<Database, 'prisma' | 'sql'>): Promise<void> {
  const { organizationId, ids } = await snapshotFixture(database.prisma);
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
  const viaPrisma = await database.prisma.toolExecution.findMany({
    include: SNAPSHOT_INCLUDE,
    where: { id: { in: ids }, organizationId },
  });
  const viaSql = await readSnapshots(database.sql, ids, organizationId);
  expect(viaSql.sort(byId)).toEqual(viaPrisma.sort(byId));
  expect(viaSql).toHaveLength(3);
  // Scoped like Prisma's read: another organization gets nothing, whatever ids it names.
  const stranger = await database.prisma.organization.create({ data: { name: 'S', slug: `s-${Date.now()}` } });
  expect(await readSnapshots(database.sql, ids, stranger.id)).toEqual([]);
}

test('the one-statement snapshot is exactly what Prisma reads with its include (PostgreSQL)', async (context) => {
  await requirePostgres(context);
  const db = await createTestDatabase({ engine: 'postgresql' });
  try {
    await expectSameAsPrisma(db.database);
  } finally {
    await db.drop();
  }
});

test('the one-statement snapshot is exactly what Prisma reads with its include (PGlite)', async () => {
  const embedded = await openDatabase({ databaseUrl: null, dataDir: 'memory://' });
  try {
    await expectSameAsPrisma(embedded);
  } finally {
    await embedded.close();
  }
}, 120_000);

/**
 * Alerts end to end: channels and rules made through GraphQL, incidents fired
 * by the tool health event the monitor publishes and by the evaluator over
 * real execution rows, delivered to a signed-webhook receiver, a
 * Slack-compatible receiver and a local SMTP server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { verifyWebhookSignature } from '../../server/deliveries/webhook-signature.ts';
import { toolHealthTopic, type ToolHealth } from '../../server/realtime/pubsub.ts';
import { buildApp } from '../../server/app.ts';
import { startTestApp, testConfig, type TestApp } from '../helpers/app.ts';
import { startDeliveryReceiver, type DeliveryReceiver } from '../helpers/delivery-receiver.ts';
import { createOrganization, createToolRow, type TestOrganization } from '../helpers/fixtures.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';

const CREATE_CHANNEL = `mutation ($input: CreateAlertChannelInput!) {
  createAlertChannel(input: $input) {
    __typename
    ... on CreatedAlertChannel { channel { id kind url email } signingSecret }
    ... on ValidationError { issues { field message } }
  }
}`;
const CREATE_RULE = `mutation ($input: AlertRuleInput!) {
  createAlertRule(input: $input) {
    __typename
    ... on AlertRule { id kind channels { id } }
    ... on ValidationError { issues { field message } }
  }
}`;
const TEST_ALERT = `mutation ($input: SendTestAlertInput!) {
  sendTestAlert(input: $input) {
    __typename
    ... on AlertTestOutcome { channelId delivered error }
    ... on NotFoundError { message }
  }
}`;
const INCIDENTS = `{ alertIncidents(first: 50) { edges { node { id dedupeKey summary resolvedAt notifications lastError rule { id } } } } }`;

let t: TestApp;
let appEnv: Record<string, string>;
let org: TestOrganization;
let other: TestOrganization;
let receiver: DeliveryReceiver;
let smtp: SmtpSink;
let webhookChannel: { id: string; secret: string };
let slackChannelId: string;
let emailChannelId: string;

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function createChannel(input: Record<string, unknown>, key = org.keys.ADMIN) {
  const result = await t.gql<{
    createAlertChannel: { __typename: string; channel: { id: string }; signingSecret: string | null };
  }>(CREATE_CHANNEL, { input }, { apiKey: key });
  expect(result.errors).toBeUndefined();
  expect(result.data?.createAlertChannel.__typename).toBe('CreatedAlertChannel');
  return result.data!.createAlertChannel;
}

async function createRule(input: Record<string, unknown>) {
  const result = await t.gql<{ createAlertRule: { __typename: string; id: string } }>(
    CREATE_RULE,
    { input },
    { apiKey: org.keys.ADMIN },
  );
  expect(result.errors).toBeUndefined();
  expect(result.data?.createAlertRule.__typename).toBe('AlertRule');
  return result.data!.createAlertRule.id;
}

function newTool() {
  return createToolRow(t.app.services.prisma, org.id, 'ENDPOINT', { url: 'https://example.com', method: 'GET' });
}

function publishHealth(toolId: string, health: ToolHealth, previous: ToolHealth) {
  t.app.services.pubsub.publish(toolHealthTopic(org.id), {
    organizationId: org.id,
    toolId,
    health,
    previous,
    at: new Date().toISOString(),
  });
}

async function insertExecutions(
  toolId: string,
  toolName: string,
  rows: Array<{ status: 'SUCCESS' | 'ERROR'; durationMs: number }>,
  at: Date,
) {
  await t.app.services.prisma.toolExecution.createMany({
    data: rows.map((row) => ({
      organizationId: org.id,
      toolId,
      toolName,
      toolVersion: 1,
      inputParameters: {},
      status: row.status,
      durationMs: row.durationMs,
      startedAt: at,
      triggerContext: 'test',
    })),
  });
}

function webhookEvents(path: string) {
  return receiver.to(path).map((request) => {
    expect(
      verifyWebhookSignature(
        webhookChannel.secret,
        request.body,
        (request.headers['switchboard-signature'] as string) ?? null,
      ),
    ).toBe(true);
    return JSON.parse(request.body) as { type: string; key: string; summary: string; rule: { id: string } | null };
  });
}

beforeAll(async () => {
  smtp = await startSmtpSink();
  receiver = await startDeliveryReceiver();
  appEnv = {
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    SWITCHBOARD_SMTP_URL: smtp.url,
    SWITCHBOARD_ALERT_EMAIL_FROM: 'alerts@switchboard.test',
    // The evaluator is driven by evaluate() here, never by its timer.
    SWITCHBOARD_ALERT_EVALUATION_INTERVAL_MS: '86400000',
    // Alert notifications are retried on the deliveries' schedule: quick here.
    SWITCHBOARD_DELIVERY_RETRY_BASE_MS: '20',
    SWITCHBOARD_DELIVERY_RETRY_MAX_MS: '100',
    SWITCHBOARD_DELIVERY_POLL_MS: '20',
    SWITCHBOARD_DELIVERY_MAX_ATTEMPTS: '4',
  };
  t = await startTestApp(appEnv);
  org = await createOrganization(t.app.services.prisma, 'Alerts');
  other = await createOrganization(t.app.services.prisma, 'Elsewhere');
  const webhook = await createChannel({ name: 'ops hook', kind: 'WEBHOOK', url: `${receiver.url}/hook` });
  expect(webhook.signingSecret).toMatch(/^whsec_/);
  webhookChannel = { id: webhook.channel.id, secret: webhook.signingSecret! };
  slackChannelId = (await createChannel({ name: 'slack', kind: 'SLACK', url: `${receiver.url}/slack` })).channel.id;
  emailChannelId = (await createChannel({ name: 'on call', kind: 'EMAIL', email: 'oncall@example.test' })).channel.id;
});

afterAll(async () => {
  await t?.close();
  await receiver?.close();
  await smtp?.close();
});

describe('tool health rules', () => {
  test('a tool turning FAILING notifies each channel once while it fails, and once when it recovers', async () => {
    const tool = await newTool();
    await createRule({
      name: 'failing tools',
      kind: 'TOOL_HEALTH',
      healthLevels: ['FAILING'],
      channelIds: [webhookChannel.id, slackChannelId, emailChannelId],
    });
    publishHealth(tool.id, 'FAILING', 'OK');
    await t.app.services.alerting.settled();
    // Still failing (a repeated announcement after DEGRADED→FAILING): deduplicated.
    publishHealth(tool.id, 'FAILING', 'DEGRADED');
    await t.app.services.alerting.settled();

    const firing = webhookEvents('/hook').filter((event) => event.key === tool.id);
    expect(firing.map((event) => event.type)).toEqual(['alert.firing']);
    expect(firing[0]!.summary).toContain(tool.name);
    const slack = receiver
      .to('/slack')
      .map((request) => JSON.parse(request.body) as { text: string; blocks: unknown[] });
    expect(slack).toHaveLength(1);
    expect(slack[0]!.text).toMatch(/^\[FIRING\] failing tools: tool .* is FAILING/);
    await until('the email', () => (smtp.mails.length >= 1 ? true : undefined));
    expect(smtp.mails[0]).toMatchObject({ to: 'oncall@example.test' });
    expect(smtp.mails[0]!.subject).toContain('[FIRING] failing tools');

    publishHealth(tool.id, 'OK', 'FAILING');
    await t.app.services.alerting.settled();
    expect(
      webhookEvents('/hook')
        .filter((event) => event.key === tool.id)
        .map((event) => event.type),
    ).toEqual(['alert.firing', 'alert.resolved']);
    expect(receiver.to('/slack')).toHaveLength(2);
    await until('the resolved email', () => (smtp.mails.length >= 2 ? true : undefined));
    expect(smtp.mails[1]!.subject).toContain('[RESOLVED]');

    const incidents = await t.gql<{
      alertIncidents: {
        edges: Array<{ node: { dedupeKey: string; resolvedAt: string | null; notifications: number } }>;
      };
    }>(INCIDENTS, {}, { apiKey: org.keys.ADMIN });
    const mine = incidents.data!.alertIncidents.edges.filter((edge) => edge.node.dedupeKey === tool.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.node.resolvedAt).not.toBeNull();
    expect(mine[0]!.node.notifications).toBe(6);
  });
  test('disabling a firing rule closes its incident quietly; enabled again, it fires anew', async () => {
    const tool = await newTool();
    const rule = { name: 'pausable', kind: 'TOOL_HEALTH', toolId: tool.id, channelIds: [webhookChannel.id] };
    const ruleId = await createRule(rule);
    const update = (enabled: boolean) =>
      t.gql(
        `mutation ($input: UpdateAlertRuleInput!) { updateAlertRule(input: $input) { __typename } }`,
        {
          input: { id: ruleId, rule: { ...rule, enabled } },
        },
        { apiKey: org.keys.ADMIN },
      );
    const events = () =>
      webhookEvents('/hook')
        .filter((event) => event.rule?.id === ruleId)
        .map((event) => event.type);
    publishHealth(tool.id, 'FAILING', 'OK');
    await t.app.services.alerting.settled();
    expect(events()).toEqual(['alert.firing']);

    await update(false);
    const closed = await t.app.services.prisma.alertIncident.findFirstOrThrow({ where: { ruleId } });
    expect(closed.resolvedAt).not.toBeNull();
    publishHealth(tool.id, 'OK', 'FAILING');
    await t.app.services.alerting.settled();
    expect(events()).toEqual(['alert.firing']);

    await update(true);
    publishHealth(tool.id, 'FAILING', 'OK');
    await t.app.services.alerting.settled();
    expect(events()).toEqual(['alert.firing', 'alert.firing']);
  });

  test('driven by the real engine and health monitor: a failing upstream fires, its failures ageing out resolves', async () => {
    receiver.script('/upstream', [500]);
    const tool = await createToolRow(t.app.services.prisma, org.id, 'ENDPOINT', {
      url: `${receiver.url}/upstream`,
      method: 'GET',
    });
    const ruleId = await createRule({
      name: 'this tool',
      kind: 'TOOL_HEALTH',
      toolId: tool.id,
      healthLevels: ['DEGRADED', 'FAILING'],
      channelIds: [webhookChannel.id],
    });
    for (let call = 0; call < 6; call++) {
      const result = await t.gql<{ testTool: { __typename: string; status: string } }>(
        `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename ... on ToolExecution { status } } }`,
        { input: { toolId: tool.id, parameters: {} } },
        { apiKey: org.keys.ADMIN },
      );
      expect(result.data?.testTool).toMatchObject({ __typename: 'ToolExecution', status: 'ERROR' });
    }
    await t.app.services.metrics.monitor.check();
    await t.app.services.alerting.settled();
    const events = () => webhookEvents('/hook').filter((event) => event.rule?.id === ruleId);
    expect(events().map((event) => event.type)).toEqual(['alert.firing']);
    expect(events()[0]!.summary).toContain('is FAILING (was OK)');

    // The failures leave the monitor's 15-minute window; the tool is still watched, so it recovers.
    await t.app.services.prisma.toolExecution.updateMany({
      where: { toolId: tool.id },
      data: { startedAt: new Date(Date.now() - 60 * 60_000) },
    });
    await t.app.services.metrics.monitor.check();
    await t.app.services.alerting.settled();
    expect(events().map((event) => event.type)).toEqual(['alert.firing', 'alert.resolved']);
  });
});

describe('windowed rules through the evaluator', () => {
  test('an error rate over the threshold fires once per tool and resolves when the window is clean', async () => {
    const tool = await newTool();
    const ruleId = await createRule({
      name: 'errors',
      kind: 'ERROR_RATE',
      toolId: tool.id,
      threshold: 0.2,
      windowSeconds: 300,
      channelIds: [webhookChannel.id],
    });
    const now = new Date();
    await insertExecutions(
      tool.id,
      tool.name,
      [...Array(6).fill({ status: 'ERROR', durationMs: 50 }), ...Array(4).fill({ status: 'SUCCESS', durationMs: 50 })],
      new Date(now.getTime() - 60_000),
    );
    await t.app.services.alerting.evaluate(now);
    await t.app.services.alerting.evaluate(new Date(now.getTime() + 1000));
    const events = () => webhookEvents('/hook').filter((event) => event.rule?.id === ruleId);
    expect(events().map((event) => event.type)).toEqual(['alert.firing']);
    expect(events()[0]!.summary).toContain('error rate 60.0 %');

    // Ten minutes later the failures have left the 5-minute window.
    await t.app.services.alerting.evaluate(new Date(now.getTime() + 10 * 60_000));
    expect(events().map((event) => event.type)).toEqual(['alert.firing', 'alert.resolved']);
  });

  test('p95 latency above the threshold fires; below it does not', async () => {
    const slow = await newTool();
    const fast = await newTool();
    const ruleId = await createRule({
      name: 'slow',
      kind: 'P95_LATENCY',
      threshold: 1000,
      windowSeconds: 300,
      channelIds: [webhookChannel.id],
    });
    const now = new Date();
    const at = new Date(now.getTime() - 30_000);
    await insertExecutions(
      slow.id,
      slow.name,
      Array.from({ length: 20 }, (_, i) => ({ status: 'SUCCESS', durationMs: i < 17 ? 100 : 5000 })),
      at,
    );
    await insertExecutions(
      fast.id,
      fast.name,
      Array.from({ length: 20 }, () => ({ status: 'SUCCESS', durationMs: 100 })),
      at,
    );
    await t.app.services.alerting.evaluate(now);
    const events = webhookEvents('/hook').filter((event) => event.rule?.id === ruleId);
    expect(events.map((event) => [event.type, event.key])).toEqual([['alert.firing', slow.id]]);
    expect(events[0]!.summary).toMatch(/p95 latency \d+ ms/);
  });
  test('volume far above its trailing baseline fires; a failing channel is recorded on the incident', async () => {
    const tool = await newTool();
    receiver.script('/down', [503]);
    const down = await createChannel({ name: 'down', kind: 'WEBHOOK', url: `${receiver.url}/down` });
    const ruleId = await createRule({
      name: 'surge',
      kind: 'VOLUME_ANOMALY',
      toolId: tool.id,
      threshold: 5,
      windowSeconds: 60,
      channelIds: [webhookChannel.id, down.channel.id],
    });
    const now = new Date();
    // Baseline: 2 per minute over the 24 minutes before; now: 40 in the last minute.
    for (let minute = 2; minute <= 25; minute++) {
      await insertExecutions(
        tool.id,
        tool.name,
        [
          { status: 'SUCCESS', durationMs: 10 },
          { status: 'SUCCESS', durationMs: 10 },
        ],
        new Date(now.getTime() - minute * 60_000 + 1000),
      );
    }
    await insertExecutions(
      tool.id,
      tool.name,
      Array.from({ length: 40 }, () => ({ status: 'SUCCESS' as const, durationMs: 10 })),
      new Date(now.getTime() - 10_000),
    );
    // A round asked for while one runs joins it, and later rounds find the incident open: one notification.
    await Promise.all([t.app.services.alerting.evaluate(now), t.app.services.alerting.evaluate(now)]);
    await t.app.services.alerting.evaluate(now);
    const events = webhookEvents('/hook').filter((event) => event.rule?.id === ruleId);
    expect(events.map((event) => event.type)).toEqual(['alert.firing']);
    expect(events[0]!.summary).toContain('40 executions in 1 min against a baseline of 2.0');
    // Tried at once; the failure is recorded on the incident while the outbox retries it.
    expect(receiver.to('/down').length).toBeGreaterThanOrEqual(1);
    const incident = await t.app.services.prisma.alertIncident.findFirstOrThrow({ where: { ruleId } });
    expect(incident.notifications).toBe(1);
    expect(incident.lastError).toContain('The receiver answered HTTP 503');
    // A receiver that stays down is given up after the last attempt (SWITCHBOARD_DELIVERY_MAX_ATTEMPTS).
    const given = await until('the notification given up', async () => {
      const row = await t.app.services.prisma.alertNotification.findFirst({
        where: { incidentId: incident.id, channelId: down.channel.id, status: 'FAILED' },
      });
      return row ?? undefined;
    });
    expect(given).toMatchObject({ attempts: 4, event: 'firing' });
    expect(given.lastError).toContain('The receiver answered HTTP 503');
    expect(receiver.to('/down')).toHaveLength(4);
  });

  test('a receiver down when the incident fires gets it once it is back: retried with backoff, not at the next event', async () => {
    const tool = await newTool();
    receiver.script('/flaky', [503, 503, 200]);
    const flaky = await createChannel({ name: 'flaky', kind: 'WEBHOOK', url: `${receiver.url}/flaky` });
    const ruleId = await createRule({
      name: 'flaky receiver',
      kind: 'TOOL_HEALTH',
      toolId: tool.id,
      healthLevels: ['FAILING'],
      channelIds: [flaky.channel.id],
    });
    publishHealth(tool.id, 'FAILING', 'OK');
    await t.app.services.alerting.settled();
    const incident = await t.app.services.prisma.alertIncident.findFirstOrThrow({ where: { ruleId } });
    expect(incident.notifications).toBe(0);
    expect(incident.lastError).toContain('The receiver answered HTTP 503');

    // No further event: the outbox alone brings it through, once.
    const delivered = await until('the notification delivered', async () => {
      const row = await t.app.services.prisma.alertNotification.findFirst({
        where: { incidentId: incident.id, status: 'DELIVERED' },
      });
      return row ?? undefined;
    });
    expect(delivered).toMatchObject({ attempts: 3, channelId: flaky.channel.id, lastError: null });
    const requests = receiver.to('/flaky');
    expect(requests).toHaveLength(3);
    // The same notification each time: the receiver can tell a retry by its incident id.
    expect(new Set(requests.map((request) => request.body)).size).toBe(1);
    expect(JSON.parse(requests[0]!.body)).toMatchObject({ type: 'alert.firing', incidentId: incident.id });
    const after = await t.app.services.prisma.alertIncident.findUniqueOrThrow({ where: { id: incident.id } });
    expect(after).toMatchObject({ notifications: 1, lastError: null });
  });

  test('security events from the security event log fire the rules listing their kind, once while firing', async () => {
    const refused = await t.gql<{ createAlertRule: { __typename: string } }>(
      CREATE_RULE,
      {
        input: {
          name: 'bad kind',
          kind: 'SECURITY_EVENT',
          securityEventKinds: ['ssrf.blocked'],
          channelIds: [webhookChannel.id],
        },
      },
      { apiKey: org.keys.ADMIN },
    );
    expect(refused.data?.createAlertRule.__typename).toBe('ValidationError');
    const ruleId = await createRule({
      name: 'ssrf',
      kind: 'SECURITY_EVENT',
      securityEventKinds: ['SSRF_REFUSED'],
      windowSeconds: 600,
      channelIds: [webhookChannel.id],
    });
    const log = t.app.services.securityEvents;
    const ssrf = (organizationId: string) =>
      log.record({
        kind: 'SSRF_REFUSED',
        organizationId,
        actor: { type: 'system', id: null },
        details: { host: '169.254.169.254' },
      });
    ssrf(org.id);
    ssrf(org.id);
    log.record({ kind: 'LOGIN_FAILED', organizationId: org.id, actor: { type: 'address', id: '127.0.0.1' } });
    ssrf(other.id);
    const events = () => webhookEvents('/hook').filter((event) => event.rule?.id === ruleId);
    await vi.waitUntil(() => events().length > 0, { timeout: 10_000, interval: 20 });
    await t.app.services.alerting.settled();
    expect(events().map((event) => [event.type, event.key])).toEqual([['alert.firing', 'SSRF_REFUSED']]);
    expect(events()[0]!.summary).toBe('security event SSRF_REFUSED');
    await t.app.services.alerting.evaluate(new Date(Date.now() + 11 * 60_000));
    expect(events().map((event) => event.type)).toEqual(['alert.firing', 'alert.resolved']);
  });
  test('two instances evaluating at once on one database notify once', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-alerting-'));
    const second = await buildApp(testConfig(dataDir, appEnv), { database: t.db.database });
    try {
      const tool = await newTool();
      const ruleId = await createRule({
        name: 'errors everywhere',
        kind: 'ERROR_RATE',
        toolId: tool.id,
        threshold: 0.5,
        channelIds: [webhookChannel.id],
      });
      const now = new Date();
      await insertExecutions(
        tool.id,
        tool.name,
        Array.from({ length: 8 }, () => ({ status: 'ERROR' as const, durationMs: 10 })),
        new Date(now.getTime() - 5_000),
      );
      await Promise.all([t.app.services.alerting.evaluate(now), second.services.alerting.evaluate(now)]);
      await second.services.alerting.evaluate(new Date(now.getTime() + 1000));
      const events = webhookEvents('/hook').filter((event) => event.rule?.id === ruleId);
      expect(events.map((event) => event.type)).toEqual(['alert.firing']);
    } finally {
      await second.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('managing alerts', () => {
  test('sendTestAlert delivers now and says so; a refused destination says why', async () => {
    const result = await t.gql<{ sendTestAlert: { __typename: string; delivered: boolean; error: string | null } }>(
      TEST_ALERT,
      { input: { channelId: slackChannelId } },
      { apiKey: org.keys.ADMIN },
    );
    expect(result.data?.sendTestAlert).toMatchObject({ __typename: 'AlertTestOutcome', delivered: true, error: null });
    expect(receiver.to('/slack').some((request) => request.body.includes('[TEST]'))).toBe(true);

    receiver.script('/broken', [404]);
    const broken = await createChannel({ name: 'broken', kind: 'WEBHOOK', url: `${receiver.url}/broken` });
    const failed = await t.gql<{ sendTestAlert: { delivered: boolean; error: string | null } }>(
      TEST_ALERT,
      { input: { channelId: broken.channel.id } },
      { apiKey: org.keys.ADMIN },
    );
    expect(failed.data?.sendTestAlert).toMatchObject({ delivered: false, error: 'The receiver answered HTTP 404' });
  });

  test('a MEMBER is refused; another organization sees nothing and cannot use the channels', async () => {
    const asMember = await t.gql(`{ alertChannels { id } }`, {}, { apiKey: org.keys.MEMBER });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const memberCreate = await t.gql(
      CREATE_CHANNEL,
      { input: { name: 'x', kind: 'SLACK', url: receiver.url } },
      { apiKey: org.keys.MEMBER },
    );
    expect(memberCreate.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const seen = await t.gql<{ alertChannels: unknown[]; alertRules: unknown[]; alertIncidents: { edges: unknown[] } }>(
      `{ alertChannels { id } alertRules { id } alertIncidents { edges { node { id } } } }`,
      {},
      { apiKey: other.keys.ADMIN },
    );
    expect(seen.data).toEqual({ alertChannels: [], alertRules: [], alertIncidents: { edges: [] } });
    const test = await t.gql<{ sendTestAlert: { __typename: string } }>(
      TEST_ALERT,
      { input: { channelId: webhookChannel.id } },
      { apiKey: other.keys.ADMIN },
    );
    expect(test.data?.sendTestAlert.__typename).toBe('NotFoundError');
    const rule = await t.gql<{ createAlertRule: { __typename: string } }>(
      CREATE_RULE,
      { input: { name: 'borrowed', kind: 'TOOL_HEALTH', channelIds: [webhookChannel.id] } },
      { apiKey: other.keys.ADMIN },
    );
    expect(rule.data?.createAlertRule.__typename).toBe('ValidationError');
  });

  test('a rule is updated whole and deleted; a deleted channel leaves its rules', async () => {
    const spare = await createChannel({ name: 'spare', kind: 'SLACK', url: `${receiver.url}/spare` });
    const ruleId = await createRule({
      name: 'p95',
      kind: 'P95_LATENCY',
      threshold: 500,
      channelIds: [spare.channel.id],
    });
    const updated = await t.gql<{
      updateAlertRule: {
        __typename: string;
        name: string;
        threshold: number;
        windowSeconds: number;
        channels: Array<{ id: string }>;
      };
    }>(
      `mutation ($input: UpdateAlertRuleInput!) {
        updateAlertRule(input: $input) { __typename ... on AlertRule { name threshold windowSeconds channels { id } } }
      }`,
      {
        input: {
          id: ruleId,
          rule: {
            name: 'p95 (slower)',
            kind: 'P95_LATENCY',
            threshold: 2000,
            windowSeconds: 900,
            channelIds: [slackChannelId, spare.channel.id],
          },
        },
      },
      { apiKey: org.keys.ADMIN },
    );
    expect(updated.data?.updateAlertRule).toMatchObject({
      __typename: 'AlertRule',
      name: 'p95 (slower)',
      threshold: 2000,
      windowSeconds: 900,
    });
    expect(updated.data!.updateAlertRule.channels.map((channel) => channel.id).sort()).toEqual(
      [slackChannelId, spare.channel.id].sort(),
    );

    const deleteChannel = await t.gql<{ deleteAlertChannel: { __typename: string } }>(
      `mutation ($input: AlertIdInput!) { deleteAlertChannel(input: $input) { __typename } }`,
      { input: { id: spare.channel.id } },
      { apiKey: org.keys.ADMIN },
    );
    expect(deleteChannel.data?.deleteAlertChannel.__typename).toBe('DeletedAlert');
    const rules = await t.gql<{ alertRules: Array<{ id: string; channels: Array<{ id: string }> }> }>(
      `{ alertRules { id channels { id } } }`,
      {},
      { apiKey: org.keys.ADMIN },
    );
    expect(rules.errors).toBeUndefined();
    expect(rules.data!.alertRules.find((rule) => rule.id === ruleId)?.channels).toEqual([{ id: slackChannelId }]);

    const removeAs = (key: string) =>
      t.gql<{ deleteAlertRule: { __typename: string } }>(
        `mutation ($input: AlertIdInput!) { deleteAlertRule(input: $input) { __typename } }`,
        { input: { id: ruleId } },
        { apiKey: key },
      );
    expect((await removeAs(other.keys.ADMIN)).data?.deleteAlertRule.__typename).toBe('NotFoundError');
    expect((await removeAs(org.keys.ADMIN)).data?.deleteAlertRule.__typename).toBe('DeletedAlert');
    expect((await removeAs(org.keys.ADMIN)).data?.deleteAlertRule.__typename).toBe('NotFoundError');
  });

  test('invalid channels and rules are refused with the field named', async () => {
    const badUrl = await t.gql<{ createAlertChannel: { __typename: string; issues: Array<{ field: string }> } }>(
      CREATE_CHANNEL,
      { input: { name: 'bad', kind: 'WEBHOOK', url: 'ftp://example.com' } },
      { apiKey: org.keys.ADMIN },
    );
    expect(badUrl.data?.createAlertChannel).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ field: 'url' }],
    });
    const badRate = await t.gql<{ createAlertRule: { __typename: string; issues: Array<{ field: string }> } }>(
      CREATE_RULE,
      { input: { name: 'bad', kind: 'ERROR_RATE', threshold: 5, channelIds: [slackChannelId] } },
      { apiKey: org.keys.ADMIN },
    );
    expect(badRate.data?.createAlertRule).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ field: 'threshold' }],
    });
  });
});

describe('embedded PGlite', () => {
  test('the evaluator fires and resolves there too', async () => {
    const embedded = await startTestApp(appEnv, { engine: 'pglite' });
    try {
      const prisma = embedded.app.services.prisma;
      const owner = await createOrganization(prisma, 'Embedded');
      const channel = await prisma.alertChannel.create({
        data: { organizationId: owner.id, name: 'slack', kind: 'SLACK', url: `${receiver.url}/embedded` },
      });
      const tool = await createToolRow(prisma, owner.id, 'ENDPOINT', { url: 'https://example.com', method: 'GET' });
      await prisma.alertRule.create({
        data: {
          organizationId: owner.id,
          name: 'errors',
          kind: 'ERROR_RATE',
          threshold: 0.5,
          windowSeconds: 300,
          channels: { create: [{ channelId: channel.id }] },
        },
      });
      const now = new Date();
      await prisma.toolExecution.createMany({
        data: Array.from({ length: 6 }, () => ({
          organizationId: owner.id,
          toolId: tool.id,
          toolName: tool.name,
          toolVersion: 1,
          inputParameters: {},
          status: 'ERROR' as const,
          durationMs: 20,
          startedAt: new Date(now.getTime() - 10_000),
          triggerContext: 'test',
        })),
      });
      await embedded.app.services.alerting.evaluate(now);
      await embedded.app.services.alerting.evaluate(new Date(now.getTime() + 10 * 60_000));
      const texts = receiver.to('/embedded').map((request) => (JSON.parse(request.body) as { text: string }).text);
      expect(texts).toHaveLength(2);
      expect(texts[0]).toMatch(/^\[FIRING\] errors: tool .*: error rate 100\.0 %/);
      expect(texts[1]).toMatch(/^\[RESOLVED\] errors/);
    } finally {
      await embedded.close();
    }
  });
});

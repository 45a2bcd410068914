/**
 * Each built-in ENDPOINT template's request, sent by the real executor to a receiver on 127.0.0.1 that stands in
 * for the service, checked against the shape the service documents. Only the test points the service's origin
 * at the receiver (by rewriting the copied configuration's URL, or through the secret that holds the whole URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEndpointExecutor } from '../../server/executors/endpoint.ts';
import type { Executor, ExecutorInput, JsonObject, JsonValue } from '../../server/executors/types.ts';
import { requiredSecrets } from '../../server/library/tool-copy.ts';
import { BUILTIN_TEMPLATES, findBuiltinTemplate } from '../../server/library/templates.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';
import { startServiceStandIn, type SeenRequest, type ServiceStandIn } from '../helpers/service-stand-in.ts';

let service: ServiceStandIn;
let base: string;
let executor: Executor;
const reply = (status: number, body: JsonValue): void => service.reply(status, body);

beforeAll(async () => {
  service = await startServiceStandIn();
  base = service.url;
  executor = createEndpointExecutor({
    policy: createSsrfPolicy({ allowedPrivateHosts: [`127.0.0.1:${service.port}`] }),
  });
});

afterAll(async () => {
  await service?.close();
});

function configurationOf(templateId: string, origin?: string): JsonObject {
  const template = findBuiltinTemplate(templateId);
  if (!template) throw new Error(`no template ${templateId}`);
  const configuration = structuredClone(template.configuration) as JsonObject;
  if (origin !== undefined) {
    expect(String(configuration.url).startsWith(origin), `${templateId} calls ${origin}`).toBe(true);
    configuration.url = String(configuration.url).replace(origin, base);
  }
  return configuration;
}

async function send(
  configuration: JsonObject,
  parameters: JsonObject,
  secrets: Record<string, string>,
  phoneNumber: string | null = '+15550001111',
): Promise<{ request: SeenRequest; outcome: Awaited<ReturnType<Executor['execute']>> }> {
  service.seen.length = 0;
  const input: ExecutorInput = {
    tool: { id: 'tool_1', name: 'template_tool', type: 'ENDPOINT', version: 1, configuration },
    parameters,
    context: {
      executionId: 'exec_1',
      organizationId: 'org_1',
      assistantId: 'asst_1',
      callSid: 'CA42',
      phoneNumber,
      from: phoneNumber,
      to: '+15559998888',
      userId: null,
      triggerContext: 'call',
      toolCallId: null,
    },
    secrets: { get: async (name) => secrets[name] },
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    idempotencyKey: 'idem-1',
    attempt: 1,
  };
  const outcome = await executor.execute(input);
  if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
  expect(service.seen).toHaveLength(1);
  return { request: service.seen[0]!, outcome };
}

describe('built-in templates', () => {
  it('leave no placeholder hosts, and declare exactly the secrets their configuration uses', () => {
    for (const template of BUILTIN_TEMPLATES) {
      expect(JSON.stringify(template), template.id).not.toMatch(/example\.(com|org|net)/);
      const declared = (template.secrets ?? []).map((secret) => secret.name).sort();
      expect(declared, template.id).toEqual(requiredSecrets(template.type, template.configuration as JsonValue));
      for (const secret of template.secrets ?? []) {
        expect(secret.description.length, `${template.id} ${secret.name}`).toBeGreaterThan(10);
        expect(secret.helpUrl, `${template.id} ${secret.name}`).toMatch(/^https:\/\//);
      }
    }
  });

  it('Twilio SMS: form-encoded To/From/Body to Messages.json with Basic auth SID:token', async () => {
    reply(201, { sid: 'SM123', status: 'queued', to: '+15550001111' });
    const secrets = {
      TWILIO_ACCOUNT_SID: 'AC00aa',
      TWILIO_AUTH_TOKEN: 'tok-secret',
      TWILIO_FROM_NUMBER: '+15557770000',
    };
    const { request, outcome } = await send(
      configurationOf('builtin:sms-send', 'https://api.twilio.com'),
      { message: 'Your table is booked for 7pm.' },
      secrets,
    );
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/2010-04-01/Accounts/AC00aa/Messages.json');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('AC00aa:tok-secret').toString('base64')}`);
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      To: '+15550001111',
      From: '+15557770000',
      Body: 'Your table is booked for 7pm.',
    });
    expect(outcome.ok && outcome.result.data).toMatchObject({ sid: 'SM123', status: 'queued' });
  });

  it('Cal.com booking: POST /v2/bookings with cal-api-version, Bearer key and the attendee', async () => {
    reply(201, { status: 'success', data: { uid: 'bk_1', start: '2026-12-10T15:00:00.000Z' } });
    const { request, outcome } = await send(
      configurationOf('builtin:appointment-booking', 'https://api.cal.com'),
      { name: 'Ada Lovelace', email: 'ada@lovelace.dev', start: '2026-12-10T15:00:00Z', time_zone: 'Europe/London' },
      { CAL_COM_API_KEY: 'cal_live_abc', CAL_COM_USERNAME: 'frontdesk', CAL_COM_EVENT_TYPE_SLUG: 'consultation' },
    );
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v2/bookings');
    expect(request.headers['cal-api-version']).toBe('2026-02-25');
    expect(request.headers.authorization).toBe('Bearer cal_live_abc');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      start: '2026-12-10T15:00:00Z',
      eventTypeSlug: 'consultation',
      username: 'frontdesk',
      attendee: {
        name: 'Ada Lovelace',
        email: 'ada@lovelace.dev',
        phoneNumber: '+15550001111',
        timeZone: 'Europe/London',
      },
      bookingFieldsResponses: { notes: null },
    });
    expect(outcome.ok && outcome.result.data).toEqual({ uid: 'bk_1', start: '2026-12-10T15:00:00.000Z' });
  });

  it('Cal.com slots: GET /v2/slots with the event type, the day and the time zone', async () => {
    reply(200, { status: 'success', data: { '2026-12-10': [{ start: '2026-12-10T09:00:00.000Z' }] } });
    const { request } = await send(
      configurationOf('builtin:cal-com-slots', 'https://api.cal.com'),
      { date: '2026-12-10', time_zone: 'Europe/London' },
      { CAL_COM_USERNAME: 'frontdesk', CAL_COM_EVENT_TYPE_SLUG: 'consultation' },
    );
    expect(request.method).toBe('GET');
    const url = new URL(request.path, base);
    expect(url.pathname).toBe('/v2/slots');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      eventTypeSlug: 'consultation',
      username: 'frontdesk',
      start: '2026-12-10',
      end: '2026-12-10',
      timeZone: 'Europe/London',
    });
    expect(request.headers['cal-api-version']).toBe('2024-09-04');
  });

  it('HubSpot contact lookup: POST /crm/v3/objects/contacts/search with filterGroups on the phone', async () => {
    reply(200, { total: 1, results: [{ id: '51', properties: { firstname: 'Ada' } }] });
    const { request, outcome } = await send(
      configurationOf('builtin:crm-contact-lookup', 'https://api.hubapi.com'),
      { phone: '+15550001111' },
      { HUBSPOT_ACCESS_TOKEN: 'pat-na1-secret' },
    );
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/crm/v3/objects/contacts/search');
    expect(request.headers.authorization).toBe('Bearer pat-na1-secret');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      filterGroups: [
        { filters: [{ propertyName: 'phone', operator: 'EQ', value: '+15550001111' }] },
        { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: '+15550001111' }] },
      ],
      properties: ['firstname', 'lastname', 'email', 'phone', 'company'],
      limit: 1,
    });
    expect(outcome.ok && outcome.result.data).toEqual([{ id: '51', properties: { firstname: 'Ada' } }]);
  });

  it('Slack incoming webhook: POST {"text"} to the URL held in the secret', async () => {
    reply(200, 'ok');
    const { request } = await send(
      configurationOf('builtin:slack-notify'),
      { message: 'Caller wants a callback about invoice 1042' },
      { SLACK_WEBHOOK_URL: `${base}/services/T000/B000/XXXX` },
    );
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/services/T000/B000/XXXX');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      text: 'Caller wants a callback about invoice 1042 (caller +15550001111)',
    });
  });

  it('Zapier / Make catch hook: POST the call details as JSON to the URL held in the secret', async () => {
    reply(200, { status: 'success', id: 'zap-1' });
    const { request } = await send(
      configurationOf('builtin:catch-hook'),
      { event: 'lead', summary: 'Wants a quote for 3 rooms' },
      { CATCH_HOOK_URL: `${base}/hooks/catch/123/abc/` },
    );
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks/catch/123/abc/');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      event: 'lead',
      summary: 'Wants a quote for 3 rooms',
      caller: '+15550001111',
      call_sid: 'CA42',
    });
  });

  it('Order status: GET your order API (its base URL a secret) with a Bearer token', async () => {
    reply(200, { found: true, status_text: 'Shipped', order: { id: 'A-1042' } });
    const { request, outcome } = await send(
      configurationOf('builtin:order-status'),
      { order_number: 'A-1042' },
      { ORDERS_API_URL: `${base}/api`, ORDERS_API_TOKEN: 'orders-secret' },
    );
    expect(request.method).toBe('GET');
    expect(request.path).toBe('/api/orders/A-1042');
    expect(request.headers.authorization).toBe('Bearer orders-secret');
    expect(outcome.ok && outcome.result).toMatchObject({ success: true, message: 'Shipped' });
  });
});

/**
 * Form-encoded bodies, Basic auth built from two secrets and a URL held whole in a secret, through the real
 * ENDPOINT executor against a receiver on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEndpointExecutor } from '../../server/executors/endpoint.ts';
import type { Executor, ExecutorInput, JsonObject } from '../../server/executors/types.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';
import { startServiceStandIn, type ServiceStandIn } from '../helpers/service-stand-in.ts';

let receiver: ServiceStandIn;
let base: string;
let executor: Executor;
let secrets: Record<string, string>;
const seen = (): ServiceStandIn['seen'] => receiver.seen;

beforeAll(async () => {
  receiver = await startServiceStandIn();
  receiver.reply(201, { sid: 'SM1', status: 'queued' });
  base = receiver.url;
  secrets = {
    SID: 'AC0123456789abcdef',
    TOKEN: 'tw-auth-token-secret',
    FROM: '+15559990000',
    HOOK_URL: `${base}/services/T000/B000/XXXX`,
    OUTSIDE_URL: 'http://169.254.169.254/latest/meta-data',
    NOT_A_URL: 'hooks.slack.com/services/T000',
  };
  executor = createEndpointExecutor({
    policy: createSsrfPolicy({ allowedPrivateHosts: [`127.0.0.1:${receiver.port}`] }),
  });
});

afterAll(async () => {
  await receiver?.close();
});

function input(configuration: JsonObject, parameters: JsonObject): ExecutorInput {
  return {
    tool: { id: 'tool_1', name: 'send_sms', type: 'ENDPOINT', version: 1, configuration },
    parameters,
    context: {
      executionId: 'exec_1',
      organizationId: 'org_1',
      assistantId: null,
      callSid: 'CA1',
      phoneNumber: '+15550001111',
      from: '+15550001111',
      to: null,
      userId: null,
      triggerContext: 'test',
      toolCallId: null,
    },
    secrets: { get: async (name) => secrets[name] },
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    idempotencyKey: 'idem-1',
    attempt: 1,
  };
}

const twilioLike = (url: string): JsonObject => ({
  url,
  method: 'POST',
  body_format: 'form',
  body_template: {
    To: '${parameters.to}',
    From: '${secrets.FROM}',
    Body: '${parameters.message}',
    Segments: '${parameters.segments}',
    Optional: '${parameters.absent}',
  },
  auth: { type: 'basic', username: '${secrets.SID}', password_secret: 'TOKEN' },
});

describe('form bodies', () => {
  it('sends a flat object as application/x-www-form-urlencoded with Basic auth from two secrets', async () => {
    seen().length = 0;
    const outcome = await executor.execute(
      input(twilioLike(`${base}/2010-04-01/Accounts/\${secrets.SID}/Messages.json`), {
        to: '+15550001111',
        message: 'Hi there & bye',
        segments: 2,
      }),
    );
    expect(outcome.ok).toBe(true);
    expect(seen()).toHaveLength(1);
    const [request] = seen();
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/2010-04-01/Accounts/AC0123456789abcdef/Messages.json');
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request!.headers.authorization).toBe(
      `Basic ${Buffer.from('AC0123456789abcdef:tw-auth-token-secret').toString('base64')}`,
    );
    // A parameter the assistant left out is not sent at all.
    expect(request!.body).toBe('To=%2B15550001111&From=%2B15559990000&Body=Hi+there+%26+bye&Segments=2');

    expect(outcome.request).toMatchObject({
      url: `${base}/2010-04-01/Accounts/[REDACTED]/Messages.json`,
      headers: { Authorization: '[REDACTED]', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'To=%2B15550001111&From=[REDACTED]&Body=Hi+there+%26+bye&Segments=2',
    });
    expect(JSON.stringify(outcome.request)).not.toContain('tw-auth-token-secret');
  });

  it('refuses nested values at save, naming the field', async () => {
    const issues = await executor.validateConfiguration({
      url: `${base}/form`,
      method: 'POST',
      body_format: 'form',
      body_template: { To: '${parameters.to}', Nested: { a: 'b' }, List: ['x'], Ok: 3, Flag: true },
    });
    expect(issues).toEqual([
      { field: 'body_template.Nested', message: 'A form field must be a string, number or boolean' },
      { field: 'body_template.List', message: 'A form field must be a string, number or boolean' },
    ]);
    const format = await executor.validateConfiguration({ url: `${base}/form`, method: 'POST', body_format: 'xml' });
    expect(format.map((issue) => issue.field)).toEqual(['body_format']);
    expect(
      await executor.validateConfiguration({
        url: `${base}/form`,
        method: 'POST',
        body_format: 'form',
        body_template: 'x',
      }),
    ).toEqual([{ field: 'body_template', message: 'A form body is an object of field names to values' }]);
  });

  it('refuses a placeholder that renders an object into a form field at run time', async () => {
    const outcome = await executor.execute(
      input(
        { url: `${base}/form`, method: 'POST', body_format: 'form', body_template: { Body: '${parameters.when}' } },
        { when: { day: 'fri' } },
      ),
    );
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_ERROR', message: 'Form field Body would be an object or array' },
    });
  });

  it('previews the form body with secrets as markers', () => {
    const preview = executor.preview?.({
      tool: { id: 't', name: 'send_sms', type: 'ENDPOINT', version: 1, configuration: twilioLike(`${base}/m`) },
      parameters: { to: '+1555', message: 'Hi', segments: 1 },
      context: input({}, {}).context,
      idempotencyKey: 'idem',
      attempt: 1,
    });
    expect(preview).toMatchObject({ body: 'To=%2B1555&From=[secret:FROM]&Body=Hi&Segments=1' });
  });
});

describe('a URL held whole in a secret', () => {
  const hook = (url: string): JsonObject => ({
    url,
    method: 'POST',
    body_template: { text: '${parameters.text}' },
  });

  it('is accepted at save and sent unencoded, recorded redacted', async () => {
    expect(await executor.validateConfiguration(hook('${secrets.HOOK_URL}'))).toEqual([]);
    seen().length = 0;
    const outcome = await executor.execute(input(hook('${secrets.HOOK_URL}'), { text: 'New lead: Ada' }));
    expect(outcome.ok).toBe(true);
    expect(seen()[0]).toMatchObject({
      method: 'POST',
      path: '/services/T000/B000/XXXX',
      body: '{"text":"New lead: Ada"}',
    });
    expect(outcome.request?.url).toBe('[REDACTED]');
    const preview = executor.preview?.({
      ...input(hook('${secrets.HOOK_URL}/x'), { text: 'hi' }),
      idempotencyKey: 'idem',
    });
    expect(preview).toMatchObject({ url: '[secret:HOOK_URL]/x' });
  });

  it('may be followed by a path, never by a parameter that could change the host', async () => {
    expect(await executor.validateConfiguration(hook('${secrets.HOOK_URL}/orders/${parameters.id}'))).toEqual([]);
    expect(await executor.validateConfiguration(hook('${secrets.HOOK_URL}${parameters.host}'))).toEqual([
      {
        field: 'url',
        message: 'After a secret that holds the base URL, the URL continues with "/" or "?"',
      },
    ]);
  });

  it('still goes through the SSRF guard, and a secret that is not a URL is a clear error', async () => {
    const outside = await executor.execute(input(hook('${secrets.OUTSIDE_URL}'), { text: 'x' }));
    expect(outside).toMatchObject({ ok: false, error: { code: 'SSRF_BLOCKED' } });
    const broken = await executor.execute(input(hook('${secrets.NOT_A_URL}'), { text: 'x' }));
    expect(broken).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_ERROR', message: 'Secret "NOT_A_URL" must hold an http:// or https:// URL' },
    });
  });
});

/**
 * Vapi's credential types besides the bearer/X-Vapi-Secret one: HMAC
 * (HMACAuthenticationPlan defaults) and OAuth2 client credentials against
 * Switchboard's token endpoint, both keyed with the assistant's server secret.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { issueAccessToken, vapiHmacSignature } from '../../server/integrations/vapi-credentials.ts';
import type { TestApp } from '../helpers/app.ts';
import type { TestOrganization } from '../helpers/fixtures.ts';
import { serverSecret, startWiredApp, type WiredApp, type WiredAssistant } from '../helpers/integrations.ts';

let wiredApp: WiredApp;
let t: TestApp;
let org: TestOrganization;
let wired: WiredAssistant;
let secret: string;

beforeAll(async () => {
  wiredApp = await startWiredApp('Vapi credentials');
  ({ t, org, wired, secret } = wiredApp);
});
afterAll(() => wiredApp?.close());

const body = (orderId: string) =>
  JSON.stringify({
    message: {
      type: 'tool-calls',
      toolCallList: [{ id: `tc-${orderId}`, name: 'lookup_order', arguments: { order_id: orderId } }],
      call: { id: 'vapi-credentials-call', type: 'webCall' },
    },
  });

async function postVapi(
  raw: string,
  headers: Record<string, string>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${t.url}/v1/vapi/${wired.assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function token(form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('Vapi HMAC credential', () => {
  test('a body signed over "{timestamp}.{body}" runs; tampered, stale or foreign signatures are refused', async () => {
    const raw = body('H-1');
    const seconds = Math.floor(Date.now() / 1000);
    const signed = { 'x-signature': vapiHmacSignature(raw, secret, seconds), 'x-timestamp': String(seconds) };
    const ok = await postVapi(raw, signed);
    expect(ok.status).toBe(200);
    expect(JSON.parse((ok.json.results as Array<{ result: string }>)[0]!.result)).toMatchObject({
      data: { id: 'H-1' },
    });

    const ms = Date.now();
    expect(
      (
        await postVapi(raw, {
          'x-signature': `sha256=${vapiHmacSignature(raw, secret, ms)}`,
          'x-timestamp': String(ms),
        })
      ).status,
    ).toBe(200);
    expect((await postVapi(body('H-2'), signed)).status).toBe(401);
    const stale = seconds - 600;
    expect(
      (await postVapi(raw, { 'x-signature': vapiHmacSignature(raw, secret, stale), 'x-timestamp': String(stale) }))
        .status,
    ).toBe(401);
    expect(
      (
        await postVapi(raw, {
          'x-signature': vapiHmacSignature(raw, 'sbs_other', seconds),
          'x-timestamp': String(seconds),
        })
      ).status,
    ).toBe(401);
    expect((await postVapi(raw, { 'x-signature': signed['x-signature'] })).status).toBe(401);
  });
});

describe('Vapi OAuth2 client credentials', () => {
  test('the token endpoint issues a short-lived bearer token the Vapi route accepts', async () => {
    const issued = await token({
      grant_type: 'client_credentials',
      client_id: wired.assistantId,
      client_secret: secret,
    });
    expect(issued).toMatchObject({
      status: 200,
      json: { token_type: 'Bearer', expires_in: 3600, access_token: expect.stringMatching(/^sbat_/) },
    });
    const ran = await postVapi(body('O-1'), { authorization: `Bearer ${issued.json.access_token as string}` });
    expect(ran.status).toBe(200);

    const basic = Buffer.from(`${wired.assistantId}:${secret}`).toString('base64');
    expect((await token({ grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` })).status).toBe(200);
  });

  test('wrong clients, grants and expired or foreign tokens are refused as RFC 6749 says', async () => {
    expect(
      await token({ grant_type: 'client_credentials', client_id: wired.assistantId, client_secret: 'sbs_wrong' }),
    ).toMatchObject({
      status: 401,
      json: { error: 'invalid_client' },
    });
    expect(
      await token({ grant_type: 'client_credentials', client_id: 'not-an-assistant', client_secret: secret }),
    ).toMatchObject({
      status: 401,
      json: { error: 'invalid_client' },
    });
    expect(await token({ grant_type: 'password', client_id: wired.assistantId, client_secret: secret })).toMatchObject({
      status: 400,
      json: { error: 'unsupported_grant_type' },
    });
    expect(await token({ client_id: wired.assistantId, client_secret: secret })).toMatchObject({
      status: 400,
      json: { error: 'invalid_request' },
    });

    const expired = issueAccessToken(wired.assistantId, secret, Date.now() - 2 * 3600 * 1000).access_token;
    expect((await postVapi(body('O-2'), { authorization: `Bearer ${expired}` })).status).toBe(401);
    const forged = issueAccessToken(wired.assistantId, 'sbs_guess').access_token;
    expect((await postVapi(body('O-3'), { authorization: `Bearer ${forged}` })).status).toBe(401);
  });

  test('rotating the server secret revokes the tokens issued with it', async () => {
    const issued = await token({
      grant_type: 'client_credentials',
      client_id: wired.assistantId,
      client_secret: secret,
    });
    secret = await serverSecret(t, org, wired.assistantId);
    expect(
      (await postVapi(body('O-4'), { authorization: `Bearer ${issued.json.access_token as string}` })).status,
    ).toBe(401);
    expect((await postVapi(body('O-5'), { authorization: `Bearer ${secret}` })).status).toBe(200);
  });
});

/**
 * MCP authorization (spec 2025-11-25): Switchboard as OAuth 2.1 resource and
 * authorization server, exercised with the MCP SDK's own OAuth client. The
 * test plays the browser: it signs in through GraphQL and approves the
 * consent page over HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  OAuthMetadataSchema,
  OAuthProtectedResourceMetadataSchema,
  OAuthTokensSchema,
  type OAuthClientInformationMixed,
  type OAuthClientMetadata,
  type OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REGISTRATIONS_PER_ADDRESS_PER_HOUR } from '../../server/integrations/mcp-oauth/clients.ts';
import type { RoleName } from '../../server/security/roles.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { startUpstream, wireAssistant, type Upstream, type WiredAssistant } from '../helpers/integrations.ts';

const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`;
/** Loopback and never listened on: the test reads the redirect's Location instead of following it. */
const REDIRECT_URI = 'http://127.0.0.1:9/callback';

let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let wired: WiredAssistant;
let otherAssistantId: string;
const clients: Client[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'McpOAuth');
  wired = await wireAssistant(t, org, upstream.url);
  const other = await t.app.services.prisma.assistant.create({ data: { organizationId: org.id, name: 'Back office' } });
  otherAssistantId = other.id;
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t?.close();
  await upstream?.close();
});

function mcpUrl(assistantId = wired.assistantId): URL {
  return new URL(`${t.url}/mcp/${assistantId}`);
}

async function signIn(role: RoleName, organization = org): Promise<string> {
  const user = organization.users[role];
  const response = await t.gql(LOGIN, { input: { email: user.email, password: user.password } });
  expect(response.errors).toBeUndefined();
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}

function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/** What a browser does with the authorization URL: the consent page, then the chosen button. */
async function consent(
  authorizationUrl: URL,
  cookie: string,
  decision: 'approve' | 'deny' = 'approve',
): Promise<{ page: string; redirect: URL }> {
  const shown = await fetch(authorizationUrl, { headers: { cookie }, redirect: 'manual' });
  const page = await shown.text();
  expect(shown.status, page).toBe(200);
  expect(shown.headers.get('x-frame-options')).toBe('DENY');
  const form = new URLSearchParams();
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    form.set(unescapeHtml(name!), unescapeHtml(value!));
  form.set('decision', decision);
  const decided = await fetch(`${t.url}/oauth/authorize`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  expect(decided.status).toBe(303);
  return { page, redirect: new URL(decided.headers.get('location')!) };
}

class TestProvider implements OAuthClientProvider {
  information: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | null = null;

  get redirectUrl(): string {
    return REDIRECT_URI;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Test MCP client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

async function connectWith(provider: TestProvider, assistantId = wired.assistantId): Promise<Client> {
  const client = new Client({ name: 'switchboard-oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl(assistantId), { authProvider: provider }));
  clients.push(client);
  return client;
}

/** The SDK's whole flow: 401, discovery, registration, authorization (the test approves), token, connect. */
async function authorizedClient(
  role: RoleName,
  organization = org,
): Promise<{ client: Client; provider: TestProvider }> {
  const provider = new TestProvider();
  const transport = new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider });
  const first = new Client({ name: 'switchboard-oauth-test', version: '1.0.0' });
  await expect(first.connect(transport)).rejects.toThrow(UnauthorizedError);
  expect(provider.authorizationUrl).not.toBeNull();
  const { redirect } = await consent(provider.authorizationUrl!, await signIn(role, organization));
  const code = redirect.searchParams.get('code');
  expect(code, redirect.toString()).toBeTruthy();
  await transport.finishAuth(code!);
  return { client: await connectWith(provider), provider };
}

function rawMcp(authorization: string | null, assistantId = wired.assistantId): Promise<Response> {
  return fetch(mcpUrl(assistantId), {
    method: 'POST',
    headers: {
      ...(authorization ? { authorization } : {}),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
}

async function registerClient(redirectUris: string[] = [REDIRECT_URI]): Promise<Response> {
  return fetch(`${t.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Manual client',
      redirect_uris: redirectUris,
      token_endpoint_auth_method: 'none',
    }),
  });
}

/** An authorization request made by hand, for what the SDK never sends (wrong verifier, replays). */
async function manualCode(role: RoleName = 'MEMBER', assistantId = wired.assistantId) {
  const registered = (await (await registerClient()).json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${t.url}/oauth/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: registered.client_id,
    redirect_uri: REDIRECT_URI,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 'xyz',
    resource: mcpUrl(assistantId).toString(),
  }).toString();
  const { page, redirect } = await consent(url, await signIn(role));
  return { clientId: registered.client_id, verifier, code: redirect.searchParams.get('code')!, url, page };
}

async function tokenRequest(form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${t.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('MCP OAuth: discovery', () => {
  test('401 without credentials carries the resource metadata URL; a bad token adds error="invalid_token"', async () => {
    const metadataUrl = `${t.url}/.well-known/oauth-protected-resource/mcp/${wired.assistantId}`;
    const bare = await rawMcp(null);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}", scope="mcp"`);
    for (const bad of ['Bearer mcp_at_forged', 'Bearer sb_invalid']) {
      const refused = await rawMcp(bad);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${metadataUrl}", scope="mcp", error="invalid_token"`,
      );
    }
  });

  test('protected resource metadata (RFC 9728) and authorization server metadata (RFC 8414)', async () => {
    const resource = await fetch(`${t.url}/.well-known/oauth-protected-resource/mcp/${wired.assistantId}`);
    expect(resource.status).toBe(200);
    const resourceBody = OAuthProtectedResourceMetadataSchema.parse(await resource.json());
    expect(resourceBody).toMatchObject({
      resource: mcpUrl().toString(),
      authorization_servers: [t.url],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp'],
    });
    const server = await fetch(`${t.url}/.well-known/oauth-authorization-server`);
    expect(server.headers.get('access-control-allow-origin')).toBe('*');
    const serverBody = OAuthMetadataSchema.parse(await server.json());
    expect(serverBody).toMatchObject({
      issuer: t.url,
      authorization_endpoint: `${t.url}/oauth/authorize`,
      token_endpoint: `${t.url}/oauth/token`,
      registration_endpoint: `${t.url}/oauth/register`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    });
  });
});

describe('MCP OAuth: the SDK client', () => {
  test('signs in through the dashboard, consents, and then lists and calls tools as the member', async () => {
    const { client, provider } = await authorizedClient('MEMBER');
    const signedOut = await fetch(provider.authorizationUrl!, { redirect: 'manual' });
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get('location')).toBe(
      `/login?next=${encodeURIComponent(provider.authorizationUrl!.pathname + provider.authorizationUrl!.search)}`,
    );
    expect(provider.authorizationUrl!.searchParams.get('resource')).toBe(mcpUrl().toString());
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('lookup_order');
    const result = await client.callTool({ name: 'lookup_order', arguments: { order_id: 'O-1' } });
    expect(result.isError).toBeFalsy();
    const execution = await t.app.services.prisma.toolExecution.findFirst({
      where: { organizationId: org.id, toolName: 'lookup_order', inputParameters: { equals: { order_id: 'O-1' } } },
    });
    expect(execution).toMatchObject({ status: 'SUCCESS', userId: org.users.MEMBER.id, apiKeyId: null });
    const audit = await t.app.services.prisma.auditLog.findFirst({
      where: { organizationId: org.id, action: 'oauth.authorize', actorUserId: org.users.MEMBER.id },
    });
    expect(audit).toMatchObject({ entityType: 'Assistant', entityId: wired.assistantId });
    const stored = await t.app.services.prisma.oAuthToken.findFirst({ where: { userId: org.users.MEMBER.id } });
    expect(stored!.accessTokenHash).toBe(createHash('sha256').update(provider.saved!.access_token).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(provider.saved!.refresh_token!);
  });

  test("the consent page names the organization, assistant and role; a VIEWER's token lists but cannot run", async () => {
    const { client } = await authorizedClient('VIEWER');
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await expect(client.callTool({ name: 'lookup_order', arguments: { order_id: 'O-2' } })).rejects.toThrow(/MEMBER/);
    expect((await manualCode('VIEWER')).page).toMatch(/Acting with role<\/dt><dd>VIEWER/);
  });

  test('a lowered role applies at once; a removed member is refused with 401', async () => {
    const organization = await createOrganization(t.app.services.prisma, 'McpOAuthRoles');
    const assistant = await wireAssistant(t, organization, upstream.url);
    const provider = new TestProvider();
    const transport = new StreamableHTTPClientTransport(mcpUrl(assistant.assistantId), { authProvider: provider });
    await expect(new Client({ name: 'x', version: '1' }).connect(transport)).rejects.toThrow(UnauthorizedError);
    const { page, redirect } = await consent(provider.authorizationUrl!, await signIn('MEMBER', organization));
    expect(page).toContain('McpOAuthRoles');
    expect(page).toContain('Front desk');
    expect(page).toContain('MEMBER');
    await transport.finishAuth(redirect.searchParams.get('code')!);
    const client = await connectWith(provider, assistant.assistantId);
    expect((await client.callTool({ name: 'lookup_order', arguments: { order_id: 'R-1' } })).isError).toBeFalsy();
    const where = { userId_organizationId: { userId: organization.users.MEMBER.id, organizationId: organization.id } };
    await t.app.services.prisma.membership.update({ where, data: { role: 'VIEWER' } });
    await expect(client.callTool({ name: 'lookup_order', arguments: { order_id: 'R-2' } })).rejects.toThrow(/MEMBER/);
    await t.app.services.prisma.membership.delete({ where });
    const refused = await rawMcp(`Bearer ${provider.saved!.access_token}`, assistant.assistantId);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  test('API keys keep working', async () => {
    const client = new Client({ name: 'key-client', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(mcpUrl(), {
        requestInit: { headers: { authorization: `Bearer ${org.keys.MEMBER}` } },
      }),
    );
    clients.push(client);
    expect((await client.callTool({ name: 'lookup_order', arguments: { order_id: 'K-1' } })).isError).toBeFalsy();
  });
});

describe('MCP OAuth: the token endpoint', () => {
  test('a wrong code_verifier is refused and spends the code', async () => {
    const grant = await manualCode();
    const wrong = await tokenRequest({
      grant_type: 'authorization_code',
      client_id: grant.clientId,
      code: grant.code,
      code_verifier: randomBytes(32).toString('base64url'),
      redirect_uri: REDIRECT_URI,
    });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const late = await tokenRequest({
      grant_type: 'authorization_code',
      client_id: grant.clientId,
      code: grant.code,
      code_verifier: grant.verifier,
      redirect_uri: REDIRECT_URI,
    });
    expect(late).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  test('a code works once; its replay is refused and revokes what it issued', async () => {
    const grant = await manualCode();
    const form = {
      grant_type: 'authorization_code',
      client_id: grant.clientId,
      code: grant.code,
      code_verifier: grant.verifier,
      redirect_uri: REDIRECT_URI,
      resource: mcpUrl().toString(),
    };
    const first = await tokenRequest(form);
    expect(first.status).toBe(200);
    const tokens = OAuthTokensSchema.parse(first.body);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'mcp' });
    expect((await rawMcp(`Bearer ${tokens.access_token}`)).status).toBe(200);
    expect(await tokenRequest(form)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await rawMcp(`Bearer ${tokens.access_token}`)).status).toBe(401);
  });

  test('codes and tokens past their retention are deleted when the next code is issued', async () => {
    const prisma = t.app.services.prisma;
    const old = await manualCode();
    const issued = await tokenRequest({
      grant_type: 'authorization_code',
      client_id: old.clientId,
      code: old.code,
      code_verifier: old.verifier,
    });
    const longAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    const code = await prisma.oAuthCode.findFirstOrThrow({ where: { client: { clientId: old.clientId } } });
    await prisma.oAuthCode.update({ where: { id: code.id }, data: { expiresAt: longAgo } });
    await prisma.oAuthToken.updateMany({ where: { familyId: code.id }, data: { refreshExpiresAt: longAgo } });
    expect((await rawMcp(`Bearer ${issued.body.access_token as string}`)).status).toBe(200);
    await manualCode();
    expect(await prisma.oAuthCode.count({ where: { id: code.id } })).toBe(0);
    expect(await prisma.oAuthToken.count({ where: { familyId: code.id } })).toBe(0);
  });

  test('a token is bound to its assistant: another assistant refuses it', async () => {
    const grant = await manualCode();
    const { body } = await tokenRequest({
      grant_type: 'authorization_code',
      client_id: grant.clientId,
      code: grant.code,
      code_verifier: grant.verifier,
    });
    const accessToken = body.access_token as string;
    expect((await rawMcp(`Bearer ${accessToken}`)).status).toBe(200);
    const elsewhere = await rawMcp(`Bearer ${accessToken}`, otherAssistantId);
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get('www-authenticate')).toContain(
      `/.well-known/oauth-protected-resource/mcp/${otherAssistantId}`,
    );
  });

  test('refresh tokens rotate; a replayed refresh token is refused and revokes the rotation', async () => {
    const grant = await manualCode();
    const issued = await tokenRequest({
      grant_type: 'authorization_code',
      client_id: grant.clientId,
      code: grant.code,
      code_verifier: grant.verifier,
    });
    const refreshToken = issued.body.refresh_token as string;
    const rotated = await tokenRequest({
      grant_type: 'refresh_token',
      client_id: grant.clientId,
      refresh_token: refreshToken,
    });
    expect(rotated.status).toBe(200);
    const next = OAuthTokensSchema.parse(rotated.body);
    expect(next.refresh_token).not.toBe(refreshToken);
    expect((await rawMcp(`Bearer ${issued.body.access_token as string}`)).status).toBe(401);
    expect((await rawMcp(`Bearer ${next.access_token}`)).status).toBe(200);
    const replay = await tokenRequest({
      grant_type: 'refresh_token',
      client_id: grant.clientId,
      refresh_token: refreshToken,
    });
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await rawMcp(`Bearer ${next.access_token}`)).status).toBe(401);
    const afterReplay = await tokenRequest({
      grant_type: 'refresh_token',
      client_id: grant.clientId,
      refresh_token: next.refresh_token!,
    });
    expect(afterReplay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});

describe('MCP OAuth: the authorization endpoint and registration', () => {
  test('deny redirects with access_denied; a forged CSRF token or unknown redirect_uri never redirects', async () => {
    const grant = await manualCode();
    const cookie = await signIn('MEMBER');
    const { redirect } = await consent(grant.url, cookie, 'deny');
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe('xyz');
    expect(redirect.searchParams.get('code')).toBeNull();

    const forged = new URLSearchParams(grant.url.search);
    forged.set('csrf_token', 'forged');
    forged.set('decision', 'approve');
    const refused = await fetch(`${t.url}/oauth/authorize`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: forged.toString(),
      redirect: 'manual',
    });
    expect(refused.status).toBe(403);

    const elsewhere = new URL(grant.url);
    elsewhere.searchParams.set('redirect_uri', 'https://attacker.example/callback');
    const unknown = await fetch(elsewhere, { headers: { cookie }, redirect: 'manual' });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('location')).toBeNull();
  });

  test('a resource that is not this server, or a missing PKCE challenge, is refused at the redirect URI', async () => {
    const grant = await manualCode();
    const cookie = await signIn('MEMBER');
    for (const [name, value, error] of [
      ['resource', 'https://elsewhere.example/mcp/x', 'invalid_target'],
      ['code_challenge_method', 'plain', 'invalid_request'],
    ] as const) {
      const url = new URL(grant.url);
      url.searchParams.set(name, value);
      const response = await fetch(url, { headers: { cookie }, redirect: 'manual' });
      expect(response.status).toBe(303);
      expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe(error);
    }
  });

  test('registration takes https or loopback redirect URIs, bounded in number and length', async () => {
    const ok = await registerClient(['https://client.example/cb', 'http://localhost:8123/cb']);
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({
      token_endpoint_auth_method: 'none',
      redirect_uris: ['https://client.example/cb', 'http://localhost:8123/cb'],
    });
    for (const uris of [
      ['http://client.example/cb'],
      [],
      Array.from({ length: 6 }, (_, i) => `https://client.example/${i}`),
      [`https://client.example/${'a'.repeat(2100)}`],
    ]) {
      const refused = await registerClient(uris);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toBe('invalid_redirect_uri');
    }
  });
});

describe('MCP OAuth: registration limits (last: it spends this address for the hour)', () => {
  test('one address registers at most REGISTRATIONS_PER_ADDRESS_PER_HOUR clients an hour, then 429', async () => {
    let refused: Response | null = null;
    for (let attempt = 0; attempt <= REGISTRATIONS_PER_ADDRESS_PER_HOUR && !refused; attempt++) {
      const response = await registerClient();
      if (response.status === 429) refused = response;
      else expect(response.status).toBe(201);
    }
    expect(refused).not.toBeNull();
    expect(await refused!.json()).toMatchObject({ error: 'invalid_client_metadata' });
    expect(await t.app.services.prisma.oAuthClient.count()).toBe(REGISTRATIONS_PER_ADDRESS_PER_HOUR);
  });
});

/**
 * At LOG_LEVEL=debug no credential reaches the log, whatever the client calls
 * its variables: the operation log censors by the input types' sensitive fields.
 */
import { isInputObjectType, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPasswordResetLink } from '../../server/auth/password-reset.ts';
import { SENSITIVE_ARGUMENTS, SENSITIVE_INPUT_FIELDS } from '../../server/http/sensitive-inputs.ts';
import { createLogger } from '../../server/logger.ts';
import { schema } from '../../server/schema/index.ts';
import { createLogSink } from '../helpers/log-sink.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const { stream: sink, lines: logLines } = createLogSink();

let t: TestApp;
let org: TestOrganization;
let assistantId: string;

beforeAll(async () => {
  t = await startTestApp({}, { logger: createLogger('debug', sink) });
  org = await createOrganization(t.app.services.prisma, 'Logs');
  assistantId = (await t.app.services.prisma.assistant.create({ data: { organizationId: org.id, name: 'Front desk' } }))
    .id;
});
afterAll(() => t?.close());

async function ok(query: string, variables: Record<string, unknown>, apiKey?: string) {
  const response = await t.gql(query, variables, apiKey ? { apiKey } : {});
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data as Record<string, Record<string, unknown>>;
}

describe('debug-level logs carry no credentials', () => {
  test('secret values, passwords, API keys, the Retell key and the Vapi server secret', async () => {
    const credentials: Record<string, string> = {
      secretAsInputObject: 'sk_live_log_leak_input_object_1111',
      secretAsString: 'sk_live_log_leak_plain_string_2222',
      memberPassword: 'member password never logged 3333',
      retellKey: 'key_retell_log_leak_4444',
      login: org.users.ADMIN.password,
    };
    await ok(
      `mutation Store($i: SetSecretInput!) { setSecret(input: $i) { __typename } }`,
      { i: { name: 'STRIPE', value: credentials.secretAsInputObject } },
      org.keys.ADMIN,
    );
    await ok(
      `mutation ($v: String!) { setSecret(input: { name: "TWILIO", value: $v }) { __typename } }`,
      { v: credentials.secretAsString },
      org.keys.ADMIN,
    );
    const invited = await ok(
      `mutation ($m: InviteMemberInput!) { inviteMember(input: $m) { ... on InviteMemberPayload { token } } }`,
      { m: { email: 'logged@example.test', role: 'MEMBER' } },
      org.keys.ADMIN,
    );
    credentials.invitationToken = String(invited.inviteMember!.token);
    await ok(
      `mutation ($t: String!, $p: String) { acceptInvitation(input: { token: $t, password: $p }) { __typename } }`,
      {
        t: credentials.invitationToken,
        p: credentials.memberPassword,
      },
    );
    await ok(
      `mutation ($a: ID!, $k: String) { setAssistantRetellKey(input: { assistantId: $a, apiKey: $k }) { __typename } }`,
      { a: assistantId, k: credentials.retellKey },
      org.keys.ADMIN,
    );
    await ok(`mutation ($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { csrfToken } }`, {
      e: org.users.ADMIN.email,
      p: credentials.login,
    });
    const created = await ok(
      `mutation ($x: CreateApiKeyInput!) { createApiKey(input: $x) { ... on CreateApiKeyPayload { key } } }`,
      { x: { name: 'ci' } },
      org.keys.ADMIN,
    );
    credentials.apiKey = String(created.createApiKey!.key);
    await ok(`query Me { viewer { role } }`, {}, credentials.apiKey);
    const server = await ok(
      `mutation ($s: AssistantIdInput!) { setAssistantServerSecret(input: $s) { ... on AssistantServerSecret { secret } } }`,
      { s: { assistantId } },
      org.keys.ADMIN,
    );
    credentials.vapiServerSecret = String(server.setAssistantServerSecret!.secret);
    const vapi = await fetch(`${t.url}/v1/vapi/${assistantId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vapi-secret': credentials.vapiServerSecret },
      body: JSON.stringify({ message: { type: 'tool-calls', toolCallList: [], call: { id: 'log-call' } } }),
    });
    expect(vapi.status).toBeLessThan(500);
    const elevenLabs = await fetch(`${t.url}/v1/elevenlabs/${assistantId}/endCall`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchboard-secret': credentials.vapiServerSecret },
      body: '{}',
    });
    expect(elevenLabs.status).toBe(200);

    // Links read before anyone signs in carry their token as a query argument.
    const previewed = await ok(
      `mutation ($m: InviteMemberInput!) { inviteMember(input: $m) { ... on InviteMemberPayload { token } } }`,
      { m: { email: 'previewed@example.test', role: 'VIEWER' } },
      org.keys.ADMIN,
    );
    credentials.previewedInvitation = String(previewed.inviteMember!.token);
    await ok(`query ($t: String!) { invitationPreview(token: $t) { __typename } }`, {
      t: credentials.previewedInvitation,
    });
    credentials.signUpPassword = 'sign-up password never logged 5555';
    const signedUp = await ok(`mutation ($s: SignUpInput!) { signUp(input: $s) { __typename } }`, {
      s: {
        email: 'previewed@example.test',
        name: 'Previewed',
        password: credentials.signUpPassword,
        invitationToken: credentials.previewedInvitation,
      },
    });
    expect(signedUp.signUp!.__typename).toBe('SignUpPayload');
    const owner = { organizationId: org.id, role: 'OWNER' as const, userId: org.users.OWNER.id, apiKeyId: null };
    credentials.resetToken = (await createPasswordResetLink(t.app.services.prisma, owner, org.users.MEMBER.id)).token;
    await ok(`query ($t: String!) { passwordReset(token: $t) { __typename } }`, { t: credentials.resetToken });
    credentials.resetPassword = 'reset password never logged 6666';
    const reset = await ok(`mutation ($r: ResetPasswordInput!) { resetPassword(input: $r) { __typename } }`, {
      r: { token: credentials.resetToken, newPassword: credentials.resetPassword },
    });
    expect(reset.resetPassword!.__typename).toBe('PasswordWasReset');

    const log = logLines.join('');
    // The sentinel: the operation log was written, at debug level, with the operations above.
    expect(log).toContain('"operationName":"Store"');
    expect(log).toContain('"msg":"graphql operation"');
    for (const [kind, value] of Object.entries(credentials)) {
      expect(log.includes(value), `${kind} appears in the debug log`).toBe(false);
    }
  });

  test('every input field that looks like a credential is listed as sensitive, and every listed field exists', () => {
    const inputFields = Object.values(schema.getTypeMap()).flatMap((type) =>
      isInputObjectType(type) ? Object.keys(type.getFields()).map((field) => `${type.name}.${field}`) : [],
    );
    for (const listed of SENSITIVE_INPUT_FIELDS) expect(inputFields).toContain(listed);
    const lookLikeCredentials = inputFields.filter((name) =>
      /password|secret$|apikey|token|credential/i.test(name.split('.')[1]!),
    );
    expect(lookLikeCredentials.length).toBeGreaterThan(0);
    for (const field of lookLikeCredentials) expect(SENSITIVE_INPUT_FIELDS).toContain(field);
  });

  test('every field argument that looks like a credential is listed as sensitive, and every listed one exists', () => {
    const argumentsOf = (type: unknown) =>
      isObjectType(type)
        ? Object.values(type.getFields()).flatMap((field) =>
            field.args.map((argument) => `${type.name}.${field.name}.${argument.name}`),
          )
        : [];
    const fieldArguments = Object.values(schema.getTypeMap()).flatMap(argumentsOf);
    for (const listed of SENSITIVE_ARGUMENTS) expect(fieldArguments).toContain(listed);
    const lookLikeCredentials = fieldArguments.filter((name) =>
      /password|secret$|apikey|token|credential/i.test(name.split('.')[2]!),
    );
    expect(lookLikeCredentials.length).toBeGreaterThan(0);
    for (const argument of lookLikeCredentials) expect(SENSITIVE_ARGUMENTS).toContain(argument);
  });
});

/**
 * The assistant page's Connect panel and the spoken-messages editors in Chromium against a real
 * Switchboard: an ADMIN generates the Vapi server secret (shown once, with a copy button) and the
 * secret then authenticates a real `POST /v1/vapi/:id`; the exported Vapi JSON and the MCP client
 * configuration point at this server; a VIEWER sees URLs and JSON but no secret actions. Messages
 * saved on the tool (with `auto`) and on the assignment come back from `GET /v1/assistants/:id/tools`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot, signIn } from '../helpers/browser.ts';
import { addTool, createAssistant } from '../helpers/assistant-tools.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';
import { callId } from '../helpers/integrations.ts';

let assistantId: string;
let toolId: string;
let ordersUrl: string;

const e2e = useDashboard({
  env: { SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' },
  organization: 'Connect E2E',
  pages: ['admin', 'viewer'],
  async before({ serve }) {
    ordersUrl = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status_text: `Order ${(req.url ?? '').split('/').pop()} has shipped` }));
    });
  },
  async seed({ app, org }) {
    assistantId = await createAssistant(app, org, 'Front desk');
    toolId = await addTool(app, org, assistantId, {
      name: 'order_lookup',
      type: 'ENDPOINT',
      timeoutSeconds: 10,
      configuration: { url: `${ordersUrl}/orders/\${parameters.order_id}`, method: 'GET' },
      functionDefinition: {
        name: 'order_lookup',
        parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
      },
    });
  },
});

beforeAll(async () => {
  await e2e.pages.admin.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: e2e.app.url });
});

function postVapi(secret: string): Promise<Response> {
  const toolCall = {
    id: callId('tc'),
    type: 'function',
    function: { name: 'order_lookup', arguments: { order_id: 'A-7' } },
  };
  return fetch(`${e2e.app.url}/v1/vapi/${assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({ message: { type: 'tool-calls', toolCallList: [toolCall], call: { id: callId('vapi') } } }),
  });
}

describe('connect panel', () => {
  it(
    'lets an ADMIN generate the Vapi secret once, which then authenticates Vapi; shows the Vapi JSON and MCP config',
    async () => {
      const { page } = e2e.pages.admin;
      await signIn(page, e2e.app.url, e2e.org.users.ADMIN, {
        path: `/assistants/${assistantId}`,
        heading: 'Front desk',
      });
      const vapiUrl = `${e2e.app.url}/v1/vapi/${assistantId}`;
      await expect(page.getByTestId('vapi-url').textContent()).resolves.toBe(vapiUrl);
      await expect(page.getByText(`${e2e.app.url}/v1/oauth/token`).count()).resolves.toBe(1);

      const exported = JSON.parse((await page.getByTestId('export-json').textContent()) ?? '') as {
        platform: string;
        tools: Array<{ function?: { name: string }; server?: { url: string } }>;
      };
      expect(exported.platform.toLowerCase()).toBe('vapi');
      const lookup = exported.tools.find((tool) => tool.function?.name === 'order_lookup');
      expect(lookup?.server?.url).toBe(vapiUrl);

      // Before a secret exists, Vapi is refused.
      expect((await postVapi('sbs_not-the-secret')).status).toBe(401);
      await page.getByRole('button', { name: 'Generate secret' }).click();
      const revealed = page.getByTestId('revealed-secret');
      await revealed.waitFor();
      await expect(revealed.textContent()).resolves.toContain('Shown once');
      const secret = ((await page.getByTestId('secret-value').textContent()) ?? '').trim();
      expect(secret.length).toBeGreaterThan(20);
      await revealed.getByRole('button', { name: 'Copy' }).click();
      await revealed.getByText('Copied').waitFor();
      await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(secret);
      await page.getByRole('button', { name: 'Rotate secret' }).waitFor();
      await screenshot(page, 'connect-vapi');

      const response = await postVapi(secret);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { results: Array<{ result: string }> };
      expect(body.results[0]?.result).toContain('A-7 has shipped');

      // Shown once: after a reload only "Rotate secret" remains.
      await page.reload();
      await page.getByRole('button', { name: 'Rotate secret' }).waitFor();
      await expect(page.getByTestId('secret-value').count()).resolves.toBe(0);

      // Rotating replaces the secret: the old one is refused from then on.
      await page.getByRole('button', { name: 'Rotate secret' }).click();
      await page.getByTestId('secret-value').waitFor();
      const rotated = ((await page.getByTestId('secret-value').textContent()) ?? '').trim();
      expect(rotated).not.toBe(secret);
      expect((await postVapi(secret)).status).toBe(401);
      expect((await postVapi(rotated)).status).toBe(200);
      await page.getByRole('button', { name: 'Done' }).click();
      await expect(page.getByTestId('secret-value').count()).resolves.toBe(0);

      await page.getByRole('tab', { name: 'Retell' }).click();
      await page.getByText(`${e2e.app.url}/v1/retell/${assistantId}/order_lookup`, { exact: true }).waitFor();
      await expect(page.getByTestId('retell-webhook').textContent()).resolves.toBe(
        `${e2e.app.url}/v1/retell/${assistantId}/webhook`,
      );

      await page.getByRole('tab', { name: 'ElevenLabs' }).click();
      await page.getByLabel('Workspace secret id (optional)').fill('ws_secret_e2e');
      await page.getByLabel('Workspace secret id (optional)').press('Tab');
      await expect
        .poll(async () => (await page.getByTestId('export-json').textContent()) ?? '')
        .toContain('ws_secret_e2e');
      await expect(page.getByTestId('export-json').textContent()).resolves.toContain(
        `${e2e.app.url}/v1/elevenlabs/${assistantId}/order_lookup`,
      );

      await page.getByRole('tab', { name: 'MCP' }).click();
      const mcpUrl = `${e2e.app.url}/mcp/${assistantId}`;
      const config = JSON.parse((await page.getByTestId('mcp-config').textContent()) ?? '') as {
        mcpServers: Record<string, { url: string; headers: Record<string, string> }>;
      };
      const server = Object.values(config.mcpServers)[0];
      expect(server?.url).toBe(mcpUrl);
      expect(server?.headers.Authorization).toMatch(/^Bearer /);
      await expect(page.getByTestId('mcp-desktop-config').textContent()).resolves.toContain(mcpUrl);
      await screenshot(page, 'connect-mcp');

      await page.getByRole('tab', { name: 'Result callback' }).click();
      await page.getByLabel('Callback URL').fill(`${ordersUrl}/hooks`);
      await page.getByRole('button', { name: 'Save URL' }).click();
      await page.getByTestId('secret-value').waitFor();
      const signing = ((await page.getByTestId('secret-value').textContent()) ?? '').trim();
      expect(signing).toMatch(/^whsec_/);
      await page.getByRole('button', { name: 'Rotate secret' }).click();
      await expect.poll(async () => (await page.getByTestId('secret-value').textContent())?.trim()).not.toBe(signing);
      const stored = await e2e.app.gql<{ assistant: { callbackUrl: string } }>(
        `query ($id: ID!) { assistant(id: $id) { callbackUrl } }`,
        { id: assistantId },
        { apiKey: e2e.org.keys.VIEWER },
      );
      expect(stored.data?.assistant.callbackUrl).toBe(`${ordersUrl}/hooks`);

      await page.getByRole('tab', { name: 'OpenAI' }).click();
      await page
        .getByText(`curl -s "${e2e.app.url}/v1/assistants/${assistantId}/tools?context=call"`, { exact: false })
        .first()
        .waitFor();
    },
    TIMEOUT,
  );

  it(
    'shows a VIEWER the URLs and JSON but no secret actions',
    async () => {
      const { page } = e2e.pages.viewer;
      await signIn(page, e2e.app.url, e2e.org.users.VIEWER, {
        path: `/assistants/${assistantId}`,
        heading: 'Front desk',
      });
      await page.getByTestId('export-json').waitFor();
      await expect(page.getByTestId('vapi-url').textContent()).resolves.toBe(`${e2e.app.url}/v1/vapi/${assistantId}`);
      await expect(page.getByRole('button', { name: /secret/i }).count()).resolves.toBe(0);
      await page.getByRole('tab', { name: 'Retell' }).click();
      await page.getByTestId('retell-webhook').waitFor();
      await expect(page.getByRole('button', { name: /secret|key/i }).count()).resolves.toBe(0);
      await page.getByRole('tab', { name: 'Result callback' }).click();
      await page.getByText(`Callback URL: ${ordersUrl}/hooks`).waitFor();
      await expect(page.getByRole('button', { name: /Save URL|Rotate/ }).count()).resolves.toBe(0);
      await expect(page.getByRole('button', { name: /Spoken messages for/ }).count()).resolves.toBe(0);
    },
    TIMEOUT,
  );
});

describe('spoken messages', () => {
  it(
    'saves a tool’s messages (with auto), shows field errors at the field, saves the assignment override, and serves both',
    async () => {
      const { page } = e2e.pages.admin;
      await page.goto(`${e2e.app.url}/tools/${toolId}`);
      await page.getByRole('heading', { name: 'Spoken messages' }).waitFor();
      await page.getByText('No spoken messages').waitFor();
      await page.getByRole('button', { name: 'Edit messages' }).click();
      await page.getByLabel('When the tool starts').fill('One moment, let me check that.');
      await page.getByLabel('Message', { exact: true }).fill('Still checking, thanks for waiting.');
      await page.getByLabel('Say it after (ms)').fill('9999999');
      await page.getByLabel('When it fails').fill('Sorry, I could not reach the order system.');
      await page.getByRole('button', { name: 'Save messages' }).click();
      const afterError = page.locator('#tool-messages-after-error');
      await afterError.waitFor();
      await expect(afterError.textContent()).resolves.toContain('must be an integer');

      await page.getByLabel('Automatic delay').check();
      await page.getByRole('button', { name: 'Save messages' }).click();
      await page.getByText('Spoken messages saved.').waitFor();
      const shown = page.getByTestId('spoken-messages');
      await expect(shown.textContent()).resolves.toContain('(auto)');
      await expect(shown.textContent()).resolves.toContain('One moment, let me check that.');
      await screenshot(page, 'tool-spoken-messages');

      await page.goto(`${e2e.app.url}/assistants/${assistantId}`);
      await page.getByRole('button', { name: 'Spoken messages for order_lookup' }).click();
      const editor = page.getByTestId('assignment-messages');
      await editor.getByLabel('When the tool starts').fill('Let me look up that order for the front desk.');
      await editor.getByRole('button', { name: 'Save messages' }).click();
      await page.getByText('Spoken messages saved for order_lookup.').waitFor();

      const stored = await e2e.app.gql<{ tool: { messages: { requestDelayed: { afterMs: unknown } } } }>(
        `query ($id: ID!) { tool(id: $id) { messages } }`,
        { id: toolId },
        { apiKey: e2e.org.keys.VIEWER },
      );
      expect(stored.data?.tool.messages.requestDelayed.afterMs).toBe('auto');

      const response = await fetch(`${e2e.app.url}/v1/assistants/${assistantId}/tools?context=call`, {
        headers: { authorization: `Bearer ${e2e.org.keys.VIEWER}` },
      });
      expect(response.status).toBe(200);
      const served = (await response.json()) as { messages: Record<string, Record<string, unknown>> };
      expect(served.messages.order_lookup).toEqual({
        requestStart: 'Let me look up that order for the front desk.',
        // "auto" with fewer than 20 observations is served as 1 s.
        requestDelayed: { message: 'Still checking, thanks for waiting.', afterMs: 1000 },
        requestFailed: 'Sorry, I could not reach the order system.',
      });
    },
    TIMEOUT,
  );
});

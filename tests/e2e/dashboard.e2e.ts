/**
 * The dashboard in Chromium against a real Switchboard (built SvelteKit app
 * mounted beside /graphql): log in, build and test tools, assign them, watch
 * executions live, and check a viewer sees no edit controls.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openPage, screenshot, setCode, signIn } from '../helpers/browser.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';

let ordersUrl: string;
let assistantUrl = '';

const e2e = useDashboard({
  env: { SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' },
  organization: 'E2E',
  featureFlags: { ENDPOINT: true, CODE: true, LAMBDA: true },
  async before({ serve }) {
    ordersUrl = await serve((req, res) => {
      const id = (req.url ?? '').split('/').pop();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ found: true, status_text: `Order ${id} has shipped`, order: { id, carrier: 'UPS' } }));
    });
  },
});

function login(page: Page, user: { email: string; password: string }): Promise<void> {
  return signIn(page, e2e.app.url, user, { path: '/tools', heading: 'Tools' });
}

describe('dashboard', () => {
  it(
    'logs in and shows the tool library',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/login`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await screenshot(page, 'login');
      await login(page, e2e.org.users.OWNER);
      await expect(page.getByTestId('role').textContent()).resolves.toBe('OWNER');
      await page.getByRole('heading', { name: 'No tools yet' }).waitFor();
      await screenshot(page, 'tools-empty');
    },
    TIMEOUT,
  );

  it(
    'creates an endpoint tool against a local server and tests it',
    async () => {
      const { page } = e2e.pages.owner;
      await page.getByRole('link', { name: 'New tool' }).click();
      await page.getByLabel('Function name').fill('bad name');
      await page.getByText('Use 1–64 letters').waitFor();
      await page.getByLabel('Function name').fill('order_lookup');
      await page.getByLabel('Display name').fill('Order lookup');
      await page.getByLabel('Description').fill('Looks up an order by id');
      await page.getByRole('button', { name: 'Add parameter' }).click();
      await page.getByLabel('Parameter 1 name').fill('order_id');
      await page.getByLabel('Parameter 1 description').fill('The order id');
      await page.getByLabel('Parameter 1 required').check();
      await page.getByRole('button', { name: 'Raw JSON' }).click();
      await expect(page.getByLabel('JSON Schema').inputValue()).resolves.toContain('"required": [\n    "order_id"');
      await page.getByRole('button', { name: 'Apply JSON' }).click();
      await screenshot(page, 'tool-builder-basic');
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      await page.getByLabel('Method').selectOption('GET');
      await page.getByLabel('URL', { exact: true }).fill(`${ordersUrl}/orders/\${parameters.order_id}`);
      await page.getByLabel('Message field').fill('status_text');
      await page.getByLabel('Data field').fill('order');
      await screenshot(page, 'tool-builder-endpoint');
      await page.getByRole('button', { name: 'Save and test' }).click();
      await page.getByText('Saved version 1.').waitFor();
      await page.getByLabel('order_id').fill('A-1042');
      await page.getByRole('button', { name: 'Run test' }).click();
      await expect(page.getByTestId('execution-status').textContent()).resolves.toBe('SUCCESS');
      await expect(page.getByTestId('execution-output').textContent()).resolves.toContain('Order A-1042 has shipped');
      await expect(page.getByTestId('execution-request').textContent()).resolves.toContain('/orders/A-1042');
      await screenshot(page, 'tool-test-result');
    },
    TIMEOUT,
  );

  it(
    'shows a JavaScript syntax error at its line, then saves and runs the fix',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/tools/new`);
      await page.getByText('Run JavaScript or Python in a sandbox.').click();
      await page.getByLabel('Function name').fill('greeter');
      await page.getByRole('button', { name: 'Add parameter' }).click();
      await page.getByLabel('Parameter 1 name').fill('name');
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      await setCode(
        page,
        [
          'export default async function execute(parameters) {',
          '  const greeting = ;',
          '  return { success: true, message: greeting };',
          '}',
        ].join('\n'),
      );
      await page.getByRole('button', { name: 'Save and test' }).click();
      await page.getByTestId('save-error').waitFor();
      await expect(page.getByTestId('save-error').textContent()).resolves.toMatch(/line 2/);
      // The lint gutter marks line 2 and the range is underlined in the editor.
      await page.locator('.cm-lint-marker-error').first().waitFor();
      const markedLine = await page
        .locator('.cm-lintRange-error')
        .first()
        .evaluate((node) => node.closest('.cm-line')?.textContent);
      expect(markedLine).toContain('const greeting = ;');
      await screenshot(page, 'tool-builder-code-error');
      await setCode(
        page,
        [
          'export default async function execute(parameters) {',
          '  const greeting = `Hello, ${parameters.name}!`;',
          "  console.log('greeting', parameters.name);",
          '  return { success: true, message: greeting };',
          '}',
        ].join('\n'),
      );
      await page.getByRole('button', { name: 'Save and test' }).click();
      await page.getByText('Saved version 1.').waitFor();
      await expect.poll(() => page.locator('.cm-lint-marker-error').count()).toBe(0);
      await page.getByLabel('name').fill('Ada');
      await page.getByRole('button', { name: 'Run test' }).click();
      await expect(page.getByTestId('execution-status').textContent()).resolves.toBe('SUCCESS');
      await expect(page.getByTestId('execution-output').textContent()).resolves.toContain('Hello, Ada!');
      await screenshot(page, 'tool-code-test-result');
      await page.goto(`${e2e.app.url}/tools`);
      await expect.poll(() => page.getByTestId('tool-card').count()).toBe(2);
      await screenshot(page, 'tools');
    },
    TIMEOUT,
  );

  it(
    'assigns two tools to an assistant, overrides one and reorders them',
    async () => {
      const { page } = e2e.pages.owner;
      await page.getByRole('link', { name: 'Assistants' }).click();
      await page.getByLabel('New assistant name').fill('Front desk');
      await page.getByRole('button', { name: 'New assistant' }).click();
      await page.getByRole('link', { name: 'Front desk' }).click();
      await page.getByRole('heading', { name: 'Built-in tools' }).waitFor();
      assistantUrl = page.url();
      await page.getByRole('button', { name: 'Add tools' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.locator('label', { hasText: 'Order lookup' }).click();
      await dialog.locator('label', { hasText: 'greeter' }).click();
      await screenshot(page, 'assistant-add-tools');
      await dialog.getByRole('button', { name: 'Add selected tools' }).click();
      await expect.poll(() => page.getByTestId('assignment').count()).toBe(2);

      const names = () => page.getByTestId('assignment').locator('.name code').allTextContents();
      // The library lists newest first, and the selection is assigned in that order.
      await expect(names()).resolves.toEqual(['greeter', 'order_lookup']);
      await page
        .getByTestId('assignment')
        .filter({ hasText: 'order_lookup' })
        .getByRole('button', { name: 'Override' })
        .click();
      await page.getByLabel('Override for order_lookup').fill('{ "headers": ');
      await page.getByRole('button', { name: 'Save override' }).click();
      await page.getByText('Not valid JSON').waitFor();
      await page.getByLabel('Override for order_lookup').fill('{ "headers": { "X-Desk": "front" } }');
      await page.getByRole('button', { name: 'Save override' }).click();
      await page.getByText('Override saved.').waitFor();
      await page.getByText('override', { exact: true }).waitFor();

      await page.getByRole('button', { name: 'Move order_lookup up' }).click();
      await page.getByText('Moved order_lookup to position 1.').waitFor();
      await expect(names()).resolves.toEqual(['order_lookup', 'greeter']);
      // The page is long enough to have scrolled while editing; a row under the sticky header cannot take a drop.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.getByTestId('assignment').nth(1).dragTo(page.getByTestId('assignment').nth(0));
      await page.getByText('Moved greeter to position 1.').waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Built-in tools' }).waitFor();
      await expect(names()).resolves.toEqual(['greeter', 'order_lookup']);
      type Stored = { assistant: { toolAssignments: Array<{ customConfiguration: unknown; tool: { name: string } }> } };
      const stored = await e2e.app.gql<Stored>(
        `query ($id: ID!) { assistant(id: $id) { toolAssignments { customConfiguration tool { name } } } }`,
        { id: assistantUrl.split('/').pop() },
        { apiKey: e2e.org.keys.VIEWER },
      );
      const assignments = stored.data?.assistant.toolAssignments ?? [];
      expect(assignments.map((item) => item.tool.name)).toEqual(['greeter', 'order_lookup']);
      expect(assignments[1]?.customConfiguration).toEqual({ headers: { 'X-Desk': 'front' } });
      await screenshot(page, 'assistant');
    },
    TIMEOUT,
  );

  it(
    'shows an execution triggered through the API live on /executions',
    async () => {
      const { page } = e2e.pages.owner;
      await page.getByRole('link', { name: 'Executions' }).click();
      await page.getByTestId('live-indicator').getByText('Live').waitFor();
      const before = await page.getByTestId('execution-row').count();
      const assistantId = assistantUrl.split('/').pop();
      const result = await e2e.app.gql<{ executeTool: { __typename: string; status: string } }>(
        `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { __typename ... on ToolExecution { status } } }`,
        {
          input: {
            assistantId,
            toolName: 'order_lookup',
            parameters: { order_id: 'LIVE-7' },
            toolCallId: 'call-live-7',
          },
        },
        { apiKey: e2e.org.keys.MEMBER },
      );
      expect(result.data?.executeTool).toEqual({ __typename: 'ToolExecution', status: 'SUCCESS' });
      await expect.poll(() => page.getByTestId('execution-row').count(), { timeout: 10_000 }).toBeGreaterThan(before);
      await page.getByRole('cell', { name: 'Front desk' }).first().waitFor();
      await page.getByTestId('execution-row').first().getByRole('button').click();
      await expect(page.getByTestId('execution-output').textContent()).resolves.toContain('LIVE-7');
      await screenshot(page, 'executions');
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Secrets' }).waitFor();
      await page.getByLabel('Name', { exact: true }).first().fill('ORDERS_TOKEN');
      await page.getByLabel('Value').fill('s3cret-value');
      await page.getByRole('button', { name: 'Save secret' }).click();
      await page.getByText('Secret ORDERS_TOKEN saved.').waitFor();
      expect(await page.content()).not.toContain('s3cret-value');
      await screenshot(page, 'settings');
      await page.getByRole('link', { name: 'Marketplace' }).click();
      await page.getByRole('heading', { name: 'Marketplace' }).waitFor();
      await screenshot(page, 'marketplace');
    },
    TIMEOUT,
  );

  it(
    'shows a tool detail with versions, assignments and executions',
    async () => {
      const { page } = e2e.pages.owner;
      await page.getByRole('link', { name: 'Tools', exact: true }).click();
      await page.getByRole('link', { name: 'Order lookup' }).click();
      await page.getByRole('heading', { name: 'Versions' }).waitFor();
      await page.getByRole('link', { name: 'Front desk' }).waitFor();
      await expect(page.getByRole('table').getByText('SUCCESS').first().isVisible()).resolves.toBe(true);
      await screenshot(page, 'tool-detail');
    },
    TIMEOUT,
  );

  it(
    'installs a built-in template, tests it and replays the execution',
    async () => {
      const { page } = e2e.pages.owner;
      await page.getByRole('link', { name: 'Marketplace' }).click();
      await page.getByRole('heading', { name: 'Built-in templates' }).waitFor();
      const card = page.getByTestId('catalog-card').filter({ hasText: 'Business hours check' });
      await card.getByRole('button', { name: 'Preview Business hours check' }).click();
      const preview = page.getByTestId('preview-dialog');
      await expect(preview.getByTestId('preview-code').textContent()).resolves.toContain(
        'export default async function execute',
      );
      await screenshot(page, 'marketplace-preview');
      await preview.getByRole('button', { name: 'Install this tool' }).click();
      // A name already taken comes back as a ConflictError, shown next to the field.
      await card.getByLabel('Tool name').fill('order_lookup');
      await card.getByRole('button', { name: 'Install', exact: true }).click();
      await card.getByTestId('install-name-error').getByText('already exists').waitFor();
      await screenshot(page, 'marketplace-install-conflict');
      await card.getByLabel('Tool name').fill('office_hours');
      await card.getByRole('button', { name: 'Install', exact: true }).click();
      await page.getByTestId('installed').getByRole('link', { name: 'Open office_hours' }).waitFor();

      await page.getByRole('link', { name: 'Tools', exact: true }).click();
      await expect.poll(() => page.getByTestId('tool-card').count()).toBe(3);
      await page
        .getByTestId('tool-card')
        .filter({ hasText: 'office_hours' })
        .getByRole('link', { name: 'Business hours check' })
        .click();
      await page.getByRole('heading', { name: 'Performance' }).waitFor();
      await page.getByRole('button', { name: 'Run test' }).click();
      await expect(page.getByTestId('execution-status').textContent()).resolves.toBe('SUCCESS');
      await expect.poll(() => page.getByTestId('metrics-p50').textContent()).not.toBe('—');
      await page.getByRole('button', { name: 'Replay' }).first().click();
      await page.getByRole('button', { name: 'Run replay' }).click();
      await page.getByTestId('replay-verdict').waitFor();
      await expect(page.getByTestId('replay-original').locator('.badge').textContent()).resolves.toBe('SUCCESS');
      await expect(page.getByTestId('replay-result').locator('.badge').textContent()).resolves.toBe('SUCCESS');
      await expect(page.getByTestId('replay-result-output').textContent()).resolves.toMatch(/open|closed/);
      await screenshot(page, 'tool-replay');
    },
    TIMEOUT,
  );

  it(
    'exports tools as JSON and shows a dry-run import report',
    async () => {
      const { page } = e2e.pages.owner;
      await page.getByRole('link', { name: 'Marketplace' }).click();
      await page.getByRole('tab', { name: 'Import & export' }).click();
      await page.getByLabel('Select all').check();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download 3 as JSON' }).click(),
      ]);
      const file = await download.path();
      const bundle = await readFile(file, 'utf8');
      expect(JSON.parse(bundle)).toMatchObject({
        format: 'switchboard.tools',
        tools: [{ name: 'greeter' }, { name: 'office_hours' }, { name: 'order_lookup' }],
      });
      await page.getByLabel('Bundle JSON').fill('{ "tools": ');
      await page.getByRole('button', { name: 'Check import (dry run)' }).click();
      await page.getByTestId('bundle-error').getByText('Not valid JSON').waitFor();
      await page.getByLabel('Bundle JSON').fill(bundle);
      await page.getByLabel('On name conflict').selectOption('RENAME');
      await page.getByRole('button', { name: 'Check import (dry run)' }).click();
      await expect.poll(() => page.getByTestId('import-row').count()).toBe(3);
      const rows = await page.getByTestId('import-row').allTextContents();
      expect(rows).toEqual([
        expect.stringMatching(/greeter.*RENAME.*greeter_2/),
        expect.stringMatching(/office_hours.*RENAME.*office_hours_2/),
        expect.stringMatching(/order_lookup.*RENAME.*order_lookup_2/),
      ]);
      await expect(page.getByRole('button', { name: /Apply import/ }).isEnabled()).resolves.toBe(true);
      await screenshot(page, 'marketplace-import');
    },
    TIMEOUT,
  );

  it(
    'shows a viewer no edit controls',
    async () => {
      const viewer = await openPage(e2e.browser);
      try {
        const { page } = viewer;
        await login(page, e2e.org.users.VIEWER);
        await expect(page.getByTestId('role').textContent()).resolves.toBe('VIEWER');
        await expect.poll(() => page.getByTestId('tool-card').count()).toBe(3);
        await expect(page.getByRole('link', { name: 'New tool' }).count()).resolves.toBe(0);
        await expect(page.getByRole('link', { name: 'Test' }).count()).resolves.toBe(0);
        await screenshot(page, 'tools-viewer');
        await page.getByRole('link', { name: 'Order lookup' }).click();
        await page.getByRole('heading', { name: 'Versions' }).waitFor();
        await expect(page.getByRole('link', { name: 'Edit' }).count()).resolves.toBe(0);
        await expect(page.getByRole('button', { name: 'Run test' }).count()).resolves.toBe(0);
        await page.goto(assistantUrl);
        await page.getByRole('heading', { name: 'Custom tools' }).waitFor();
        await expect(page.getByRole('button', { name: 'Add tools' }).count()).resolves.toBe(0);
        await expect(page.getByRole('button', { name: /Move|Remove|Override/ }).count()).resolves.toBe(0);
        await expect(page.getByRole('button', { name: 'Save built-in tools' }).count()).resolves.toBe(0);
        await screenshot(page, 'assistant-viewer');
        await page.getByRole('link', { name: 'Marketplace' }).click();
        await page.getByRole('heading', { name: 'Built-in templates' }).waitFor();
        await page
          .getByRole('button', { name: /^Preview / })
          .first()
          .waitFor();
        await expect(page.getByRole('button', { name: /^Install/ }).count()).resolves.toBe(0);
        await expect(page.getByRole('tab', { name: 'Import & export' }).count()).resolves.toBe(0);
        await screenshot(page, 'marketplace-viewer');
        expect(viewer.errors).toEqual([]);
      } finally {
        await viewer.context.close();
      }
    },
    TIMEOUT,
  );
});

/**
 * Accessibility of every dashboard page in Chromium, with real data: axe-core
 * finds no serious or critical violation at desktop and phone sizes; keyboard
 * focus is visible, the skip link works, dialogs trap and return focus, the
 * builder and the reorder buttons keep focus where the user is; the 404 page
 * sits in the app's layout; the navigation and the add-tools dialog work at
 * 390 px; the tool page's counters say what they count.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createPasswordResetLink } from '../../server/auth/password-reset.ts';
import { DESKTOP, openPage, PHONE, signIn } from '../helpers/browser.ts';
import { assignTool, createAssistant } from '../helpers/assistant-tools.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';
import { createToolRow } from '../helpers/fixtures.ts';
import { callId, createToolVia } from '../helpers/integrations.ts';

const ROUTES_DIR = path.resolve('web/src/routes');
const EXECUTE = `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { __typename ... on ToolExecution { status errorCode } } }`;
/** WCAG 2.5.8 (target size, minimum). */
const MIN_TARGET_PX = 24;

let ordersUrl = '';
let assistantId = '';
let callPageId = '';
const tools = { endpoint: '', code: '', lambda: '' };
const externalCallId = callId('CA-a11y');
/** An invitation and a password-reset link, for the signed-out pages that open them. */
const tokens = { invitation: '', reset: '' };

const e2e = useDashboard({
  env: { SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' },
  organization: 'A11y E2E',
  featureFlags: { ENDPOINT: true, CODE: true, LAMBDA: true },
  signIn: { page: 'owner', as: 'OWNER', path: '/tools', heading: 'Tools' },
  async before({ serve }) {
    ordersUrl = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ found: true, status_text: `Order ${(req.url ?? '').split('/').pop()} has shipped` }));
    });
  },
  async seed({ app, org }) {
    const prisma = app.db.database.prisma;
    tools.endpoint = await createToolVia(app, org.keys.MEMBER, {
      name: 'order_lookup',
      displayName: 'Order lookup',
      description: 'Looks up an order by id',
      type: 'ENDPOINT',
      timeoutSeconds: 10,
      configuration: { url: `${ordersUrl}/orders/\${parameters.order_id}`, method: 'GET' },
      functionDefinition: {
        name: 'order_lookup',
        parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
      },
    });
    const code = await createToolRow(prisma, org.id, 'CODE', {
      runtime: 'javascript',
      code: 'export default async function execute() {\n  return { success: true, message: "hi" };\n}\n',
    });
    tools.code = code.id;
    const lambda = await createToolRow(prisma, org.id, 'LAMBDA', { functionName: 'refunds', region: 'us-east-1' });
    tools.lambda = lambda.id;

    assistantId = await createAssistant(app, org, 'Front desk');
    for (const toolId of [tools.endpoint, tools.code]) {
      await assignTool(app, org, assistantId, toolId);
    }
    const call = await app.gql<{ startCall: { __typename: string; id: string } }>(
      `mutation ($input: StartCallInput!) { startCall(input: $input) { __typename ... on Call { id } } }`,
      { input: { externalId: externalCallId, assistantId, fromNumber: '+15550000000' } },
      { apiKey: org.keys.MEMBER },
    );
    callPageId = call.data!.startCall.id;
    // Two runs reach the endpoint; one is refused for a missing parameter (recorded, never run).
    expect(await execute('order_lookup', 'A-1', { order_id: 'A-1' }, externalCallId)).toMatchObject({
      status: 'SUCCESS',
    });
    expect(await execute('order_lookup', 'A-2', { order_id: 'A-2' })).toMatchObject({ status: 'SUCCESS' });
    expect(await execute('order_lookup', 'A-3', {})).toMatchObject({ errorCode: 'INVALID_PARAMETERS' });

    const invited = await app.gql<{ inviteMember: { __typename: string; token: string } }>(
      `mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { __typename ... on InviteMemberPayload { token } } }`,
      { input: { email: 'a11y-invitee@example.test', role: 'MEMBER' } },
      { apiKey: org.keys.ADMIN },
    );
    tokens.invitation = invited.data!.inviteMember.token;
    const owning = { organizationId: org.id, role: 'OWNER' as const, userId: org.users.OWNER.id, apiKeyId: null };
    tokens.reset = (await createPasswordResetLink(prisma, owning, org.users.MEMBER.id)).token;
  },
});

/** One screen to check: which route file renders it, and how to get there with its content showing. */
interface A11yPage {
  /** The SvelteKit route id (directory under web/src/routes), or null for the 404 page. */
  route: string | null;
  name: string;
  signedOut?: boolean;
  visit: (page: Page) => Promise<void>;
}

function heading(page: Page, name: string) {
  return page.getByRole('heading', { name, exact: true }).first().waitFor();
}

async function open(page: Page, url: string, title: string): Promise<void> {
  await page.goto(`${e2e.app.url}${url}`);
  await heading(page, title);
}

const PAGES: A11yPage[] = [
  {
    route: '/login',
    name: 'login',
    signedOut: true,
    visit: (page) => open(page, '/login', 'Sign in'),
  },
  { route: '/signup', name: 'signup', signedOut: true, visit: (page) => open(page, '/signup', 'Create an account') },
  {
    route: '/invite/[token]',
    name: 'invitation',
    signedOut: true,
    visit: async (page) => {
      await open(page, `/invite/${tokens.invitation}`, 'Invitation');
      await page.getByTestId('invitation-summary').waitFor();
    },
  },
  {
    route: '/reset-password',
    name: 'reset-password',
    signedOut: true,
    visit: (page) => open(page, '/reset-password', 'Reset your password'),
  },
  {
    route: '/reset-password/[token]',
    name: 'reset-password-token',
    signedOut: true,
    visit: (page) => open(page, `/reset-password/${tokens.reset}`, 'Choose a new password'),
  },
  { route: '/', name: 'home', visit: (page) => open(page, '/', 'Tools') },
  {
    route: '/tools',
    name: 'tools',
    visit: async (page) => {
      await open(page, '/tools', 'Tools');
      await expect.poll(() => page.getByTestId('tool-card').count()).toBe(3);
    },
  },
  { route: '/tools/new', name: 'builder-basic', visit: (page) => open(page, '/tools/new', 'New tool') },
  {
    route: '/tools/new',
    name: 'builder-endpoint-configuration',
    visit: async (page) => {
      await open(page, '/tools/new', 'New tool');
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      await page.getByLabel('URL', { exact: true }).waitFor();
    },
  },
  {
    route: '/tools/[id]',
    name: 'tool-endpoint',
    visit: async (page) => {
      await open(page, `/tools/${tools.endpoint}`, 'Versions');
      await page.getByRole('table').getByText('SUCCESS').first().waitFor();
    },
  },
  { route: '/tools/[id]', name: 'tool-code', visit: (page) => open(page, `/tools/${tools.code}`, 'Versions') },
  { route: '/tools/[id]', name: 'tool-lambda', visit: (page) => open(page, `/tools/${tools.lambda}`, 'Versions') },
  {
    route: '/tools/[id]/edit',
    name: 'builder-code-configuration',
    visit: async (page) => {
      await page.goto(`${e2e.app.url}/tools/${tools.code}/edit`);
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      await page.locator('.cm-content').waitFor();
    },
  },
  {
    route: '/assistants',
    name: 'assistants',
    visit: async (page) => {
      await open(page, '/assistants', 'Assistants');
      await page.getByRole('link', { name: 'Front desk' }).waitFor();
    },
  },
  {
    route: '/assistants/[id]',
    name: 'assistant',
    visit: async (page) => {
      await open(page, `/assistants/${assistantId}`, 'Built-in tools');
      await expect.poll(() => page.getByTestId('assignment').count()).toBe(2);
    },
  },
  {
    route: '/assistants/[id]',
    name: 'assistant-add-tools',
    visit: async (page) => {
      await open(page, `/assistants/${assistantId}`, 'Built-in tools');
      await page.getByRole('button', { name: 'Add tools' }).click();
      await page.getByRole('dialog').getByRole('checkbox').first().waitFor();
    },
  },
  {
    route: '/executions',
    name: 'executions',
    visit: async (page) => {
      await open(page, '/executions', 'Executions');
      await page.getByTestId('execution-row').first().getByRole('button').click();
      await page.getByTestId('execution-output').waitFor();
    },
  },
  {
    route: '/calls',
    name: 'calls',
    visit: async (page) => {
      await open(page, '/calls', 'Calls');
      await page.getByText(externalCallId).first().waitFor();
    },
  },
  {
    route: '/calls/[id]',
    name: 'call',
    visit: async (page) => {
      await page.goto(`${e2e.app.url}/calls/${callPageId}`);
      await page.getByRole('heading', { name: `Call ${externalCallId}` }).waitFor();
    },
  },
  {
    route: '/marketplace',
    name: 'marketplace',
    visit: (page) => open(page, '/marketplace', 'Built-in templates'),
  },
  {
    route: '/marketplace',
    name: 'marketplace-preview',
    visit: async (page) => {
      await open(page, '/marketplace', 'Built-in templates');
      await page.getByRole('button', { name: 'Preview Business hours check' }).click();
      await page.getByTestId('preview-code').waitFor();
    },
  },
  {
    route: '/marketplace',
    name: 'marketplace-import-export',
    visit: async (page) => {
      await open(page, '/marketplace', 'Built-in templates');
      await page.getByRole('tab', { name: 'Import & export' }).click();
      await page.getByLabel('Bundle JSON').waitFor();
    },
  },
  { route: '/settings', name: 'settings', visit: (page) => open(page, '/settings', 'Secrets') },
  { route: null, name: 'not-found', visit: (page) => openNotFound(page) },
];

const NOT_FOUND_RESPONSE = 'Failed to load resource: the server responded with a status of 404 (Not Found)';

/** The 404 page: its document is answered with status 404, which Chromium logs as a console error. */
async function openNotFound(page: Page): Promise<void> {
  await open(page, '/no-such-page', 'Page not found');
  const index = e2e.pages.owner.errors.indexOf(NOT_FOUND_RESPONSE);
  expect(index, 'the 404 status of the document').toBeGreaterThanOrEqual(0);
  e2e.pages.owner.errors.splice(index, 1);
}

interface Finding {
  viewport: string;
  rule: string;
  impact: string;
  target: string;
  help: string;
}

/** Ids used by more than one element: axe-core only reports those that ARIA references point at. */
async function duplicateIds(page: Page, viewport: string): Promise<Finding[]> {
  const ids = await page.evaluate(() => [...document.querySelectorAll('[id]')].map((element) => element.id));
  const seen = new Set<string>();
  const repeated = new Set(ids.filter((id) => seen.has(id) || !seen.add(id)));
  return [...repeated].map((id) => ({
    viewport,
    rule: 'duplicate-id',
    impact: 'serious',
    target: `#${id}`,
    help: 'An id must be unique in the document',
  }));
}

/** Serious and critical axe-core violations on the page as it is now, and repeated ids. */
async function seriousViolations(page: Page, viewport: string): Promise<Finding[]> {
  const results = await new AxeBuilder({ page }).analyze();
  const repeated = await duplicateIds(page, viewport);
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .flatMap((violation) =>
      violation.nodes.map((node) => ({
        viewport,
        rule: violation.id,
        impact: violation.impact ?? '',
        target: node.target.join(' '),
        help: `${violation.help} (${violation.helpUrl})`,
      })),
    )
    .concat(repeated);
}

function format(findings: Finding[]): string {
  return findings
    .map((item) => `[${item.viewport}] ${item.impact} ${item.rule} at ${item.target}: ${item.help}`)
    .join('\n');
}

/** Route ids of every +page.svelte under web/src/routes ('/', '/tools/[id]', …). */
function routeIds(): string[] {
  return (readdirSync(ROUTES_DIR, { recursive: true }) as string[])
    .filter((file) => path.basename(file) === '+page.svelte')
    .map((file) => {
      const dir = path.dirname(file).split(path.sep).join('/');
      return dir === '.' ? '/' : `/${dir}`;
    })
    .sort();
}

function login(page: Page): Promise<void> {
  return signIn(page, e2e.app.url, e2e.org.users.OWNER, { path: '/tools', heading: 'Tools' });
}

async function execute(toolName: string, toolCallId: string, parameters: Record<string, unknown>, callSid?: string) {
  const result = await e2e.app.gql<{ executeTool: { __typename: string; status: string; errorCode: string | null } }>(
    EXECUTE,
    { input: { assistantId, toolName, toolCallId, parameters, ...(callSid ? { context: { callSid } } : {}) } },
    { apiKey: e2e.org.keys.MEMBER },
  );
  return result.data?.executeTool;
}

/** The element that has focus, described for assertions. */
function focused(page: Page) {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    return {
      tag: element?.tagName.toLowerCase() ?? '',
      text: (element?.getAttribute('aria-label') ?? element?.textContent ?? '').trim(),
      inDialog: Boolean(element?.closest('dialog[open]')),
    };
  });
}

describe('the accessibility page list', () => {
  it('has an entry for every route under web/src/routes', () => {
    const covered = new Set(PAGES.map((entry) => entry.route));
    expect(routeIds().filter((route) => !covered.has(route))).toEqual([]);
  });
});

describe('axe-core finds no serious or critical violation', () => {
  for (const entry of PAGES) {
    it(
      entry.name,
      async () => {
        const watched = entry.signedOut ? await openPage(e2e.browser) : e2e.pages.owner;
        const { page } = watched;
        try {
          await page.setViewportSize(DESKTOP);
          await entry.visit(page);
          const findings = await seriousViolations(page, 'desktop');
          await page.setViewportSize(PHONE);
          // A layout change is a frame away; axe must see the phone layout, not the desktop one.
          await page.evaluate(
            () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
          );
          findings.push(...(await seriousViolations(page, 'phone')));
          expect(findings, format(findings)).toEqual([]);
          if (entry.signedOut) expect(watched.errors).toEqual([]);
        } finally {
          await page.keyboard.press('Escape');
          await page.setViewportSize(DESKTOP);
          if (entry.signedOut) await watched.context.close();
        }
      },
      TIMEOUT,
    );
  }
});

describe('keyboard focus', () => {
  it(
    'starts at a skip link that moves focus to the content',
    async () => {
      const { page } = e2e.pages.owner;
      await open(page, '/tools', 'Tools');
      await page.keyboard.press('Tab');
      await expect(focused(page)).resolves.toMatchObject({ tag: 'a', text: 'Skip to content' });
      await expect(page.getByRole('link', { name: 'Skip to content' }).isVisible()).resolves.toBe(true);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('content');
      // The next Tab continues inside the content, not back in the header.
      await page.keyboard.press('Tab');
      await expect(page.evaluate(() => Boolean(document.activeElement?.closest('main')))).resolves.toBe(true);
    },
    TIMEOUT,
  );

  it(
    'draws a visible outline around every control reached with Tab, switches included',
    async () => {
      const { page } = e2e.pages.owner;
      await open(page, `/assistants/${assistantId}`, 'Built-in tools');
      await expect.poll(() => page.getByTestId('assignment').count()).toBe(2);
      const kinds = new Set<string>();
      const unmarked: string[] = [];
      for (let press = 0; press < 60; press += 1) {
        await page.keyboard.press('Tab');
        const seen = await page.evaluate(() => {
          const element = document.activeElement as HTMLElement | null;
          if (!element || element === document.body) return null;
          const style = getComputedStyle(element);
          const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
          const kind = `${element.tagName.toLowerCase()}${element.getAttribute('type') ? `[${element.getAttribute('type')}]` : ''}${element.getAttribute('role') === 'switch' ? '[switch]' : ''}`;
          return { kind, outlined, label: element.getAttribute('aria-label') ?? element.textContent?.trim() ?? '' };
        });
        if (!seen) continue;
        kinds.add(seen.kind);
        if (!seen.outlined) unmarked.push(`${seen.kind} ${seen.label}`);
      }
      expect(unmarked).toEqual([]);
      // The walk went through the kinds of control this page has.
      expect([...kinds]).toEqual(
        expect.arrayContaining(['a', 'button', 'select', 'input[checkbox][switch]', 'input[checkbox]']),
      );
    },
    TIMEOUT,
  );

  it(
    'keeps focus inside the add-tools dialog and returns it to the opener on close',
    async () => {
      const { page } = e2e.pages.owner;
      await open(page, `/assistants/${assistantId}`, 'Built-in tools');
      const opener = page.getByRole('button', { name: 'Add tools' });
      await opener.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('dialog').getByRole('checkbox').first().waitFor();
      await expect(focused(page)).resolves.toMatchObject({ inDialog: true });
      for (let press = 0; press < 12; press += 1) {
        await page.keyboard.press('Tab');
        await expect(focused(page)).resolves.toMatchObject({ inDialog: true });
      }
      for (let press = 0; press < 12; press += 1) {
        await page.keyboard.press('Shift+Tab');
        await expect(focused(page)).resolves.toMatchObject({ inDialog: true });
      }
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
      await expect(focused(page)).resolves.toMatchObject({ tag: 'button', text: 'Add tools' });
    },
    TIMEOUT,
  );

  it(
    'returns focus to the template card after the preview dialog closes',
    async () => {
      const { page } = e2e.pages.owner;
      await open(page, '/marketplace', 'Built-in templates');
      const preview = page.getByRole('button', { name: 'Preview Business hours check' });
      await preview.focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('preview-code').waitFor();
      await expect(focused(page)).resolves.toMatchObject({ inDialog: true });
      await page.keyboard.press('Escape');
      await expect(focused(page)).resolves.toMatchObject({ tag: 'button', text: 'Preview Business hours check' });
    },
    TIMEOUT,
  );

  it(
    "moves focus to the builder step's heading when the step changes",
    async () => {
      const { page } = e2e.pages.owner;
      await open(page, '/tools/new', 'New tool');
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      await expect(focused(page)).resolves.toMatchObject({ tag: 'h2', text: 'Configuration' });
      await page.getByRole('button', { name: 'Back', exact: true }).click();
      await expect(focused(page)).resolves.toMatchObject({ tag: 'h2', text: 'Basic info' });
    },
    TIMEOUT,
  );

  it(
    "keeps focus on the moved tool's button after a reorder",
    async () => {
      const { page } = e2e.pages.owner;
      await open(page, `/assistants/${assistantId}`, 'Built-in tools');
      await expect.poll(() => page.getByTestId('assignment').count()).toBe(2);
      const names = () => page.getByTestId('assignment').locator('.name code').allTextContents();
      const [first, second] = await names();
      await page.getByRole('button', { name: `Move ${second} up` }).focus();
      await page.keyboard.press('Enter');
      await page.getByText(`Moved ${second} to position 1.`).waitFor();
      await expect(names()).resolves.toEqual([second, first]);
      // At the top "up" is disabled, so focus stays on the same tool's other move button.
      await expect(focused(page)).resolves.toMatchObject({ tag: 'button', text: `Move ${second} down` });
      await page.keyboard.press('Enter');
      await page.getByText(`Moved ${second} to position 2.`).waitFor();
      await expect(names()).resolves.toEqual([first, second]);
      await expect(focused(page)).resolves.toMatchObject({ tag: 'button', text: `Move ${second} up` });
    },
    TIMEOUT,
  );
});

describe('the layout', () => {
  it(
    'shows an unknown address as a 404 inside the app, with the navigation',
    async () => {
      const { page } = e2e.pages.owner;
      await openNotFound(page);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tools' }).waitFor();
      await expect(page.getByText('404').first().isVisible()).resolves.toBe(true);
    },
    TIMEOUT,
  );

  it(
    'reaches every section from the menu button on a phone',
    async () => {
      const { page } = e2e.pages.owner;
      await page.setViewportSize(PHONE);
      try {
        await open(page, '/tools', 'Tools');
        const nav = page.getByRole('navigation', { name: 'Main' });
        const menu = page.getByRole('button', { name: 'Menu' });
        await expect(menu.getAttribute('aria-expanded')).resolves.toBe('false');
        await menu.click();
        await expect(menu.getAttribute('aria-expanded')).resolves.toBe('true');
        // Escape closes it and gives focus back to the button.
        await page.keyboard.press('Escape');
        await expect(menu.getAttribute('aria-expanded')).resolves.toBe('false');
        await expect(nav.isVisible()).resolves.toBe(false);
        await expect(focused(page)).resolves.toMatchObject({ tag: 'button', text: 'Menu' });
        await page.keyboard.press('Enter');
        await expect(menu.getAttribute('aria-expanded')).resolves.toBe('true');
        for (const label of ['Tools', 'Assistants', 'Calls', 'Executions', 'Marketplace', 'Settings']) {
          const link = nav.getByRole('link', { name: label, exact: true });
          await expect(link.isVisible(), label).resolves.toBe(true);
          const box = await link.boundingBox();
          expect(box!.x).toBeGreaterThanOrEqual(0);
          expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
          expect(box!.height).toBeGreaterThanOrEqual(MIN_TARGET_PX);
        }
        await nav.getByRole('link', { name: 'Settings', exact: true }).click();
        await heading(page, 'Secrets');
        // Following a link closes the menu.
        await expect(menu.getAttribute('aria-expanded')).resolves.toBe('false');
      } finally {
        await page.setViewportSize(DESKTOP);
      }
    },
    TIMEOUT,
  );

  it(
    "lets a phone user tick the add-tools dialog's checkboxes without horizontal scrolling",
    async () => {
      // A touch phone, so the checkbox is tapped as a finger would.
      const context = await e2e.browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true });
      try {
        const page = await context.newPage();
        await login(page);
        await open(page, `/assistants/${assistantId}`, 'Built-in tools');
        // The lambda tool is the one left to add.
        await page.getByRole('button', { name: 'Add tools' }).tap();
        const dialog = page.getByRole('dialog');
        const box = dialog.getByRole('checkbox').first();
        await box.waitFor();
        const size = await box.boundingBox();
        expect(size!.width).toBeGreaterThanOrEqual(MIN_TARGET_PX);
        expect(size!.height).toBeGreaterThanOrEqual(MIN_TARGET_PX);
        const overflow = await dialog.evaluate((node) => ({
          dialog: node.scrollWidth - node.clientWidth,
          right: node.getBoundingClientRect().right,
          page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        }));
        expect(overflow.dialog).toBeLessThanOrEqual(0);
        expect(overflow.right).toBeLessThanOrEqual(PHONE.width);
        expect(overflow.page).toBeLessThanOrEqual(0);
        await box.tap();
        await expect(box.isChecked()).resolves.toBe(true);
        await dialog.getByText('1 selected').waitFor();
      } finally {
        await context.close();
      }
    },
    TIMEOUT,
  );
});

describe('tool counters', () => {
  it(
    'labels the all-time run count and the windowed recorded count for what they count',
    async () => {
      const { page } = e2e.pages.owner;
      await open(page, `/tools/${tools.endpoint}`, 'Versions');
      // Two runs reached the endpoint; the refused third is recorded but never ran.
      const runs = page.getByTestId('stat-runs');
      await expect.poll(() => runs.locator('.value').textContent()).toBe('2');
      await expect(runs.locator('.label').textContent()).resolves.toBe('Runs, all time');
      const recorded = page.getByTestId('metrics-recorded');
      await expect.poll(() => recorded.locator('strong').textContent()).toBe('3');
      await expect(recorded.locator('.label').textContent()).resolves.toBe('Recorded, last 24 h');
      await expect(page.getByTestId('tool-health').textContent()).resolves.toBe('OK');
    },
    TIMEOUT,
  );

  it(
    'shows "No data" for the health of a tool that did not run',
    async () => {
      const { page } = e2e.pages.owner;
      await open(page, `/tools/${tools.lambda}`, 'Versions');
      await expect.poll(() => page.getByTestId('tool-health').textContent()).toBe('No data');
      await expect(page.getByTestId('stat-runs').locator('.value').textContent()).resolves.toBe('0');
    },
    TIMEOUT,
  );
});

/**
 * A tool's lifecycle in the dashboard, in Chromium against a real Switchboard:
 * sorting, the ⋮ menu by keyboard, duplicate, publish and save as template, archive, the delete confirmation
 * that names the assistants using the tool, testing an unsaved draft (no new
 * version), and approving a test run inline.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addTool, createAssistant } from '../helpers/assistant-tools.ts';
import { screenshot, setCode } from '../helpers/browser.ts';
import { GREETING_CODE, greetingTool } from '../helpers/code-tools.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';
import { createToolVia } from '../helpers/integrations.ts';

const GREET = GREETING_CODE;

let greeterId = '';
let gatedId = '';

const e2e = useDashboard({
  env: { SWITCHBOARD_JS_POOL_SIZE: '1' },
  organization: 'Lifecycle E2E',
  signIn: { page: 'owner', as: 'OWNER', path: '/tools', heading: 'Tools' },
  async seed({ app, org }) {
    const assistantId = await createAssistant(app, org, 'Front desk');
    greeterId = await addTool(app, org, assistantId, greetingTool('greeter'));
    await createToolVia(app, org.keys.MEMBER, greetingTool('alpha_lookup'));
    const flaky = await createToolVia(app, org.keys.MEMBER, greetingTool('flaky_sender'));
    await app.app.services.prisma.tool.update({ where: { id: flaky }, data: { errorCount: 7 } });
    gatedId = await createToolVia(
      app,
      org.keys.ADMIN,
      greetingTool('gated_refund', GREET, { requireConfirmation: true }),
    );
  },
});

function card(page: Page, name: string) {
  return page.getByTestId('tool-card').filter({ has: page.locator('code', { hasText: new RegExp(`^${name}$`) }) });
}

async function cardNames(page: Page): Promise<string[]> {
  return page.getByTestId('tool-card').locator('.title code').allTextContents();
}

describe('tool lifecycle', () => {
  it(
    'sorts the tools by name and by errors',
    async () => {
      const { page } = e2e.pages.owner;
      await page.getByLabel('Sort tools').selectOption('NAME');
      await expect.poll(() => cardNames(page)).toEqual(['alpha_lookup', 'flaky_sender', 'gated_refund', 'greeter']);
      await page.getByLabel('Sort tools').selectOption('ERRORS');
      await expect.poll(async () => (await cardNames(page))[0]).toBe('flaky_sender');
      await page.getByLabel('Sort tools').selectOption('NAME');
      await expect.poll(async () => (await cardNames(page))[0]).toBe('alpha_lookup');
    },
    TIMEOUT,
  );

  it(
    'opens the ⋮ menu from the keyboard, closes it with Escape and duplicates a tool',
    async () => {
      const { page } = e2e.pages.owner;
      const menuButton = card(page, 'greeter').getByRole('button', { name: 'Actions for greeter' });
      await expect(menuButton.getAttribute('aria-haspopup')).resolves.toBe('menu');
      await menuButton.focus();
      await page.keyboard.press('Enter');
      const menu = page.getByRole('menu', { name: 'Actions for greeter' });
      await menu.waitFor();
      await expect(menuButton.getAttribute('aria-expanded')).resolves.toBe('true');
      await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Duplicate');
      await page.keyboard.press('ArrowDown');
      await expect(page.evaluate(() => document.activeElement?.getAttribute('role'))).resolves.toBe('menuitem');
      await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.not.toBe('Duplicate');
      await screenshot(page, 'tool-card-menu');
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'detached' });
      await expect(page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).resolves.toBe(
        'Actions for greeter',
      );

      await page.keyboard.press('ArrowDown');
      await menu.waitFor();
      await page.keyboard.press('Home');
      await page.keyboard.press('Enter');
      await page.getByText('Duplicated greeter as greeter_copy.').waitFor();
      await card(page, 'greeter_copy').waitFor();
    },
    TIMEOUT,
  );

  it(
    'publishes a tool to the marketplace and saves it as a template from the menu, then takes both back',
    async () => {
      const { page } = e2e.pages.owner;
      const prisma = e2e.app.app.services.prisma;
      const flags = () =>
        prisma.tool.findFirstOrThrow({
          where: { organizationId: e2e.org.id, name: 'alpha_lookup' },
          select: { isPublic: true, isTemplate: true },
        });
      const choose = async (item: string) => {
        await card(page, 'alpha_lookup')
          .getByRole('button', { name: /^Actions for alpha/ })
          .click();
        await page.getByRole('menuitem', { name: item }).click();
      };
      await choose('Publish to marketplace');
      await page.getByText(/ is public\.$/).waitFor();
      await expect.poll(flags).toEqual({ isPublic: true, isTemplate: false });
      await choose('Save as template');
      await page.getByText(/ is a template\.$/).waitFor();
      await expect.poll(flags).toEqual({ isPublic: true, isTemplate: true });
      await choose('Unpublish');
      await page.getByText(/ is no longer public\.$/).waitFor();
      await choose('Remove from templates');
      await page.getByText(/ is no longer a template\.$/).waitFor();
      await expect.poll(flags).toEqual({ isPublic: false, isTemplate: false });
    },
    TIMEOUT,
  );

  it(
    'archives a tool out of the list and shows it under Archived',
    async () => {
      const { page } = e2e.pages.owner;
      await card(page, 'greeter_copy').getByRole('button', { name: 'Actions for greeter (copy)' }).click();
      await page.getByRole('menuitem', { name: 'Archive' }).click();
      await page.getByText('Archived greeter (copy).').waitFor();
      await expect.poll(() => card(page, 'greeter_copy').count()).toBe(0);
      await page.getByLabel('Archived').check();
      await card(page, 'greeter_copy').getByText('Archived', { exact: true }).waitFor();
      await expect.poll(() => cardNames(page)).toEqual(['greeter_copy']);
      await page.getByLabel('Archived').uncheck();
      await card(page, 'greeter').waitFor();
    },
    TIMEOUT,
  );

  it(
    'asks before deleting and lists the assistants that use the tool',
    async () => {
      const { page } = e2e.pages.owner;
      await card(page, 'greeter').getByRole('button', { name: 'Actions for greeter' }).click();
      await page.getByRole('menuitem', { name: 'Delete…' }).click();
      const dialog = page.getByTestId('delete-dialog');
      await dialog.getByRole('heading', { name: 'Delete greeter?' }).waitFor();
      await expect(dialog.getByRole('list', { name: 'Assistants using this tool' }).textContent()).resolves.toContain(
        'Front desk',
      );
      await screenshot(page, 'tool-delete-confirm');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.getByRole('heading').waitFor({ state: 'detached' });
      await expect(e2e.app.app.services.prisma.tool.count({ where: { id: greeterId } })).resolves.toBe(1);
    },
    TIMEOUT,
  );

  it(
    'tests the draft in the builder without making a version; saving makes it',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/tools/${greeterId}/edit`);
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      await setCode(page, GREET.replace('Hello, ', 'Draft hello, '));
      await page.getByRole('button', { name: '3 Testing' }).click();
      await page.getByRole('heading', { name: 'Test the draft' }).waitFor();
      await page.getByLabel('name').fill('Ada');
      await page.getByRole('button', { name: 'Run test' }).click();
      await expect.poll(() => page.getByTestId('execution-output').textContent()).toContain('Draft hello, Ada');
      const versions = () => e2e.app.app.services.prisma.toolVersion.count({ where: { toolId: greeterId } });
      await expect(versions()).resolves.toBe(1);
      await screenshot(page, 'tool-builder-draft-test');
      await page.getByRole('button', { name: 'Save new version' }).click();
      await page.getByText('Saved version 2.').waitFor();
      await expect(versions()).resolves.toBe(2);
    },
    TIMEOUT,
  );

  it(
    'shows a test run that needs approval as waiting, and approves it inline',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/tools/${gatedId}`);
      await page.getByRole('heading', { name: 'Test', exact: true }).waitFor();
      await page.getByLabel('name').fill('Bo');
      await page.getByRole('button', { name: 'Run test' }).click();
      const waiting = page.getByRole('status', { name: 'Waiting for approval' });
      await waiting.getByText('Waiting for approval').waitFor();
      await screenshot(page, 'tool-test-approval');
      await waiting.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => page.getByTestId('execution-status').textContent()).toBe('SUCCESS');
      await expect(page.getByTestId('execution-output').textContent()).resolves.toContain('Hello, Bo');
    },
    TIMEOUT,
  );
});

/**
 * The tool builder's guardrails in Chromium (issue 18): parameter problems
 * caught in the form, parameter order kept on save, errors shown once at the
 * field in plain words, a private host offered "Save as inactive", a runtime
 * switch that asks before replacing edited code, an unsaved-changes prompt,
 * and a line-by-line diff between versions.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot, setCode } from '../helpers/browser.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';

const e2e = useDashboard({
  env: { SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' },
  organization: 'Guardrails',
  featureFlags: { ENDPOINT: true, CODE: true, LAMBDA: false },
  signIn: { page: 'owner', as: 'OWNER', path: '/tools', heading: 'Tools' },
});

async function parameterNames(page: Page): Promise<string[]> {
  const rows = page.getByTestId('parameter-row');
  const names: string[] = [];
  for (let index = 0; index < (await rows.count()); index += 1) {
    names.push(await page.getByLabel(`Parameter ${index + 1} name`).inputValue());
  }
  return names;
}

describe('tool builder guardrails', () => {
  it(
    'catches duplicate names and misfit allowed values in the form, then keeps parameter order on save',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/tools/new`);
      await page.getByLabel('Function name').fill('ordered_lookup');
      for (const [index, name] of ['z', 'a', 'm'].entries()) {
        await page.getByRole('button', { name: 'Add parameter' }).click();
        await page.getByLabel(`Parameter ${index + 1} name`).fill(name);
      }
      await page.getByLabel('Parameter 2 type').selectOption('number');
      await page.getByLabel('Parameter 2 allowed values').fill('one, two');
      await page.getByLabel('Parameter 3 name').fill('z');
      const duplicate = page.getByText('Another parameter is already named "z"');
      const misfit = page.getByText('Allowed values of a number parameter must be numbers: "one" is not');
      await expect.poll(() => duplicate.count()).toBe(1);
      await expect.poll(() => misfit.count()).toBe(1);
      await page.getByRole('button', { name: 'Save tool' }).click();
      // Refused in the form: nothing was sent, each problem is shown once, at its field.
      await page.getByTestId('save-error').waitFor();
      await expect(page.getByTestId('save-error').textContent()).resolves.toContain('Parameters');
      expect(await duplicate.count()).toBe(1);
      expect(await misfit.count()).toBe(1);
      expect(await e2e.app.db.database.prisma.tool.count({ where: { organizationId: e2e.org.id } })).toBe(0);
      await screenshot(page, 'builder-field-errors');

      await page.getByLabel('Parameter 3 name').fill('m');
      await page.getByLabel('Parameter 2 allowed values').fill('1, 2');
      await expect.poll(() => duplicate.count()).toBe(0);
      await expect.poll(() => misfit.count()).toBe(0);
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      await page.getByLabel('URL', { exact: true }).fill('http://127.0.0.1:9/orders');
      await page.getByRole('button', { name: 'Save and test' }).click();
      await page.getByText('Saved version 1.').waitFor();
      const saved = await e2e.app.db.database.prisma.tool.findFirstOrThrow({ where: { name: 'ordered_lookup' } });
      const definition = saved.functionDefinition as { parameters: { properties: Record<string, { enum?: unknown }> } };
      expect(Object.keys(definition.parameters.properties)).toEqual(['z', 'a', 'm']);
      expect(definition.parameters.properties.a!.enum).toEqual([1, 2]);

      await page.goto(`${e2e.app.url}/tools/${saved.id}/edit`);
      await page.getByLabel('Parameter 1 name').waitFor();
      expect(await parameterNames(page)).toEqual(['z', 'a', 'm']);

      // Raw JSON naming a parameter twice is refused, not collapsed into one.
      await page.getByRole('button', { name: 'Raw JSON' }).click();
      await page
        .getByLabel('JSON Schema')
        .fill('{ "type": "object", "properties": { "z": { "type": "string" }, "z": { "type": "number" } } }');
      await page.getByRole('button', { name: 'Apply JSON' }).click();
      await page.getByText('"z" appears twice in properties: only one of them would be kept').waitFor();
    },
    TIMEOUT,
  );

  it(
    'shows a refused private host once, in plain words, naming the setting, and saves the tool inactive',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/tools/new`);
      await page.getByLabel('Function name').fill('internal_lookup');
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      await page.getByLabel('URL', { exact: true }).fill('http://10.20.30.40/orders');
      await page.getByRole('button', { name: 'Save and test' }).click();
      const message = page.getByText(/10\.20\.30\.40 is a private network address/);
      await message.waitFor();
      expect(await message.count()).toBe(1);
      await expect(message.textContent()).resolves.toContain('SWITCHBOARD_ALLOWED_PRIVATE_HOSTS');
      // No internal paths anywhere on the page.
      await expect(page.locator('main').textContent()).resolves.not.toMatch(/configuration\.url|functionDefinition/);
      await screenshot(page, 'builder-private-host');

      await page.getByRole('button', { name: 'Save as inactive' }).click();
      await page.getByText('Saved version 1.').waitFor();
      const saved = await e2e.app.db.database.prisma.tool.findFirstOrThrow({ where: { name: 'internal_lookup' } });
      expect(saved.isActive).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'asks before a runtime switch replaces edited code, and before leaving with unsaved changes',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/tools/new`);
      await page.getByText('Run JavaScript or Python in a sandbox.').click();
      await page.getByLabel('Function name').fill('switcher');
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      const mine = "export default async function execute() {\n  return { success: true, message: 'mine' };\n}";
      await setCode(page, mine);

      await page.getByRole('radio', { name: 'Python' }).click();
      const dialog = page.getByRole('dialog', { name: 'Replace your code?' });
      await dialog.waitFor();
      await screenshot(page, 'builder-runtime-switch');
      await dialog.getByRole('button', { name: 'Keep my code' }).click();
      await expect(page.getByRole('radio', { name: 'JavaScript' }).getAttribute('aria-checked')).resolves.toBe('true');
      await expect(page.locator('.cm-content').textContent()).resolves.toContain("message: 'mine'");

      await page.getByRole('radio', { name: 'Python' }).click();
      await dialog.getByRole('button', { name: 'Replace with Python' }).click();
      await expect(page.getByRole('radio', { name: 'Python' }).getAttribute('aria-checked')).resolves.toBe('true');
      await expect(page.locator('.cm-content').textContent()).resolves.toContain('def execute_tool');

      // Leaving through the app's own navigation asks first; staying keeps the form as it was.
      await page.getByRole('link', { name: 'Tools', exact: true }).first().click();
      const leave = page.getByRole('dialog', { name: 'Leave without saving?' });
      await leave.waitFor();
      await screenshot(page, 'builder-unsaved-changes');
      await leave.getByRole('button', { name: 'Stay' }).click();
      expect(new URL(page.url()).pathname).toBe('/tools/new');
      await expect(page.getByRole('radio', { name: 'Python' }).getAttribute('aria-checked')).resolves.toBe('true');

      // Closing or reloading the tab is guarded by the browser's own prompt.
      const prompted = new Promise<string>((resolve) =>
        page.once('dialog', (native) => {
          resolve(native.type());
          void native.dismiss();
        }),
      );
      await page.close({ runBeforeUnload: true });
      await expect(prompted).resolves.toBe('beforeunload');
      expect(page.isClosed()).toBe(false);

      await page.getByRole('link', { name: 'Tools', exact: true }).first().click();
      await leave.getByRole('button', { name: 'Leave' }).click();
      await page.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
    },
    TIMEOUT,
  );

  it(
    'diffs code line by line between versions',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/tools/new`);
      await page.getByText('Run JavaScript or Python in a sandbox.').click();
      await page.getByLabel('Function name').fill('versioned');
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      const lines = (message: string) =>
        [
          'export default async function execute(parameters) {',
          '  const unchanged = 1;',
          `  return { success: true, message: '${message}' };`,
          '}',
        ].join('\n');
      await setCode(page, lines('first'));
      await page.getByRole('button', { name: 'Save and test' }).click();
      await page.getByText('Saved version 1.').waitFor();
      await page.getByRole('button', { name: 'Configuration' }).click();
      await setCode(page, lines('second'));
      await page.getByRole('button', { name: 'Save and test' }).click();
      await page.getByText('Saved version 2.').waitFor();

      await page.getByRole('link', { name: 'View tool' }).click();
      await page.getByRole('heading', { name: 'Versions' }).waitFor();
      await page.getByRole('button', { name: 'Diff' }).click();
      const diff = page.getByTestId('version-diff');
      await diff.waitFor();
      const removed = diff.locator('[data-change="removed"]');
      const added = diff.locator('[data-change="added"]');
      await expect.poll(() => removed.allTextContents()).toEqual([`  return { success: true, message: 'first' };`]);
      await expect(added.allTextContents()).resolves.toEqual([`  return { success: true, message: 'second' };`]);
      await expect(diff.textContent()).resolves.toContain('const unchanged = 1;');
      await expect(diff.getByRole('heading', { name: 'Code' }).count()).resolves.toBe(1);
      await screenshot(page, 'tool-version-diff');

      // An untouched form is not "unsaved": opening the editor and leaving asks nothing.
      await page.getByRole('link', { name: 'Edit' }).click();
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      await page.locator('.cm-content').waitFor();
      await page.getByRole('link', { name: 'Tools', exact: true }).first().click();
      await page.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
      expect(await page.getByRole('dialog').count()).toBe(0);
    },
    TIMEOUT,
  );
});

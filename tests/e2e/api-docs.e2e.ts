/**
 * /api/docs in Chromium: the page reads /api/openapi.json from the same server (no network
 * beyond it) and lists every operation; opening one shows its parameters and responses.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { launchChromium, openPage, screenshot, type WatchedPage } from '../helpers/browser.ts';

let app: TestApp;
let browser: Browser;
let watched: WatchedPage;

beforeAll(async () => {
  app = await startTestApp();
  browser = await launchChromium();
  watched = await openPage(browser);
});
afterAll(async () => {
  await watched?.context.close();
  await browser?.close();
  await app?.close();
});

it('lists every operation of the document and shows one when opened', async () => {
  const { page, errors } = watched;
  const foreign: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(app.url)) foreign.push(request.url());
  });
  await page.goto(`${app.url}/api/docs`);
  const document = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const count = Object.values(document.paths).reduce((sum, methods) => sum + Object.keys(methods).length, 0);
  await expect.poll(() => page.locator('#operations details').count()).toBe(count);
  const configure = page.locator('details', { hasText: '/api/assistants/{assistant_id}/tools/{tool_id}/configure' });
  await configure.locator('summary').click();
  await expect.poll(() => configure.locator('table').last().textContent()).toContain('customConfiguration');
  expect(await configure.textContent()).toContain('Missing, invalid or revoked API key.');
  expect(await page.locator('#title').textContent()).toBe('Switchboard REST API');
  await screenshot(page, 'api-docs');
  expect(errors).toEqual([]);
  expect(foreign).toEqual([]);
});

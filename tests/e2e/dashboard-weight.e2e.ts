/**
 * The dashboard's weight as a browser sees it: assets come brotli- or
 * gzip-compressed, and CodeMirror (most of the builder's JavaScript) is
 * fetched only when a code tool's code is edited.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ensureDashboardBuilt, launchChromium, openPage, signIn, type WatchedPage } from '../helpers/browser.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const TIMEOUT = 120_000;
let app: TestApp;
let org: TestOrganization;
let browser: Browser;
let member: WatchedPage;

/** The hashed file the build gave the code editor, from Vite's manifest. */
function codeEditorChunk(): string {
  const manifest = JSON.parse(
    readFileSync(path.resolve('web/.svelte-kit/output/client/.vite/manifest.json'), 'utf8'),
  ) as Record<string, { file: string }>;
  const entry = Object.entries(manifest).find(([key]) => key.endsWith('src/lib/components/CodeEditor.svelte'));
  expect(entry, 'the code editor is a chunk of its own').toBeDefined();
  return path.basename(entry![1].file);
}

beforeAll(async () => {
  ensureDashboardBuilt();
  app = await startTestApp();
  org = await createOrganization(app.db.database.prisma, 'Weight E2E');
  browser = await launchChromium();
  member = await openPage(browser);
}, TIMEOUT);

afterAll(async () => {
  expect(member?.errors ?? [], 'console errors').toEqual([]);
  await browser?.close();
  await app?.close();
});

describe('dashboard weight', () => {
  it('serves its JavaScript brotli- or gzip-compressed to clients that accept it', async () => {
    const html = await (await fetch(`${app.url}/login`)).text();
    const asset = html.match(/\/_app\/immutable\/[^"']+\.js/)?.[0];
    expect(asset).toBeDefined();
    for (const encoding of ['br', 'gzip']) {
      const response = await fetch(`${app.url}${asset}`, { headers: { 'accept-encoding': encoding } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-encoding')).toBe(encoding);
      await response.arrayBuffer();
    }
  });

  it(
    'loads CodeMirror only on the code step of a code tool',
    async () => {
      const { page } = member;
      const chunk = codeEditorChunk();
      const fetched: string[] = [];
      page.on('request', (request) => fetched.push(request.url()));
      await signIn(page, app.url, org.users.MEMBER, { path: '/tools/new', heading: 'New tool' });
      await page.getByText('Run JavaScript or Python in a sandbox.').click();
      expect(fetched.some((url) => url.endsWith(chunk))).toBe(false);
      await page.getByLabel('Function name').fill('weighed');
      await page.getByRole('button', { name: 'Next: Configuration' }).click();
      await page.locator('.cm-content').waitFor();
      expect(fetched.some((url) => url.endsWith(chunk))).toBe(true);
    },
    TIMEOUT,
  );
});

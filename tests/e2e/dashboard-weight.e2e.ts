/**
 * The dashboard's weight as a browser sees it: assets come brotli- or
 * gzip-compressed, and CodeMirror (most of the builder's JavaScript) is
 * fetched only when a code tool's code is edited.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signIn } from '../helpers/browser.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';

const e2e = useDashboard({ organization: 'Weight E2E', pages: ['member'], consoleCheck: 'afterAll' });

/** The hashed file the build gave the code editor, from Vite's manifest. */
function codeEditorChunk(): string {
  const manifest = JSON.parse(
    readFileSync(path.resolve('web/.svelte-kit/output/client/.vite/manifest.json'), 'utf8'),
  ) as Record<string, { file: string }>;
  const entry = Object.entries(manifest).find(([key]) => key.endsWith('src/lib/components/CodeEditor.svelte'));
  expect(entry, 'the code editor is a chunk of its own').toBeDefined();
  return path.basename(entry![1].file);
}

describe('dashboard weight', () => {
  it('serves its JavaScript brotli- or gzip-compressed to clients that accept it', async () => {
    const html = await (await fetch(`${e2e.app.url}/login`)).text();
    const asset = html.match(/\/_app\/immutable\/[^"']+\.js/)?.[0];
    expect(asset).toBeDefined();
    for (const encoding of ['br', 'gzip']) {
      const response = await fetch(`${e2e.app.url}${asset}`, { headers: { 'accept-encoding': encoding } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-encoding')).toBe(encoding);
      await response.arrayBuffer();
    }
  });

  it(
    'loads CodeMirror only on the code step of a code tool',
    async () => {
      const { page } = e2e.pages.member;
      const chunk = codeEditorChunk();
      const fetched: string[] = [];
      page.on('request', (request) => fetched.push(request.url()));
      await signIn(page, e2e.app.url, e2e.org.users.MEMBER, { path: '/tools/new', heading: 'New tool' });
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

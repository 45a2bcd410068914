// npm run docs:screenshots: copies the dashboard screenshots the docs show from the e2e run
// (test-results/screenshots, written by tests/helpers/browser.ts) into docs/images/, replacing what is
// there. Run `npm run build -w web && npx vitest run tests/e2e/dashboard.e2e.ts tests/e2e/accounts.e2e.ts` first.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The screenshots the docs use (desktop 1280 px wide, phone 390 px); docs/images holds exactly these. */
export const DOCS_SCREENSHOTS = [
  'login-desktop.png',
  'tools-desktop.png',
  'tools-phone.png',
  'tool-builder-endpoint-desktop.png',
  'tool-test-result-desktop.png',
  'tool-builder-code-error-desktop.png',
  'tool-code-test-result-desktop.png',
  'tool-detail-desktop.png',
  'assistant-add-tools-desktop.png',
  'assistant-desktop.png',
  'executions-desktop.png',
  'executions-phone.png',
  'marketplace-desktop.png',
  'settings-desktop.png',
  'signup-desktop.png',
  'invite-desktop.png',
  'settings-security-desktop.png',
] as const;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = path.join(ROOT, 'test-results/screenshots');
const TARGET = path.join(ROOT, 'docs/images');

function main(): void {
  const missing = DOCS_SCREENSHOTS.filter((name) => !existsSync(path.join(SOURCE, name)));
  if (missing.length > 0) {
    console.error(
      `missing in ${path.relative(ROOT, SOURCE)}: ${missing.join(', ')}\n` +
        'run `npm run build -w web && npx vitest run tests/e2e/dashboard.e2e.ts tests/e2e/accounts.e2e.ts` first',
    );
    process.exit(1);
  }
  mkdirSync(TARGET, { recursive: true });
  const wanted = new Set<string>(DOCS_SCREENSHOTS);
  // A screenshot dropped from the list leaves docs/images with it.
  for (const name of readdirSync(TARGET)) if (!wanted.has(name)) rmSync(path.join(TARGET, name));
  for (const name of DOCS_SCREENSHOTS) copyFileSync(path.join(SOURCE, name), path.join(TARGET, name));
  console.log(`copied ${DOCS_SCREENSHOTS.length} screenshots to ${path.relative(ROOT, TARGET)}/`);
}

if (import.meta.main) main();

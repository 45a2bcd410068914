/**
 * The set-up every dashboard e2e spec shares: the built dashboard, a real Switchboard on port 0,
 * an organization, Chromium with watched pages, local receivers the app talks to, and the check
 * that fails a test on console errors. Everything started here is closed in `afterAll`.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { RoleName } from '../../server/security/roles.ts';
import { startTestApp, type TestApp } from './app.ts';
import { ensureDashboardBuilt, launchChromium, openPage, signIn, type WatchedPage } from './browser.ts';
import { createOrganization, type TestOrganization } from './fixtures.ts';

export const E2E_TIMEOUT = 120_000;

interface Closable {
  close(): Promise<unknown>;
}

export interface DashboardOptions<P extends string> {
  /** Environment for startTestApp; a function when it names a receiver started in `before`. */
  env?: Record<string, string> | (() => Record<string, string>);
  /** Name of the organization to create; leave out for an empty instance. */
  organization?: string;
  featureFlags?: { ENDPOINT: boolean; CODE: boolean; LAMBDA: boolean };
  /** Watched pages, one browser context each, opened in this order (default: one named `owner`). */
  pages?: readonly P[];
  /** Signs one page in through the login form once the data is seeded. */
  signIn?: { page: P; as: RoleName; path: string; heading: string };
  /** Runs before the app starts: start the receivers its environment points at. */
  before?: (dashboard: Dashboard<P>) => Promise<void>;
  /** Runs once the app and organization exist, before Chromium starts: seed data. */
  seed?: (dashboard: Dashboard<P>) => Promise<void>;
  /** When console errors fail the spec: after each test (default), or once after the last. */
  consoleCheck?: 'afterEach' | 'afterAll';
  /** Console errors the spec causes on purpose (cut network, blocked WebSocket). */
  expectedConsoleErrors?: RegExp;
}

export interface Dashboard<P extends string> {
  readonly app: TestApp;
  readonly org: TestOrganization;
  readonly browser: Browser;
  readonly pages: Readonly<Record<P, WatchedPage>>;
  /** Starts an HTTP receiver on 127.0.0.1, closed in afterAll; resolves to its base URL. */
  serve: (listener: RequestListener) => Promise<string>;
  /** Closes `closable` in afterAll (after the browser and the app), and returns it. */
  track: <T extends Closable>(closable: T) => T;
}

function ready<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`useDashboard: ${name} is not set up (read it inside a test or hook)`);
  return value;
}

/**
 * Registers beforeAll/afterAll/afterEach for a dashboard spec and returns the handle its tests
 * read (`dashboard.app.url`, `dashboard.pages.owner.page`). Call it at the top of the spec file.
 */
export function useDashboard<const P extends string = 'owner'>(options: DashboardOptions<P> = {}): Dashboard<P> {
  const names = options.pages ?? (['owner'] as unknown as readonly P[]);
  const leftovers: Closable[] = [];
  let app: TestApp | undefined;
  let org: TestOrganization | undefined;
  let browser: Browser | undefined;
  let pages: Record<P, WatchedPage> | undefined;

  const dashboard: Dashboard<P> = {
    get app() {
      return ready(app, 'app');
    },
    get org() {
      if (options.organization === undefined) throw new Error('useDashboard: no organization (pass `organization`)');
      return ready(org, 'org');
    },
    get browser() {
      return ready(browser, 'browser');
    },
    get pages() {
      return ready(pages, 'pages');
    },
    async serve(listener) {
      const server: Server = createServer(listener);
      leftovers.push({ close: () => new Promise((resolve) => server.close(resolve)) });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    track(closable) {
      leftovers.push(closable);
      return closable;
    },
  };

  function expectNoConsoleErrors(): void {
    if (!pages) return;
    for (const name of names) {
      const errors = pages[name].errors.filter((error) => !options.expectedConsoleErrors?.test(error));
      expect(errors, names.length === 1 ? 'console errors' : `console errors (${name})`).toEqual([]);
    }
  }

  beforeAll(async () => {
    ensureDashboardBuilt();
    await options.before?.(dashboard);
    const env = typeof options.env === 'function' ? options.env() : options.env;
    app = await startTestApp(env);
    if (options.organization !== undefined) {
      org = await createOrganization(app.db.database.prisma, options.organization);
      if (options.featureFlags) {
        await app.db.database.prisma.organization.update({
          where: { id: org.id },
          data: { featureFlags: options.featureFlags },
        });
      }
    }
    await options.seed?.(dashboard);
    browser = await launchChromium();
    const opened = await Promise.all(names.map(() => openPage(ready(browser, 'browser'))));
    pages = Object.fromEntries(names.map((name, index) => [name, opened[index]])) as Record<P, WatchedPage>;
    if (options.signIn) {
      const { page, as, path, heading } = options.signIn;
      await signIn(pages[page].page, app.url, dashboard.org.users[as], { path, heading });
    }
  }, E2E_TIMEOUT);

  afterAll(async () => {
    try {
      if (options.consoleCheck === 'afterAll') expectNoConsoleErrors();
    } finally {
      await browser?.close();
      await app?.close();
      for (const closable of leftovers.reverse()) await closable.close();
    }
  });

  if (options.consoleCheck !== 'afterAll') afterEach(expectNoConsoleErrors);

  return dashboard;
}

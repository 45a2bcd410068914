/**
 * A real Switchboard on port 0 over a fresh database, with a GraphQL client
 * that speaks HTTP like an integrator or the dashboard would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { buildApp, type App } from '../../server/app.ts';
import { loadConfig, type Config } from '../../server/config.ts';
import type { AsyncSettledHook } from '../../server/executions/async-runs.ts';
import type { EngineDeps } from '../../server/executions/engine.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  headers: Headers;
}

export interface Credentials {
  apiKey?: string;
  cookie?: string;
  csrfToken?: string;
}

export interface TestApp {
  app: App;
  url: string;
  db: TestDatabase;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    as?: Credentials,
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/** The configuration test apps run with; a second app on the same database (a restart) uses it too. */
export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_MASTER_KEY: TEST_MASTER_KEY,
    SWITCHBOARD_JS_POOL_SIZE: '1',
    SWITCHBOARD_PYTHON_POOL_SIZE: '0',
    ...env,
  });
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: {
    engine?: 'postgresql' | 'pglite';
    onQuery?: (sql: string) => void;
    logger?: Logger;
    hooks?: Pick<EngineDeps, 'onProgress' | 'onCallbackSettled'>;
    onAsyncSettled?: AsyncSettledHook;
  } = {},
): Promise<TestApp> {
  const db = await createTestDatabase(options);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-test-'));
  const config = testConfig(dataDir, env);
  const app = await buildApp(config, {
    database: db.database,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.onAsyncSettled ? { onAsyncSettled: options.onAsyncSettled } : {}),
  });
  const url = await app.start(0, '127.0.0.1');
  return {
    app,
    url,
    db,
    async gql(query, variables = {}, as = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (as.apiKey) headers.authorization = `Bearer ${as.apiKey}`;
      if (as.cookie) headers.cookie = as.cookie;
      if (as.csrfToken) headers['x-csrf-token'] = as.csrfToken;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: GraphQLResponse['errors'] };
      return {
        status: response.status,
        data: (body.data ?? null) as never,
        ...(body.errors ? { errors: body.errors } : {}),
        headers: response.headers,
      };
    },
    async close() {
      await app.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The built SvelteKit dashboard (adapter-node's handler) served beside
 * /graphql, so one process and port serve both. Until `npm run build` has
 * produced web/build, the fallback (the placeholder page) answers instead.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sendJson, type Route } from './node-handler.ts';

type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export const DASHBOARD_HANDLER = fileURLToPath(new URL('../../web/build/handler.js', import.meta.url));

export async function dashboardRoute(fallback: Route, handlerPath = DASHBOARD_HANDLER): Promise<Route> {
  if (!existsSync(handlerPath)) return fallback;
  const module = (await import(pathToFileURL(handlerPath).href)) as { handler: NodeMiddleware };
  return {
    prefix: '/',
    handle(req, res) {
      module.handler(req, res, () => sendJson(res, 404, { error: 'not found' }));
    },
  };
}

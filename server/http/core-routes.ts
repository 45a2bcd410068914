import type { YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../context.ts';
import { sendJson, type Route } from './node-handler.ts';
import { placeholderPage } from './placeholder-page.ts';
import type { ServerContext } from './yoga.ts';

/** The POST bodies Yoga parses; for any other it answers 415 with an empty body. */
const GRAPHQL_BODY_TYPES = new Set([
  'application/json',
  'application/graphql+json',
  'application/graphql',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
]);

export function graphqlRoute(yoga: YogaServerInstance<ServerContext, Context>): Route {
  return {
    prefix: '/graphql',
    handle(req, res) {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (req.method === 'POST' && !GRAPHQL_BODY_TYPES.has(type)) {
        req.resume();
        return sendJson(res, 415, {
          errors: [
            {
              message: `send the GraphQL request as Content-Type: application/json (got ${type ? `"${type}"` : 'none'})`,
              extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
            },
          ],
        });
      }
      return yoga.handle(req, res);
    },
  };
}

/**
 * `redisUp` is null without REDIS_URL. Redis being down is "degraded", still 200: the instance
 * serves every request (rate limits fall back to local ones, live events to local delivery),
 * so a load balancer must not take it out.
 */
export function healthRoute(redisUp: (() => boolean) | null): Route {
  return {
    prefix: '/health',
    handle(_req, res) {
      if (!redisUp) return sendJson(res, 200, { status: 'ok' });
      const up = redisUp();
      sendJson(res, 200, { status: up ? 'ok' : 'degraded', redis: up ? 'up' : 'down' });
    },
  };
}

/** Served at / until the dashboard is built. */
export function placeholderRoute(graphiql: boolean): Route {
  return {
    prefix: '/',
    handle(req, res) {
      if ((req.url ?? '/').split('?')[0] !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        sendJson(res, 404, { error: 'not found' });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(placeholderPage(graphiql));
    },
  };
}

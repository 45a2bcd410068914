import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { docsRoute } from '../../server/http/docs-route.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** A raw GET: fetch would normalise `..` and percent-escapes in the path before sending it. */
function rawGet(base: string, pathname: string): Promise<{ status: number; body: string; type: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: pathname, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/docs on the server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  test('/docs is the index, rendered to HTML with links to the pages', async () => {
    const { status, body, type } = await rawGet(t.url, '/docs');
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/html/);
    expect(body).toContain('<h1 id="switchboard-documentation">Switchboard documentation</h1>');
    expect(body).toContain('<a href="/docs/troubleshooting">');
  });

  test('/docs/troubleshooting lists error codes with anchors', async () => {
    const { status, body } = await rawGet(t.url, '/docs/troubleshooting');
    expect(status).toBe(200);
    expect(body).toContain('<h3 id="ssrf_blocked">SSRF_BLOCKED</h3>');
    expect(body).toContain('<a href="/docs/security#what-code-may-use">');
    const security = await rawGet(t.url, '/docs/security');
    expect(security.body).toContain('<h3 id="what-code-may-use">');
  });

  test.each([
    '/docs/no-such-page',
    '/docs/..%2fpackage.json',
    '/docs/../package.json',
    '/docs/%2e%2e/README',
    '/docsx',
  ])('%s is 404 and reveals no file', async (pathname) => {
    const { status, body } = await rawGet(t.url, pathname);
    expect(status).toBe(404);
    expect(body).not.toContain('"dependencies"');
  });
});

describe('docs rendering', () => {
  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sb-docs-'));
    await writeFile(
      path.join(dir, 'README.md'),
      '# Index\n\n<script>alert(1)</script>\n\nInline <img src=x onerror=alert(1)> and [tools](tools.md#keys).\n',
    );
    const route = await docsRoute(dir);
    server = createServer((req, res) => void route.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  test('HTML in the Markdown is escaped, page links point at /docs', async () => {
    const { body } = await rawGet(base, '/docs');
    expect(body).not.toContain('<script>alert');
    expect(body).not.toContain('<img');
    expect(body).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(body).toContain('<a href="/docs/tools#keys">tools</a>');
  });

  test('a page added after the route was built is not served', async () => {
    await writeFile(path.join(dir, 'late.md'), '# Late\n');
    expect((await rawGet(base, '/docs/late')).status).toBe(404);
  });
});

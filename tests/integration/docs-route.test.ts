import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { docsRoute } from '../../server/http/docs-route.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** A raw GET: fetch would normalise `..` and percent-escapes in the path before sending it. */
function rawGetBytes(base: string, pathname: string): Promise<{ status: number; body: Buffer; type: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: pathname, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          type: String(res.headers['content-type']),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function rawGet(base: string, pathname: string): Promise<{ status: number; body: string; type: string }> {
  const response = await rawGetBytes(base, pathname);
  return { ...response, body: response.body.toString('utf8') };
}

/** The smallest valid PNG: one transparent pixel. */
const PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

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

  test('the screenshots in the pages are served from docs/images', async () => {
    const { body } = await rawGet(t.url, '/docs/getting-started');
    const sources = [...body.matchAll(/<img src="([^"]+)"/g)].map((match) => match[1]!);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(source).toMatch(/^\/docs\/images\/[a-z0-9-]+\.png$/);
      const image = await rawGetBytes(t.url, source);
      expect(image.status).toBe(200);
      expect(image.type).toBe('image/png');
      const file = await readFile(new URL(`../../docs/${source.slice('/docs/'.length)}`, import.meta.url));
      expect(image.body.equals(file)).toBe(true);
    }
  });

  test.each([
    '/docs/no-such-page',
    '/docs/images/no-such-image.png',
    '/docs/images/../README',
    '/docs/images/%2e%2e%2fREADME.md',
    '/docs/images',
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
    await mkdir(path.join(dir, 'images'));
    await writeFile(path.join(dir, 'images', 'shot.png'), PIXEL_PNG);
    await writeFile(path.join(dir, 'images', 'notes.txt'), 'not an image');
    await writeFile(path.join(dir, 'shots.md'), '# Shots\n\n![The tools page](images/shot.png)\n');
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

  test('Markdown images point at /docs/images, which serves only the PNGs there when the route was built', async () => {
    const { body } = await rawGet(base, '/docs/shots');
    expect(body).toContain('<img src="/docs/images/shot.png" alt="The tools page">');
    const image = await rawGetBytes(base, '/docs/images/shot.png');
    expect(image).toMatchObject({ status: 200, type: 'image/png' });
    expect(image.body.equals(PIXEL_PNG)).toBe(true);
    expect((await rawGet(base, '/docs/images/notes.txt')).status).toBe(404);
    await writeFile(path.join(dir, 'images', 'late.png'), PIXEL_PNG);
    expect((await rawGet(base, '/docs/images/late.png')).status).toBe(404);
  });

  test('a page added after the route was built is not served', async () => {
    await writeFile(path.join(dir, 'late.md'), '# Late\n');
    expect((await rawGet(base, '/docs/late')).status).toBe(404);
  });
});

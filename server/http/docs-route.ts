/**
 * GET /docs[/page]: the Markdown pages of docs/ as HTML. Only pages named in docs/ when the route is
 * built can be served (a page name is a plain slug, never a path), so no URL reaches another file.
 * Raw HTML in the Markdown is shown as text: the pages render what they say, nothing more.
 * Screenshots (docs/images/*.png, copied from the e2e run by `npm run docs:screenshots`) are
 * served the same way: only PNGs that were there when the route was built.
 */
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Marked, type Tokens } from 'marked';
import type { Route } from './node-handler.ts';

const DOCS_DIR = fileURLToPath(new URL('../../docs/', import.meta.url));
const PAGE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const IMAGE_NAME = /^[a-z0-9][a-z0-9-]{0,63}\.png$/;
const IMAGES_PREFIX = '/docs/images/';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s+/g, '-');
}

/** `images/x.png` → `/docs/images/x.png`: relative to the page on GitHub, absolute here (`/docs` has no slash). */
function imageLink(href: string): string {
  const match = /^(?:\.\/)?images\/([^/]+)$/.exec(href);
  return match && IMAGE_NAME.test(match[1]!) ? `${IMAGES_PREFIX}${match[1]}` : href;
}

/** `tools.md#x` → `/docs/tools#x`, so links work both on GitHub and here. */
function pageLink(href: string): string {
  const match = /^(?:\.\/)?([A-Za-z0-9-]+)\.md(#.*)?$/.exec(href);
  if (!match) return href;
  return `/docs${match[1] === 'README' ? '' : `/${match[1]}`}${match[2] ?? ''}`;
}

function createRenderer(): Marked {
  return new Marked({
    gfm: true,
    walkTokens(token) {
      if (token.type === 'link') (token as Tokens.Link).href = pageLink((token as Tokens.Link).href);
      if (token.type === 'image') (token as Tokens.Image).href = imageLink((token as Tokens.Image).href);
    },
    renderer: {
      html({ text }) {
        return escapeHtml(text);
      },
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens);
        return `<h${depth} id="${escapeHtml(slug(inner))}">${inner}</h${depth}>\n`;
      },
    },
  });
}

const STYLE = `body{font:16px/1.55 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;color:#1d2330}
a{color:#2457c5}nav{margin-bottom:1rem}code{background:#eef1f6;padding:.1em .3em;border-radius:3px;font-size:.92em}
pre{background:#eef1f6;padding:.8rem;overflow:auto}pre code{background:none;padding:0}
table{border-collapse:collapse;display:block;overflow:auto}td,th{border:1px solid #cfd6e2;padding:.3rem .5rem;vertical-align:top;text-align:left}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Switchboard docs</title><style>${STYLE}</style></head>
<body><nav><a href="/docs">Switchboard documentation</a></nav><main>${body}</main></body></html>`;
}

export async function docsRoute(directory = DOCS_DIR): Promise<Route> {
  const files = await readdir(directory).catch(() => [] as string[]);
  const pages = new Set(files.filter((file) => file.endsWith('.md')).map((file) => file.slice(0, -3)));
  const imageFiles = await readdir(`${directory}/images`).catch(() => [] as string[]);
  const images = new Set(imageFiles.filter((file) => IMAGE_NAME.test(file)));
  const rendered = new Map<string, string>();
  const marked = createRenderer();

  async function render(name: string): Promise<string> {
    const cached = rendered.get(name);
    if (cached) return cached;
    const markdown = await readFile(`${directory}/${name}.md`, 'utf8');
    const title = /^#\s+(.+)$/m.exec(markdown)?.[1] ?? name;
    const html = page(title, await marked.parse(markdown));
    rendered.set(name, html);
    return html;
  }

  return {
    prefix: '/docs',
    async handle(req, res) {
      const pathname = (req.url ?? '/docs').split('?')[0] ?? '/docs';
      if (pathname.startsWith(IMAGES_PREFIX)) return serveImage(req, res, pathname.slice(IMAGES_PREFIX.length));
      const rest = pathname.slice('/docs'.length).replace(/^\//, '').replace(/\.md$/, '');
      const name = rest === '' ? 'README' : rest;
      const known = pages.has(name) && (name === 'README' || PAGE_NAME.test(name));
      if (pathname !== '/docs' && !pathname.startsWith('/docs/')) return notFound(res);
      if (!known) return notFound(res);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET a page');
        return;
      }
      const html = await render(name);
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
          'x-content-type-options': 'nosniff',
        })
        .end(req.method === 'HEAD' ? undefined : html);
    },
  };

  async function serveImage(req: Request, res: Response, name: string): Promise<void> {
    if (!images.has(name)) return notFound(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET an image');
      return;
    }
    const bytes = await readFile(`${directory}/images/${name}`).catch(() => null);
    if (!bytes) return notFound(res);
    res
      .writeHead(200, {
        'content-type': 'image/png',
        'content-length': bytes.byteLength,
        'cache-control': 'public, max-age=3600',
        'x-content-type-options': 'nosniff',
      })
      .end(req.method === 'HEAD' ? undefined : bytes);
  }
}

type Request = Parameters<Route['handle']>[0];
type Response = Parameters<Route['handle']>[1];

function notFound(res: Parameters<Route['handle']>[1]): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('no such documentation page');
}

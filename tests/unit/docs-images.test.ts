/**
 * The docs' screenshots: every Markdown image in docs/*.md names a file that exists (the pages are
 * read on GitHub and served at /docs, whose CSP allows only its own images), and docs/images holds
 * exactly the screenshots `npm run docs:screenshots` copies, each shown somewhere.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { DOCS_SCREENSHOTS } from '../../script/docs-screenshots.ts';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const IMAGE = /!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

interface ImageLink {
  page: string;
  line: number;
  target: string;
}

function imageLinks(page: string, markdown: string): ImageLink[] {
  return markdown
    .split('\n')
    .flatMap((text, index) => [...text.matchAll(IMAGE)].map((match) => ({ page, line: index + 1, target: match[1]! })));
}

/** `page:line → target` for each image that is remote or names no file under `root`. */
function brokenImageLinks(links: ImageLink[], root: string, exists: (file: string) => boolean): string[] {
  return links
    .filter((link) => /^[a-z]+:/i.test(link.target) || !exists(path.resolve(root, decodeURI(link.target))))
    .map((link) => `${link.page}:${link.line} → ${link.target}`);
}

const pages = readdirSync(DOCS).filter((file) => file.endsWith('.md'));
const links = pages.flatMap((page) => imageLinks(page, readFileSync(path.join(DOCS, page), 'utf8')));

describe('images in the docs', () => {
  test('every Markdown image link points at a file in docs/', () => {
    expect(links.length).toBeGreaterThan(0);
    expect(brokenImageLinks(links, DOCS, existsSync)).toEqual([]);
  });

  test('the check finds a missing or remote image', () => {
    const probe = imageLinks(
      'probe.md',
      '# P\n\n![ok](images/tools-desktop.png)\n![gone](images/gone.png) and ![web](https://example.com/x.png "t")\n',
    );
    expect(brokenImageLinks(probe, DOCS, existsSync)).toEqual([
      'probe.md:4 → images/gone.png',
      'probe.md:4 → https://example.com/x.png',
    ]);
  });

  test('docs/images holds exactly the screenshots docs:screenshots copies, each one shown', () => {
    const files = readdirSync(path.join(DOCS, 'images')).sort();
    expect(files).toEqual([...DOCS_SCREENSHOTS].sort());
    const shown = new Set(links.map((link) => path.basename(link.target)));
    expect(files.filter((file) => !shown.has(file))).toEqual([]);
  });
});

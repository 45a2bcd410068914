/**
 * The dashboard's weight: for every route, the JavaScript a first visit loads
 * before it can render (SvelteKit's entry, the app, the root layout and the
 * route's node with their static imports), raw and compressed (brotli and
 * gzip, as the server sends them), beside the framework's own entry measured
 * the same way. Lazily imported chunks (CodeMirror, its language packs) load
 * on demand and are listed apart. Needs `npm run build`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const WEB = path.resolve(import.meta.dirname, '../web');
const OUTPUT = path.join(WEB, '.svelte-kit/output/client');
const MANIFEST = path.join(OUTPUT, '.vite/manifest.json');
const APP = '.svelte-kit/generated/build/client-optimized/app.js';
const NODES = '.svelte-kit/generated/build/client-optimized/nodes';
/** The budget for any route, compressed. */
const BUDGET_KB = 250;

interface Chunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  isEntry?: boolean;
}

interface Weight {
  raw: number;
  brotli: number;
  gzip: number;
}

function weigh(manifest: Record<string, Chunk>, keys: Set<string>): Weight {
  const total: Weight = { raw: 0, brotli: 0, gzip: 0 };
  for (const key of keys) {
    const bytes = readFileSync(path.join(OUTPUT, manifest[key]!.file));
    total.raw += bytes.byteLength;
    total.brotli += brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).byteLength;
    total.gzip += gzipSync(bytes, { level: 9 }).byteLength;
  }
  return total;
}

function closure(manifest: Record<string, Chunk>, roots: string[], into = new Set<string>()): Set<string> {
  const visit = (key: string): void => {
    if (into.has(key) || !manifest[key]) return;
    into.add(key);
    for (const imported of manifest[key].imports ?? []) visit(imported);
  };
  for (const root of roots) visit(root);
  return into;
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(1).padStart(7);

export function runDashboardWeight(): void {
  console.log('## Dashboard weight: JavaScript loaded before each route renders');
  if (!existsSync(MANIFEST)) {
    console.log('(skipped: run `npm run build` first)');
    return;
  }
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, Chunk>;
  const entry = Object.keys(manifest).find((key) => key.endsWith('client/entry.js') && manifest[key]!.isEntry);
  // The entry is a stub that imports SvelteKit's client at once: both load on every first visit.
  const shell = [entry, ...(entry ? (manifest[entry]!.dynamicImports ?? []) : []), APP].filter(
    (key): key is string => key !== undefined,
  );
  const baseline = weigh(manifest, closure(manifest, shell));
  const appSource = readFileSync(path.join(WEB, APP), 'utf8');
  const dictionary = [...appSource.matchAll(/"([^"]+)":\s*\[(-?\d+)/g)].map(([, route, node]) => ({
    route: route!,
    node: Number(node),
  }));
  console.log(
    `budget:   ${BUDGET_KB} KB compressed (brotli) per route; baseline = SvelteKit's client and the generated app`,
  );
  console.log(`route                        raw KB  brotli KB  gzip KB  × baseline (brotli)`);
  console.log(`${'(baseline)'.padEnd(26)} ${kb(baseline.raw)} ${kb(baseline.brotli)}   ${kb(baseline.gzip)}      1.00`);
  let lazy = new Set<string>();
  for (const { route, node } of dictionary) {
    const roots = [...shell, `${NODES}/0.js`, `${NODES}/${Math.abs(node)}.js`];
    const keys = closure(manifest, roots);
    const weight = weigh(manifest, keys);
    for (const key of keys) for (const dynamic of manifest[key]!.dynamicImports ?? []) lazy.add(dynamic);
    const over = weight.brotli / 1024 > BUDGET_KB ? '  over budget' : '';
    console.log(
      `${route.padEnd(26)} ${kb(weight.raw)} ${kb(weight.brotli)}   ${kb(weight.gzip)}      ${(weight.brotli / baseline.brotli).toFixed(2)}${over}`,
    );
  }
  lazy = new Set([...lazy].filter((key) => !key.includes('/nodes/') && !shell.includes(key)));
  for (const key of lazy) {
    const weight = weigh(manifest, closure(manifest, [key]));
    console.log(`on demand: ${path.basename(key).padEnd(30)} ${kb(weight.raw)} raw ${kb(weight.brotli)} brotli`);
  }
}

if (import.meta.main) runDashboardWeight();

/**
 * /api/docs: a self-contained reference page that reads /api/openapi.json in the browser.
 * No CDN: it must work without internet access (see the README for why not a bundled viewer).
 */
const SCRIPT = `
const list = document.getElementById('operations');
fetch('/api/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('title').textContent = doc.info.title;
  document.getElementById('about').textContent = doc.info.description;
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const item = document.createElement('details');
      const summary = document.createElement('summary');
      summary.innerHTML = '<code class="m"></code> <code class="p"></code> <span></span>';
      summary.querySelector('.m').textContent = method.toUpperCase();
      summary.querySelector('.p').textContent = path;
      summary.querySelector('span').textContent = op.summary || '';
      const body = document.createElement('pre');
      body.textContent = JSON.stringify({ parameters: op.parameters, requestBody: op.requestBody, responses: op.responses }, null, 2);
      item.append(summary, body);
      list.append(item);
    }
  }
});`;

export function apiDocsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard REST API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>body{font:15px system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
summary{cursor:pointer;padding:.3rem 0}.m{font-weight:bold;display:inline-block;width:4rem}
pre{background:#f5f5f5;padding:.75rem;overflow:auto;font-size:12px}</style></head>
<body><h1 id="title">Switchboard REST API</h1><p id="about"></p>
<p>Authenticate with <code>Authorization: Bearer sb_…</code>. The machine-readable document is
<a href="/api/openapi.json">/api/openapi.json</a>.</p><div id="operations"></div>
<script type="module">${SCRIPT}</script></body></html>`;
}

/**
 * /api/docs: a self-contained reference page that reads /api/openapi.json in the browser.
 * No CDN: it must work without internet access (see the README for why not a bundled viewer).
 */
const SCRIPT = `
const list = document.getElementById('operations');
const el = (tag, text, className) => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
};
const typeOf = (schema) => {
  if (!schema) return 'any';
  if (schema.$ref) return schema.$ref.split('/').pop();
  if (schema.enum) return schema.enum.filter((v) => v !== null).join(' | ');
  const types = [].concat(schema.type ?? 'any').filter((t) => t !== 'null');
  if (types[0] === 'array') return typeOf(schema.items) + '[]';
  return types.join(' | ') || 'any';
};
const fields = (title, rows) => {
  const section = el('section');
  section.append(el('h4', title));
  const table = el('table');
  for (const [name, type, note] of rows) {
    const row = el('tr');
    row.append(el('td', name, 'n'), el('td', type, 't'), el('td', note ?? ''));
    table.append(row);
  }
  section.append(table);
  return section;
};
const properties = (schema) =>
  Object.entries(schema?.properties ?? {}).map(([name, property]) => [
    name + ((schema.required ?? []).includes(name) ? '' : '?'),
    typeOf(property),
    property.description,
  ]);
fetch('/api/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('title').textContent = doc.info.title;
  document.getElementById('about').textContent = doc.info.description;
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const item = el('details');
      item.id = op.operationId;
      const summary = el('summary');
      summary.append(el('code', method.toUpperCase(), 'm'), ' ', el('code', path, 'p'), ' ', el('span', op.summary ?? ''));
      item.append(summary);
      if (op.parameters?.length) {
        item.append(fields('Parameters', op.parameters.map((p) => [p.name + (p.required ? '' : '?'), p.in + ' · ' + typeOf(p.schema), p.description])));
      }
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body) item.append(fields('JSON body', properties(body)));
      const responses = Object.entries(op.responses).map(([status, response]) => {
        const success = response.content?.['application/json']?.schema;
        return [status, success ? typeOf(success) === 'object' ? 'object' : typeOf(success) : 'Problem', response.description ?? doc.components.responses[response.$ref?.split('/').pop()]?.description];
      });
      item.append(fields('Responses', responses));
      const success = Object.values(op.responses).find((r) => r.content?.['application/json'])?.content['application/json'].schema;
      const shape = success?.type === 'array' ? success.items : success?.properties?.items?.items ?? success;
      if (shape?.properties) item.append(fields('Response fields', properties(shape)));
      list.append(item);
    }
  }
});`;

export function apiDocsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard REST API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>body{font:15px system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
summary{cursor:pointer;padding:.35rem 0}.m{font-weight:bold;display:inline-block;width:4.2rem}
details{border-bottom:1px solid #e5e5e5}details[open]{padding-bottom:.75rem}
h4{margin:.75rem 0 .25rem;font-size:13px;text-transform:uppercase;color:#555}
table{border-collapse:collapse;font-size:13px;width:100%}td{padding:.2rem .5rem;vertical-align:top;border-top:1px solid #f0f0f0}
td.n{font-family:monospace;white-space:nowrap}td.t{font-family:monospace;color:#0b5394}</style></head>
<body><h1 id="title">Switchboard REST API</h1><p id="about"></p>
<p>Authenticate with <code>Authorization: Bearer sb_…</code> (an organization API key). Errors are
<code>application/problem+json</code>. The machine-readable document is
<a href="/api/openapi.json">/api/openapi.json</a>.</p><div id="operations"></div>
<script type="module">${SCRIPT}</script></body></html>`;
}

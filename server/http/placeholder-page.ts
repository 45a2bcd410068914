/** Served at / until the dashboard is built: says where the API is. */
export function placeholderPage(graphiql: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard</title>
<style>body{background:#0D1117;color:#E6EDF3;font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh}
main{background:#161B22;border:1px solid #30363D;border-radius:12px;padding:2rem;max-width:36rem}
h1{margin:0 0 .5rem;background:linear-gradient(90deg,#10B981,#A3FFAE);-webkit-background-clip:text;color:transparent}
p{color:#7D8590}code,a{color:#A3FFAE}</style></head>
<body><main><h1>Switchboard</h1>
<p>The GraphQL API is at <a href="/graphql"><code>/graphql</code></a>${graphiql ? ' (GraphiQL in the browser)' : ''}.
Authenticate with <code>Authorization: Bearer &lt;api key&gt;</code>.</p>
<p>The dashboard is not built yet.</p></main></body></html>`;
}

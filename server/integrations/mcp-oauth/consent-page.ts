/** The consent and error pages of the authorization endpoint: plain server-rendered HTML, no script. */

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Switchboard</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}dt{color:#59636e}dd{margin:0}
button{font:inherit;padding:.5rem 1.2rem;margin-right:.5rem;border-radius:6px;border:1px solid #8c959f;background:#f6f8fa;cursor:pointer}
button[value=approve]{background:#1f883d;border-color:#1f883d;color:#fff}</style></head>
<body>${body}</body></html>`;
}

export interface ConsentView {
  clientName: string;
  redirectHost: string;
  organizationName: string;
  assistantName: string;
  userEmail: string;
  role: string;
  /** Every authorization request parameter, echoed back with the decision. */
  fields: Record<string, string>;
  csrfToken: string;
}

export function consentPage(view: ConsentView): string {
  const hidden = Object.entries({ ...view.fields, csrf_token: view.csrfToken })
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('\n');
  return layout(
    'Allow access',
    `<h1>Allow ${escape(view.clientName)} to use this assistant's tools?</h1>
<dl>
<dt>Application</dt><dd>${escape(view.clientName)} (returns to ${escape(view.redirectHost)})</dd>
<dt>Organization</dt><dd>${escape(view.organizationName)}</dd>
<dt>Assistant</dt><dd>${escape(view.assistantName)}</dd>
<dt>Signed in as</dt><dd>${escape(view.userEmail)}</dd>
<dt>Acting with role</dt><dd>${escape(view.role)} (never more than your role in the organization)</dd>
</dl>
<form method="post" action="/oauth/authorize">
${hidden}
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

export function errorPage(message: string): string {
  return layout('Authorization failed', `<h1>Authorization failed</h1><p>${escape(message)}</p>`);
}

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { CloseCode } from 'graphql-ws';
import { describe, expect, test } from 'vitest';
import { EXECUTION_ERROR_CODES } from '../../server/executors/types.ts';

const ROOT = join(import.meta.dirname, '../..');
const DOC = readFileSync(join(ROOT, 'docs/troubleshooting.md'), 'utf8');
const HEADINGS = new Set([...DOC.matchAll(/^### (\S+)\s*$/gm)].map((match) => match[1]));

function sourceFiles(): { path: string; text: string }[] {
  const files = readdirSync(join(ROOT, 'server'), { recursive: true, encoding: 'utf8' });
  return files
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ path: `server/${file}`, text: readFileSync(join(ROOT, 'server', file), 'utf8') }));
}

/** The shapes in which the code base records or returns an error code; the capture is the code. */
const PATTERNS: RegExp[] = [
  // GraphQL extensions, error objects on executions, SSE error frames, JSON-RPC-less REST bodies.
  /\bcode: '([A-Z][A-Z0-9_]+)'/g,
  // Typed errors whose first argument is the code: AccessError, GuardedFetchError, OAuth's GrantError …
  /\bnew \w*Error\('([A-Z][A-Z0-9_]+|[a-z]+_[a-z_]+)'/g,
  // Executor and sandbox helpers that build a failure from a code.
  /\b(?:failure|fail)\('([A-Z][A-Z0-9_]+)'/g,
  // The integration routes: fail(res, status, 'CODE', message).
  /\bfail\(res, [^,]+, '([A-Z][A-Z0-9_]+)'/g,
  // REST problem details.
  /\bproblem\('([A-Z][A-Z0-9_]+)'/g,
  /^\s+([A-Z][A-Z0-9_]+): [45]\d\d,$/gm,
  /^\s+[A-Z]\w+Error: '([A-Z][A-Z0-9_]+)',$/gm,
  /\bcode \?\? '([A-Z][A-Z0-9_]+)'/g,
  // Raw HTTP answers to malformed requests: [status, 'CODE', message].
  /\[\d{3}, '([A-Z][A-Z0-9_]+)'/g,
  // OAuth 2.0 error responses (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 6750 §3).
  /\berror: '([a-z][a-z_]+)'/g,
  /\brefuse\(res, '([a-z][a-z_]+)'/g,
  /\berror="([a-z][a-z_]+)"/g,
  // WebSocket close codes, literal or named.
  /\.close\((\d{4})/g,
  /_CLOSE_CODE = (\d{4})/g,
  // JSON-RPC error codes the MCP endpoint sends itself.
  /= (-32\d{3});/g,
];

const NAMED: { pattern: RegExp; values: Record<string, unknown> }[] = [
  { pattern: /\bCloseCode\.(\w+)/g, values: { ...CloseCode } },
  { pattern: /\bErrorCode\.(\w+)/g, values: { ...ErrorCode } },
];

/**
 * Literals the patterns catch that are not error codes: `code: 'CODE'` in the legacy
 * tool import map a tool type; ENOTFOUND is a Node DNS error the Lambda resolver hands
 * back to the AWS SDK, never shown to anyone; `rate_limited` is a registration failure answered as
 * invalid_client_metadata.
 */
const NOT_ERROR_CODES = new Set(['CODE', 'ENOTFOUND', 'rate_limited']);

function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const { path, text } of sourceFiles()) {
    for (const pattern of PATTERNS) {
      for (const [, code] of text.matchAll(pattern)) if (code && !found.has(code)) found.set(code, path);
    }
    for (const { pattern, values } of NAMED) {
      for (const [, name] of text.matchAll(pattern)) {
        const code = name ? values[name] : undefined;
        if (typeof code === 'number' && !found.has(String(code))) found.set(String(code), path);
      }
    }
  }
  for (const code of NOT_ERROR_CODES) found.delete(code);
  return found;
}

describe('docs/troubleshooting.md', () => {
  test('has an entry for every execution error code', () => {
    const missing = EXECUTION_ERROR_CODES.filter((code) => !HEADINGS.has(code));
    expect(missing).toEqual([]);
  });

  test('has an entry for every error code the server records or returns', () => {
    const found = codesInSource();
    // The scan itself must work: these come from four different shapes.
    for (const code of ['FORBIDDEN', 'METHOD_NOT_ALLOWED', 'invalid_grant', '4403', '-32602', 'SSRF_BLOCKED']) {
      expect(found.has(code), code).toBe(true);
    }
    const missing = [...found].filter(([code]) => !HEADINGS.has(code)).map(([code, path]) => `${code} (${path})`);
    expect(missing).toEqual([]);
  });

  test('each entry says where it appears, its cause and its fix', () => {
    const sections = DOC.split(/^### /m).slice(1);
    const incomplete = sections
      .filter(
        (section) => !/\*\*Where\*\*/.test(section) || !/\*\*Cause\*\*/.test(section) || !/\*\*Fix\*\*/.test(section),
      )
      .map((section) => section.split('\n')[0]);
    expect(incomplete).toEqual([]);
  });
});

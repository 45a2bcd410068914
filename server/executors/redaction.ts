/**
 * Scrubs resolved secret values out of what an executor records. Secrets can
 * appear encoded (percent-encoded in a URL, escaped inside JSON, base64 as in
 * Basic auth, whose `user:password` the endpoint executor registers as a value
 * of its own), so each value is removed in every spelling the engine produces.
 */
import type { JsonValue } from './types.ts';

export const REDACTED = '[REDACTED]';

export interface Redactor {
  text(value: string): string;
  json(value: JsonValue): JsonValue;
}

function spellings(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ v: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];
}

export function createRedactor(secrets: Iterable<string>): Redactor {
  const needles = [...new Set([...secrets].filter((secret) => secret !== '').flatMap(spellings))]
    // Longest first, so a secret that contains another is removed whole.
    .sort((a, b) => b.length - a.length);

  const text = (value: string): string =>
    needles.reduce((result, needle) => (result.includes(needle) ? result.split(needle).join(REDACTED) : result), value);

  const json = (value: JsonValue): JsonValue => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(json);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [text(key), json(item)]));
    }
    return value;
  };

  return { text, json };
}

/**
 * Per-execution tokens: bound to one execution and one purpose, derived from
 * the master key (a different key yields different tokens), checked in constant
 * time, and never accepting anything malformed.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createExecutionTokens, executionLinks } from '../../server/executions/execution-tokens.ts';

const key = Buffer.alloc(32, 3);

describe('execution tokens', () => {
  const tokens = createExecutionTokens(key);
  const id = randomUUID();

  it('verifies a token for its execution and purpose only', () => {
    const progress = tokens.mint(id, 'progress');
    expect(tokens.verify(id, 'progress', progress)).toBe(true);
    expect(tokens.verify(id, 'callback', progress)).toBe(false);
    expect(tokens.verify(randomUUID(), 'progress', progress)).toBe(false);
    expect(tokens.mint(id, 'progress')).toBe(progress);
    expect(tokens.mint(id, 'callback')).not.toBe(progress);
  });

  it('depends on the master key', () => {
    const other = createExecutionTokens(Buffer.alloc(32, 4));
    expect(other.verify(id, 'callback', tokens.mint(id, 'callback'))).toBe(false);
  });

  it('refuses malformed and altered tokens', () => {
    const token = tokens.mint(id, 'callback');
    const altered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const bad of [
      '',
      'sbx_',
      token.slice(0, -1),
      `${token}A`,
      altered,
      token.replace('sbx_', 'xyz_'),
      'é'.repeat(47),
    ])
      expect(tokens.verify(id, 'callback', bad)).toBe(false);
  });

  it('builds the reporting URLs under the public base', () => {
    const links = executionLinks('https://switchboard.example.com/', tokens, id);
    expect(links.progressUrl).toBe(`https://switchboard.example.com/v1/executions/${id}/progress`);
    expect(links.callbackUrl).toBe(`https://switchboard.example.com/v1/executions/${id}/callback`);
    expect(tokens.verify(id, 'progress', links.progressToken)).toBe(true);
    expect(tokens.verify(id, 'callback', links.callbackToken)).toBe(true);
  });
});

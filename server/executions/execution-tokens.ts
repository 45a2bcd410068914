/**
 * Per-execution credentials for what a running tool may report back: progress
 * (endpoint tools, Lambda functions) and the final result of a Lambda Event
 * invocation. A token is HMAC-SHA256(execution id, purpose) under a key derived
 * from the master key with HKDF, so nothing is stored, every instance can check
 * it, and a token names exactly one execution and one purpose.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { ReportingLinks } from '../executors/types.ts';

export type TokenPurpose = 'progress' | 'callback';

export interface ExecutionTokens {
  mint(executionId: string, purpose: TokenPurpose): string;
  /** Constant-time; false for anything malformed. */
  verify(executionId: string, purpose: TokenPurpose, presented: string): boolean;
}

/** HKDF `info`: a key for this use only, never the one that encrypts secrets. */
const KEY_INFO = 'switchboard execution tokens v1';
const KEY_BYTES = 32;
const TOKEN_PREFIX = 'sbx_';
/** base64url of a SHA-256 digest. */
const TOKEN_LENGTH = TOKEN_PREFIX.length + 43;

export function createExecutionTokens(masterKey: Buffer): ExecutionTokens {
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), KEY_INFO, KEY_BYTES));
  const digest = (executionId: string, purpose: TokenPurpose): Buffer =>
    createHmac('sha256', key).update(`${purpose}\n${executionId}`).digest();
  return {
    mint: (executionId, purpose) => TOKEN_PREFIX + digest(executionId, purpose).toString('base64url'),
    verify(executionId, purpose, presented) {
      if (presented.length !== TOKEN_LENGTH || !presented.startsWith(TOKEN_PREFIX)) return false;
      const given = Buffer.from(presented.slice(TOKEN_PREFIX.length), 'base64url');
      const expected = digest(executionId, purpose);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** What a running tool is told about reporting back: the URLs and the tokens that open them. */
export function executionLinks(baseUrl: string, tokens: ExecutionTokens, executionId: string): ReportingLinks {
  const base = `${baseUrl.replace(/\/+$/, '')}/v1/executions/${encodeURIComponent(executionId)}`;
  return {
    progressUrl: `${base}/progress`,
    progressToken: tokens.mint(executionId, 'progress'),
    callbackUrl: `${base}/callback`,
    callbackToken: tokens.mint(executionId, 'callback'),
  };
}

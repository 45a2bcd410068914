import { hash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'sb_';
/** Characters of a key kept in clear so people can tell keys apart. */
const VISIBLE_PREFIX_LENGTH = 11;

/** One-shot `hash()`: every API request hashes its key, and a Hash object per call cost three times as much. */
export function sha256(value: string): string {
  return hash('sha256', value, 'hex');
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `${API_KEY_PREFIX}${randomToken(30)}`;
  return { key, prefix: key.slice(0, VISIBLE_PREFIX_LENGTH), hash: sha256(key) };
}

export function apiKeyParts(key: string): { prefix: string; hash: string } {
  return { prefix: key.slice(0, VISIBLE_PREFIX_LENGTH), hash: sha256(key) };
}

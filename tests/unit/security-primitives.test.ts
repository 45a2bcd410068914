import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { diffObjects } from '../../server/audit/audit-log.ts';
import { hashPassword, verifyPassword } from '../../server/security/passwords.ts';
import { createSecretCipher, parseMasterKey } from '../../server/security/secret-cipher.ts';
import { apiKeyParts, generateApiKey } from '../../server/security/tokens.ts';

describe('passwords', () => {
  test('scrypt hashes verify only the right password', async () => {
    const hash = await hashPassword('hunter2 hunter2');
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('hunter2 hunter2', hash)).toBe(true);
    expect(await verifyPassword('hunter3 hunter3', hash)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});

describe('secret cipher', () => {
  const cipher = createSecretCipher(randomBytes(32));
  test('round-trips, randomises, and binds the organization', () => {
    const a = cipher.encrypt('org-a', 'value');
    const b = cipher.encrypt('org-a', 'value');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(cipher.decrypt('org-a', a)).toBe('value');
    expect(() => cipher.decrypt('org-b', a)).toThrow();
    const tampered = Buffer.from(a);
    tampered[14] = (tampered[14] ?? 0) ^ 1;
    expect(() => cipher.decrypt('org-a', tampered)).toThrow();
  });

  test('master keys must be 32 bytes in hex or base64', () => {
    expect(parseMasterKey('ab'.repeat(32))).toHaveLength(32);
    expect(parseMasterKey(randomBytes(32).toString('base64'))).toHaveLength(32);
    expect(() => parseMasterKey('short')).toThrow(/32 bytes/);
  });
});

describe('API keys', () => {
  test('only the hash identifies a key; the prefix is for humans', () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key.startsWith('sb_')).toBe(true);
    expect(apiKeyParts(key)).toEqual({ prefix, hash });
    expect(hash).not.toContain(key.slice(3));
  });
});

describe('audit diffs', () => {
  test('keep only changed fields and redact sensitive ones', () => {
    const diff = diffObjects(
      { name: 'a', same: 1, auth: { token: 'old' } },
      { name: 'b', same: 1, auth: { token: 'new' }, password: 'p' },
    );
    expect(diff).toEqual({
      name: { before: 'a', after: 'b' },
      auth: { before: { token: '[REDACTED]' }, after: { token: '[REDACTED]' } },
      password: '[REDACTED]',
    });
  });
});

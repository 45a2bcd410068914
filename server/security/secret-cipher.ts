/**
 * AES-256-GCM for stored secrets. Stored layout: iv (12) || ciphertext || tag (16).
 * The organization id is bound as additional authenticated data, so a value
 * copied into another organization's row fails to decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const KEY_LENGTH = 32;

export interface SecretCipher {
  encrypt(organizationId: string, plaintext: string): Uint8Array<ArrayBuffer>;
  decrypt(organizationId: string, stored: Uint8Array): string;
}

export function parseMasterKey(raw: string): Buffer {
  const trimmed = raw.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_LENGTH) {
    throw new Error('SWITCHBOARD_MASTER_KEY must be 32 bytes, as 64 hex characters or base64');
  }
  return key;
}

/** Embedded mode: the key lives beside the data, created once with 0600 permissions. */
export async function loadOrCreateMasterKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'master.key');
  try {
    return parseMasterKey(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_LENGTH);
  await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  return key;
}

export function createSecretCipher(key: Buffer): SecretCipher {
  if (key.length !== KEY_LENGTH) throw new Error('secret cipher key must be 32 bytes');
  return {
    encrypt(organizationId, plaintext) {
      const iv = randomBytes(IV_LENGTH);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(organizationId));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
    },
    decrypt(organizationId, stored) {
      const data = Buffer.from(stored);
      const iv = data.subarray(0, IV_LENGTH);
      const tag = data.subarray(data.length - TAG_LENGTH);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(organizationId));
      decipher.setAuthTag(tag);
      return Buffer.concat([
        decipher.update(data.subarray(IV_LENGTH, data.length - TAG_LENGTH)),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}

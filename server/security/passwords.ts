import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { AccessError, ValidationError } from '../errors.ts';

type ScryptOptions = { N: number; r: number; p: number; maxmem: number };
const scryptCall = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
) => Promise<Buffer>;

/**
 * scrypt runs on libuv's small thread pool (shared with DNS and file I/O): at most this many at once,
 * whatever the number of logins in flight, and a bounded queue behind them.
 */
export const SCRYPT_CONCURRENCY = 2;
export const SCRYPT_QUEUE_LIMIT = 8;
const scryptSlots = pLimit(SCRYPT_CONCURRENCY);

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  if (scryptSlots.pendingCount >= SCRYPT_QUEUE_LIMIT) {
    return Promise.reject(new AccessError('RATE_LIMITED', 'too many sign-ins in progress; try again in a moment'));
  }
  return scryptSlots(() => scryptCall(password, salt, keylen, options));
}

/** How many password hashes are running and waiting (for tests and diagnostics). */
export function passwordHashingLoad(): { active: number; pending: number } {
  return { active: scryptSlots.activeCount, pending: scryptSlots.pendingCount };
}

/** OWASP's scrypt minimum (N=2^17, r=8, p=1). */
const PARAMS = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 64;
const MAX_MEMORY = 256 * 1024 * 1024;

/** For new passwords (sign-up, change, reset, new accounts by invitation); NIST 800-63B asks at least 8. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LENGTH, { ...PARAMS, maxmem: MAX_MEMORY });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash || password.length > MAX_PASSWORD_LENGTH) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAX_MEMORY,
  });
  return timingSafeEqual(actual, expected);
}

/** The length rule every new password meets; a ValidationError on `field` otherwise. */
export function checkNewPassword(password: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError([{ field, message: `must be ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters` }]);
  }
}

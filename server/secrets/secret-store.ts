/**
 * Organization-scoped secrets: write-only through the API (names are listable,
 * values never returned), decrypted only at execution time.
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { Secret } from '../db/generated/prisma/client.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { SecretAccess } from '../executors/types.ts';
import type { SecretCipher } from '../security/secret-cipher.ts';
import { SECRET_NAME_PATTERN, SECRET_VALUE_MAX_BYTES } from '../tools/limits.ts';

export const SECRETS_PER_ORGANIZATION = 500;

export interface SecretDeps {
  prisma: Prisma;
  cipher: SecretCipher;
}

export async function setSecret(deps: SecretDeps, actor: Actor, name: string, value: string): Promise<Secret> {
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw new ValidationError([
      { field: 'name', message: 'must start with a letter or "_" and contain only letters, digits and "_" (max 128)' },
    ]);
  }
  if (value.length === 0 || Buffer.byteLength(value) > SECRET_VALUE_MAX_BYTES) {
    throw new ValidationError([{ field: 'value', message: `must be 1 byte to ${SECRET_VALUE_MAX_BYTES / 1024} KB` }]);
  }
  const encryptedValue = deps.cipher.encrypt(actor.organizationId, value);
  return deps.prisma.$transaction(async (tx) => {
    const existing = await tx.secret.findUnique({
      where: { organizationId_name: { organizationId: actor.organizationId, name } },
      select: { id: true },
    });
    if (
      !existing &&
      (await tx.secret.count({ where: { organizationId: actor.organizationId } })) >= SECRETS_PER_ORGANIZATION
    ) {
      throw new ValidationError([
        { field: 'name', message: `an organization can have at most ${SECRETS_PER_ORGANIZATION} secrets` },
      ]);
    }
    const secret = await tx.secret.upsert({
      where: { organizationId_name: { organizationId: actor.organizationId, name } },
      create: { organizationId: actor.organizationId, name, encryptedValue },
      update: { encryptedValue },
    });
    // The audit entry names the secret; the value never leaves this function.
    await recordAudit(tx, actor, {
      action: existing ? 'secret.replace' : 'secret.create',
      entityType: 'Secret',
      entityId: secret.id,
      after: { name },
    });
    return secret;
  });
}

export async function deleteSecret(deps: SecretDeps, actor: Actor, name: string): Promise<Secret> {
  const secret = await deps.prisma.secret.findUnique({
    where: { organizationId_name: { organizationId: actor.organizationId, name } },
  });
  if (!secret) throw new NotFoundError('Secret');
  await deps.prisma.$transaction(async (tx) => {
    await tx.secret.delete({ where: { id: secret.id } });
    await recordAudit(tx, actor, {
      action: 'secret.delete',
      entityType: 'Secret',
      entityId: secret.id,
      before: { name },
    });
  });
  return secret;
}

/** Execution-time access for one organization; remembers what it handed out so it can be redacted. */
export function secretAccess(deps: SecretDeps, organizationId: string): SecretAccess & { revealed(): string[] } {
  const cache = new Map<string, string | undefined>();
  const derived = new Set<string>();
  return {
    async get(name) {
      if (!cache.has(name)) {
        const row = SECRET_NAME_PATTERN.test(name)
          ? await deps.prisma.secret.findUnique({ where: { organizationId_name: { organizationId, name } } })
          : null;
        cache.set(name, row ? deps.cipher.decrypt(organizationId, row.encryptedValue) : undefined);
      }
      return cache.get(name);
    },
    reveal(value) {
      if (value.length > 0) derived.add(value);
    },
    revealed() {
      const values = [...cache.values(), ...derived];
      return values.filter((value): value is string => typeof value === 'string' && value.length > 0);
    },
  };
}

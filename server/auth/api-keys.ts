import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { ApiKey } from '../db/generated/prisma/client.ts';
import { isUuid } from '../db/json.ts';
import { AccessError, NotFoundError, ValidationError } from '../errors.ts';
import { hasRole, type RoleName } from '../security/roles.ts';
import { securityActor, securityEventsOf } from '../security/security-events.ts';
import { generateApiKey } from '../security/tokens.ts';
import { accountableUserId } from './accountable-user.ts';
import { forgetApiKey } from './api-key-cache.ts';

export const API_KEYS_PER_ORGANIZATION = 100;

/** Returns the stored key and the full key, which is shown this once and never again. */
export async function createApiKey(
  prisma: Prisma,
  actor: Actor,
  input: { name: string; role?: RoleName | null; expiresAt?: Date | null },
): Promise<{ apiKey: ApiKey; key: string }> {
  const role = input.role ?? 'MEMBER';
  if (input.name.trim().length < 1 || input.name.length > 100) {
    throw new ValidationError([{ field: 'name', message: 'must be 1-100 characters' }]);
  }
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw new ValidationError([{ field: 'expiresAt', message: 'must be in the future' }]);
  }
  // Nobody mints a key stronger than themselves.
  if (!hasRole(actor.role, role)) {
    throw new AccessError('FORBIDDEN', `you cannot create a key with the ${role} role`);
  }
  const active = await prisma.apiKey.count({ where: { organizationId: actor.organizationId, revokedAt: null } });
  if (active >= API_KEYS_PER_ORGANIZATION) {
    throw new ValidationError([
      { field: 'name', message: `an organization can have at most ${API_KEYS_PER_ORGANIZATION} active keys` },
    ]);
  }
  const createdById = await accountableUserId(prisma, actor);
  if (!createdById) throw new AccessError('FORBIDDEN', 'only a key with a person behind it can create keys');
  const generated = generateApiKey();
  const apiKey = await prisma.$transaction(async (tx) => {
    const created = await tx.apiKey.create({
      data: {
        organizationId: actor.organizationId,
        name: input.name.trim(),
        prefix: generated.prefix,
        keyHash: generated.hash,
        role,
        createdById,
        expiresAt: input.expiresAt ?? null,
      },
    });
    await recordAudit(tx, actor, {
      action: 'apiKey.create',
      entityType: 'ApiKey',
      entityId: created.id,
      after: { name: created.name, prefix: created.prefix, role, expiresAt: created.expiresAt?.toISOString() ?? null },
    });
    return created;
  });
  securityEventsOf(prisma).record({
    kind: 'API_KEY_CREATED',
    organizationId: actor.organizationId,
    actor: securityActor(actor),
    subject: { type: 'apiKey', id: apiKey.id },
    details: { name: apiKey.name, prefix: apiKey.prefix, role },
  });
  return { apiKey, key: generated.key };
}

export async function revokeApiKey(prisma: Prisma, actor: Actor, id: string): Promise<ApiKey> {
  const key = isUuid(id)
    ? await prisma.apiKey.findFirst({ where: { id, organizationId: actor.organizationId } })
    : null;
  if (!key) throw new NotFoundError('ApiKey');
  if (key.revokedAt) return key;
  const revoked = await prisma.$transaction(async (tx) => {
    const revoked = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    await recordAudit(tx, actor, {
      action: 'apiKey.revoke',
      entityType: 'ApiKey',
      entityId: id,
      before: { prefix: key.prefix },
    });
    return revoked;
  });
  forgetApiKey(prisma, id);
  securityEventsOf(prisma).record({
    kind: 'API_KEY_REVOKED',
    organizationId: actor.organizationId,
    actor: securityActor(actor),
    subject: { type: 'apiKey', id },
    details: { name: key.name, prefix: key.prefix },
  });
  return revoked;
}

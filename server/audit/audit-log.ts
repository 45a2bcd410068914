import type { Actor } from '../actor.ts';
import type { Prisma } from '../db/database.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { redactSensitive } from './redact.ts';

type Tx = Pick<Prisma, 'auditLog'>;

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string | null;
  before?: JsonObject | null;
  after?: JsonObject | null;
}

/** Only the fields that changed, each as { before, after }, with sensitive values redacted. */
export function diffObjects(before: JsonObject | null | undefined, after: JsonObject | null | undefined): JsonObject {
  const diff: JsonObject = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of keys) {
    const a = before?.[key] ?? null;
    const b = after?.[key] ?? null;
    if (JSON.stringify(a) !== JSON.stringify(b)) diff[key] = { before: a, after: b };
  }
  return redactSensitive(diff) as JsonObject;
}

export async function recordAudit(tx: Tx, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: {
      organizationId: actor.organizationId,
      actorUserId: actor.userId,
      actorApiKeyId: actor.apiKeyId,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      diff: diffObjects(entry.before, entry.after) as JsonValue as object,
    },
  });
}

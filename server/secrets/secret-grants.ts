/**
 * Secret grants: a tool may read a secret only when an ADMIN granted that
 * secret to that tool, for the tool's surface as it was then (secret-surface.ts).
 * Whoever can edit a tool (a MEMBER) cannot make a granted secret go anywhere an
 * ADMIN did not see: a change to the surface leaves the grant suspended until
 * an ADMIN approves it again, and execution refuses ungranted or suspended
 * secrets (SECRET_NOT_GRANTED) before anything runs.
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { Prisma as P, SecretGrant, Tool } from '../db/generated/prisma/client.ts';
import { isUuid, toJson } from '../db/json.ts';
import { AccessError, ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { JsonObject, JsonValue, SecretAccess } from '../executors/types.ts';
import { hasRole } from '../security/roles.ts';
import { securityActor, securityEventsOf } from '../security/security-events.ts';
import { SECRET_NAME_PATTERN } from '../tools/limits.ts';
import {
  referencedSecretNames,
  sameSurface,
  secretSurface,
  surfaceChanges,
  type SurfaceChange,
} from './secret-surface.ts';

type Tx = P.TransactionClient;

export type GrantStatus = 'ACTIVE' | 'SUSPENDED';

/** A grant as an ADMIN reviews it: suspended when the tool's surface moved, with what changed since. */
export interface GrantView {
  grant: SecretGrant;
  tool: Pick<Tool, 'id' | 'name' | 'type' | 'version' | 'configuration'>;
  status: GrantStatus;
  changes: SurfaceChange[];
}

export function viewGrant(grant: SecretGrant, tool: GrantView['tool']): GrantView {
  const current = secretSurface(tool.type, tool.configuration as JsonValue);
  const changes = surfaceChanges(grant.approvedSurface as JsonValue, current);
  return { grant, tool, status: changes.length === 0 ? 'ACTIVE' : 'SUSPENDED', changes };
}

function assertAdmin(actor: Actor): void {
  if (!hasRole(actor.role, 'ADMIN')) throw new AccessError('FORBIDDEN', 'granting secrets requires the ADMIN role');
}

async function ownTool(prisma: Prisma | Tx, actor: Actor, toolId: string): Promise<Tool> {
  const tool = isUuid(toolId)
    ? await prisma.tool.findFirst({ where: { id: toolId, organizationId: actor.organizationId } })
    : null;
  if (!tool) throw new NotFoundError('Tool');
  return tool;
}

function checkName(secretName: string): void {
  if (!SECRET_NAME_PATTERN.test(secretName)) {
    throw new ValidationError([{ field: 'secretName', message: 'is not a valid secret name' }]);
  }
}

/** Grants (or re-approves) `secretName` to the tool as it is now, inside the caller's transaction. */
async function upsertGrant(tx: Tx, actor: Actor, tool: Tool, secretName: string, action: string): Promise<SecretGrant> {
  const surface = toJson(secretSurface(tool.type, tool.configuration as JsonValue));
  const grant = await tx.secretGrant.upsert({
    where: { toolId_secretName: { toolId: tool.id, secretName } },
    create: {
      organizationId: actor.organizationId,
      toolId: tool.id,
      secretName,
      approvedSurface: surface,
      approvedVersion: tool.version,
      grantedById: actor.userId,
    },
    update: {
      approvedSurface: surface,
      approvedVersion: tool.version,
      grantedById: actor.userId,
      grantedAt: new Date(),
    },
  });
  await recordAudit(tx, actor, {
    action,
    entityType: 'SecretGrant',
    entityId: grant.id,
    after: { secretName, toolId: tool.id, toolVersion: tool.version },
  });
  return grant;
}

export interface GrantInput {
  secretName: string;
  toolId: string;
  /** Refuse (ConflictError) unless the tool is still at this version: approve what was reviewed, not a later edit. */
  toolVersion?: number | null;
}

function recordGrantEvent(
  prisma: Prisma,
  kind: 'SECRET_GRANTED' | 'SECRET_GRANT_REVOKED',
  actor: Actor,
  input: GrantInput,
  implicit = false,
): void {
  securityEventsOf(prisma).record({
    kind,
    organizationId: actor.organizationId,
    actor: securityActor(actor),
    subject: { type: 'secret', id: input.secretName },
    details: { toolId: input.toolId, ...(implicit && { implicit: true }) },
  });
}

/** A grant an ADMIN's save of a tool made (grantOnSave), to be recorded once the save committed. */
export interface ImplicitGrant {
  secretName: string;
  toolId: string;
}

/** Records the grants a committed save made, as SECRET_GRANTED events with `implicit: true`. */
export function recordImplicitGrants(prisma: Prisma, actor: Actor, granted: readonly ImplicitGrant[]): void {
  for (const grant of granted) recordGrantEvent(prisma, 'SECRET_GRANTED', actor, grant, true);
}

async function decide(prisma: Prisma, actor: Actor, input: GrantInput, requireExisting: boolean): Promise<GrantView> {
  assertAdmin(actor);
  checkName(input.secretName);
  return prisma.$transaction(async (tx) => {
    const tool = await ownTool(tx, actor, input.toolId);
    if (input.toolVersion != null && input.toolVersion !== tool.version) {
      throw new ConflictError(
        `the tool is at version ${tool.version} now, not ${input.toolVersion}; review it again`,
        'toolVersion',
      );
    }
    const existing = await tx.secretGrant.findUnique({
      where: { toolId_secretName: { toolId: tool.id, secretName: input.secretName } },
    });
    if (requireExisting && !existing) throw new NotFoundError('SecretGrant');
    const grant = await upsertGrant(
      tx,
      actor,
      tool,
      input.secretName,
      existing ? 'secret.grant.approve' : 'secret.grant',
    );
    return viewGrant(grant, tool);
  });
}

/** ADMIN: lets the tool read the secret, for the tool as it is now. */
export async function grantSecret(prisma: Prisma, actor: Actor, input: GrantInput): Promise<GrantView> {
  const view = await decide(prisma, actor, input, false);
  recordGrantEvent(prisma, 'SECRET_GRANTED', actor, input);
  return view;
}

/** ADMIN: approves a (suspended) grant again for the tool as it is now. */
export async function approveSecretGrant(prisma: Prisma, actor: Actor, input: GrantInput): Promise<GrantView> {
  const view = await decide(prisma, actor, input, true);
  recordGrantEvent(prisma, 'SECRET_GRANTED', actor, input);
  return view;
}

/** ADMIN: the tool may no longer read the secret. */
export async function revokeSecretGrant(prisma: Prisma, actor: Actor, input: GrantInput): Promise<GrantView> {
  assertAdmin(actor);
  checkName(input.secretName);
  const view = await prisma.$transaction(async (tx) => {
    const tool = await ownTool(tx, actor, input.toolId);
    const grant = await tx.secretGrant.findUnique({
      where: { toolId_secretName: { toolId: tool.id, secretName: input.secretName } },
    });
    if (!grant) throw new NotFoundError('SecretGrant');
    await tx.secretGrant.delete({ where: { id: grant.id } });
    await recordAudit(tx, actor, {
      action: 'secret.grant.revoke',
      entityType: 'SecretGrant',
      entityId: grant.id,
      before: { secretName: grant.secretName, toolId: tool.id },
    });
    return viewGrant(grant, tool);
  });
  recordGrantEvent(prisma, 'SECRET_GRANT_REVOKED', actor, input);
  return view;
}

/**
 * After a tool is saved: an ADMIN who creates a tool, or changes its surface,
 * grants what it reads (they submitted the whole configuration). Anyone else's
 * save grants nothing; a surface it changed leaves existing grants suspended.
 * What it grants is added to `granted`, for recordImplicitGrants after the commit.
 */
export async function grantOnSave(
  tx: Tx,
  actor: Actor,
  tool: Tool,
  before: { type: string; configuration: JsonObject } | null,
  granted: ImplicitGrant[] = [],
): Promise<void> {
  if (!hasRole(actor.role, 'ADMIN')) return;
  const surface = secretSurface(tool.type, tool.configuration as JsonValue);
  if (before && sameSurface(secretSurface(before.type, before.configuration), surface)) return;
  for (const name of referencedSecretNames(tool.type, tool.configuration as JsonValue)) {
    if (!SECRET_NAME_PATTERN.test(name)) continue;
    await upsertGrant(tx, actor, tool, name, 'secret.grant.onSave');
    granted.push({ secretName: name, toolId: tool.id });
  }
}

export interface GrantCheckInput {
  organizationId: string;
  toolId: string;
  toolName: string;
  type: string;
  /** The tool's own configuration (what grants are approved for). */
  ownConfiguration: JsonValue;
  /** What runs: the configuration with the assignment's overrides (ADMIN-made) merged in. */
  configuration: JsonValue;
}

export type GrantCheck = { ok: true; names: string[] } | { ok: false; message: string };

/** Whether every secret the run would read is granted to the tool and not suspended. */
/** Names read by configurations that cannot change (the engine's cached lookups are frozen): parsed once. */
const namesOfFrozen = new WeakMap<object, string[]>();

function namesOf(type: string, configuration: JsonValue): string[] {
  if (configuration === null || typeof configuration !== 'object' || !Object.isFrozen(configuration)) {
    return referencedSecretNames(type, configuration);
  }
  let names = namesOfFrozen.get(configuration);
  if (!names) {
    names = referencedSecretNames(type, configuration);
    namesOfFrozen.set(configuration, names);
  }
  return names;
}

export async function checkSecretGrants(prisma: Prisma, input: GrantCheckInput): Promise<GrantCheck> {
  const names = namesOf(input.type, input.configuration);
  if (names.length === 0) return { ok: true, names };
  const grants = await prisma.secretGrant.findMany({
    where: { organizationId: input.organizationId, toolId: input.toolId, secretName: { in: names } },
    select: { secretName: true, approvedSurface: true },
  });
  const surface = secretSurface(input.type, input.ownConfiguration);
  for (const name of names) {
    const grant = grants.find((each) => each.secretName === name);
    if (!grant) {
      return {
        ok: false,
        message: `The secret "${name}" is not granted to the tool "${input.toolName}"; an ADMIN must grant it (grantSecret)`,
      };
    }
    if (!sameSurface(grant.approvedSurface as JsonValue, surface)) {
      return {
        ok: false,
        message: `The grant of the secret "${name}" to the tool "${input.toolName}" is suspended: the tool's code, URL, headers, auth or Lambda target changed since an ADMIN approved it (approveSecretGrant)`,
      };
    }
  }
  return { ok: true, names };
}

/** Secret access limited to the names that passed the grant check. */
export function grantedOnly<T extends SecretAccess>(access: T, names: readonly string[]): T {
  const allowed = new Set(names);
  return { ...access, get: (name: string) => (allowed.has(name) ? access.get(name) : Promise.resolve(undefined)) };
}

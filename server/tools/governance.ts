/**
 * Who may change what decides how a tool may be used. Governance settings
 * (confirmation, who approves, the approval timeout, rate limits, trigger
 * contexts) and everything about a published tool are an ADMIN's: a MEMBER
 * may edit the rest of a tool, leaving them exactly as they are, and may
 * create tools only as strict as the defaults or stricter.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Actor } from '../actor.ts';
import { AccessError } from '../errors.ts';
import { APPROVER_ROLES, DEFAULT_APPROVER_ROLE } from '../executions/tool-settings.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { hasRole, type RoleName } from '../security/roles.ts';

const GOVERNING_ROLE: RoleName = 'ADMIN';

/** The parts of a tool's state these rules look at. */
export interface GovernedTool {
  requireConfirmation: boolean;
  allowedContexts: string[];
  configuration: JsonObject;
  isPublic: boolean;
}

/** The engine's own configuration keys that govern use (see executions/tool-settings.ts). */
const GOVERNING_KEYS = ['approver_role', 'approval_timeout_seconds', 'rate_limit'] as const;

function governanceOf(tool: GovernedTool): Record<string, JsonValue> {
  const settings: Record<string, JsonValue> = {
    requireConfirmation: tool.requireConfirmation,
    allowedContexts: [...new Set(tool.allowedContexts)].sort(),
  };
  for (const key of GOVERNING_KEYS) settings[`configuration.${key}`] = tool.configuration[key] ?? null;
  return settings;
}

function changedSettings(before: GovernedTool, after: GovernedTool): string[] {
  const was = governanceOf(before);
  const now = governanceOf(after);
  // Deep equality: stored JSON (jsonb) does not keep the key order it was sent in.
  return Object.keys(now).filter((key) => !isDeepStrictEqual(was[key], now[key]));
}

function refuse(what: string): never {
  throw new AccessError('FORBIDDEN', `${what} requires the ${GOVERNING_ROLE} role`);
}

/**
 * A configuration from someone below ADMIN that leaves a governing key out
 * keeps the tool's current value (editors that rebuild a configuration from
 * their own fields do not know these keys); a different value is refused later.
 */
export function keepGoverningKeys(actor: Actor, current: JsonObject, next: JsonValue): JsonValue {
  if (hasRole(actor.role, GOVERNING_ROLE) || typeof next !== 'object' || next === null || Array.isArray(next)) {
    return next;
  }
  const kept: JsonObject = { ...next };
  for (const key of GOVERNING_KEYS) {
    if (kept[key] === undefined && current[key] !== undefined) kept[key] = current[key];
  }
  return kept;
}

/**
 * A new tool from someone below ADMIN may not loosen what the defaults give:
 * no approver below the default, and no approval timeout or rate limit of its own.
 */
export function assertMayGovernNewTool(actor: Actor, tool: GovernedTool): void {
  if (hasRole(actor.role, GOVERNING_ROLE)) return;
  const loosened: string[] = [];
  const approver = tool.configuration.approver_role;
  if (
    approver !== undefined &&
    (!(APPROVER_ROLES as readonly JsonValue[]).includes(approver) ||
      !hasRole(approver as RoleName, DEFAULT_APPROVER_ROLE))
  ) {
    loosened.push('configuration.approver_role');
  }
  for (const key of ['approval_timeout_seconds', 'rate_limit'] as const) {
    if (tool.configuration[key] !== undefined) loosened.push(`configuration.${key}`);
  }
  if (loosened.length) refuse(`setting ${loosened.join(', ')}`);
}

/**
 * A change of an existing tool: its governance settings, and anything at all
 * of a published tool (the marketplace shows and installs all of it), need ADMIN.
 */
export function assertMayChangeTool<T extends GovernedTool>(actor: Actor, before: T, after: T): void {
  if (hasRole(actor.role, GOVERNING_ROLE)) return;
  if (before.isPublic) {
    const keys = Object.keys(after) as Array<keyof T>;
    if (keys.some((key) => !isDeepStrictEqual(before[key], after[key]))) {
      refuse('changing a published tool');
    }
  }
  const changed = changedSettings(before, after);
  if (changed.length) refuse(`changing ${changed.join(', ')}`);
}

/** Deleting a published tool takes it out of the marketplace: the role publishing needs. */
export function assertMayDeleteTool(actor: Actor, tool: { isPublic: boolean }): void {
  if (tool.isPublic && !hasRole(actor.role, GOVERNING_ROLE)) refuse('deleting a published tool');
}

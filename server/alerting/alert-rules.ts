/**
 * An organization's alert rules: what fires (a tool's health, its error rate,
 * p95 latency or volume over a window, security events) and which channels
 * hear about it. Validation keeps every number within what the evaluator's
 * bounded queries can answer.
 */
import { SecurityEventKind } from '../db/generated/prisma/enums.ts';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { AlertRule, AlertRuleKind } from '../db/generated/prisma/client.ts';
import { isUuid } from '../db/json.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../errors.ts';
import { validName } from './alert-channels.ts';

export const MAX_RULES_PER_ORGANIZATION = 100;
export const MAX_CHANNELS_PER_RULE = 10;
export const MIN_WINDOW_SECONDS = 60;
/** A day: the volume baseline looks back 24 windows, so the longest query spans 25 days of one organization. */
export const MAX_WINDOW_SECONDS = 86_400;
export const DEFAULT_WINDOW_SECONDS = 300;
/** What the security event log records (server/security/security-events.ts). */
const SECURITY_EVENT_KINDS: ReadonlySet<string> = new Set(Object.values(SecurityEventKind));
const MAX_SECURITY_KINDS = 20;
const MAX_SECURITY_KIND_LENGTH = 64;
const HEALTH_LEVELS = new Set(['DEGRADED', 'FAILING']);

export interface AlertRuleInput {
  name: string;
  kind: AlertRuleKind;
  enabled?: boolean | null;
  toolId?: string | null;
  healthLevels?: string[] | null;
  securityEventKinds?: string[] | null;
  threshold?: number | null;
  windowSeconds?: number | null;
  minExecutions?: number | null;
  channelIds: string[];
}

export type AlertRuleWithChannels = AlertRule & { channels: Array<{ channelId: string }> };

interface RuleFields {
  name: string;
  kind: AlertRuleKind;
  enabled: boolean;
  toolId: string | null;
  healthLevels: string[];
  securityEventKinds: string[];
  threshold: number | null;
  windowSeconds: number | null;
  minExecutions: number;
}

function thresholdIssue(kind: AlertRuleKind, threshold: number | null | undefined): string | null {
  if (kind === 'TOOL_HEALTH' || kind === 'SECURITY_EVENT') return null;
  if (threshold === null || threshold === undefined || !Number.isFinite(threshold)) return 'is required for this kind';
  if (kind === 'ERROR_RATE' && (threshold <= 0 || threshold > 1)) return 'must be a fraction above 0, at most 1';
  if (kind === 'P95_LATENCY' && (threshold <= 0 || threshold > 3_600_000)) return 'must be 1 ms to 1 hour';
  if (kind === 'VOLUME_ANOMALY' && (threshold <= 1 || threshold > 1000))
    return 'must be a factor above 1, at most 1000';
  return null;
}

function ruleFields(input: AlertRuleInput): RuleFields {
  const issues: FieldIssue[] = [];
  const healthLevels = input.kind === 'TOOL_HEALTH' ? [...new Set(input.healthLevels ?? ['FAILING'])] : [];
  if (
    healthLevels.some((level) => !HEALTH_LEVELS.has(level)) ||
    (input.kind === 'TOOL_HEALTH' && !healthLevels.length)
  ) {
    issues.push({ field: 'healthLevels', message: 'must be DEGRADED and/or FAILING' });
  }
  const securityEventKinds = input.kind === 'SECURITY_EVENT' ? [...new Set(input.securityEventKinds ?? [])] : [];
  if (
    input.kind === 'SECURITY_EVENT' &&
    (securityEventKinds.length === 0 ||
      securityEventKinds.length > MAX_SECURITY_KINDS ||
      securityEventKinds.some((kind) => kind.length === 0 || kind.length > MAX_SECURITY_KIND_LENGTH))
  ) {
    issues.push({
      field: 'securityEventKinds',
      message: `1 to ${MAX_SECURITY_KINDS} kinds of 1 to ${MAX_SECURITY_KIND_LENGTH} characters`,
    });
  } else if (securityEventKinds.some((kind) => !SECURITY_EVENT_KINDS.has(kind))) {
    issues.push({
      field: 'securityEventKinds',
      message: `the kinds are the security event log's: ${[...SECURITY_EVENT_KINDS].join(', ')}`,
    });
  }
  const thresholdProblem = thresholdIssue(input.kind, input.threshold);
  if (thresholdProblem) issues.push({ field: 'threshold', message: thresholdProblem });
  const windowSeconds = input.kind === 'TOOL_HEALTH' ? null : (input.windowSeconds ?? DEFAULT_WINDOW_SECONDS);
  if (
    windowSeconds !== null &&
    (!Number.isInteger(windowSeconds) || windowSeconds < MIN_WINDOW_SECONDS || windowSeconds > MAX_WINDOW_SECONDS)
  ) {
    issues.push({ field: 'windowSeconds', message: `must be ${MIN_WINDOW_SECONDS} to ${MAX_WINDOW_SECONDS}` });
  }
  const minExecutions = input.minExecutions ?? 5;
  if (!Number.isInteger(minExecutions) || minExecutions < 1 || minExecutions > 1_000_000) {
    issues.push({ field: 'minExecutions', message: 'must be 1 to 1000000' });
  }
  if (input.toolId && !isUuid(input.toolId)) issues.push({ field: 'toolId', message: 'no such tool' });
  if (input.channelIds.length > MAX_CHANNELS_PER_RULE) {
    issues.push({ field: 'channelIds', message: `at most ${MAX_CHANNELS_PER_RULE} channels` });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    name: validName(input.name),
    kind: input.kind,
    enabled: input.enabled ?? true,
    toolId: input.toolId ?? null,
    healthLevels,
    securityEventKinds,
    threshold: input.kind === 'TOOL_HEALTH' || input.kind === 'SECURITY_EVENT' ? null : (input.threshold ?? null),
    windowSeconds,
    minExecutions,
  };
}

/** The tool and channels named must be this organization's: another's look exactly like missing ones. */
async function checkReferences(prisma: Prisma, actor: Actor, fields: RuleFields, channelIds: string[]) {
  const issues: FieldIssue[] = [];
  if (fields.toolId) {
    const tool = await prisma.tool.findFirst({
      where: { id: fields.toolId, organizationId: actor.organizationId },
      select: { id: true },
    });
    if (!tool) issues.push({ field: 'toolId', message: 'no such tool' });
  }
  const unique = [...new Set(channelIds)];
  const found =
    unique.every(isUuid) && unique.length > 0
      ? await prisma.alertChannel.count({ where: { id: { in: unique }, organizationId: actor.organizationId } })
      : 0;
  if (found !== unique.length || unique.length === 0) {
    issues.push({ field: 'channelIds', message: 'one or more channels of this organization' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return unique;
}

const withChannels = { channels: { select: { channelId: true } } } as const;

export async function createAlertRule(
  prisma: Prisma,
  actor: Actor,
  input: AlertRuleInput,
): Promise<AlertRuleWithChannels> {
  const fields = ruleFields(input);
  const channelIds = await checkReferences(prisma, actor, fields, input.channelIds);
  const count = await prisma.alertRule.count({ where: { organizationId: actor.organizationId } });
  if (count >= MAX_RULES_PER_ORGANIZATION) {
    throw new ConflictError(`an organization has at most ${MAX_RULES_PER_ORGANIZATION} alert rules`);
  }
  return prisma.$transaction(async (tx) => {
    const rule = await tx.alertRule.create({
      data: {
        ...fields,
        organizationId: actor.organizationId,
        channels: { create: channelIds.map((channelId) => ({ channelId })) },
      },
      include: withChannels,
    });
    await recordAudit(tx, actor, {
      action: 'alertRule.create',
      entityType: 'AlertRule',
      entityId: rule.id,
      after: { ...fields, channelIds },
    });
    return rule;
  });
}

export async function findAlertRule(prisma: Prisma, actor: Actor, id: string): Promise<AlertRuleWithChannels> {
  const rule = isUuid(id)
    ? await prisma.alertRule.findFirst({ where: { id, organizationId: actor.organizationId }, include: withChannels })
    : null;
  if (!rule) throw new NotFoundError('AlertRule');
  return rule;
}

/** Replaces the rule's settings whole (the input is the full rule, like createAlertRule's). */
export async function updateAlertRule(
  prisma: Prisma,
  actor: Actor,
  id: string,
  input: AlertRuleInput,
): Promise<AlertRuleWithChannels> {
  const current = await findAlertRule(prisma, actor, id);
  const fields = ruleFields(input);
  const channelIds = await checkReferences(prisma, actor, fields, input.channelIds);
  return prisma.$transaction(async (tx) => {
    await tx.alertRuleChannel.deleteMany({ where: { ruleId: current.id } });
    // What fires changed (or nothing does now): open incidents close without a notification, so the rule starts clean.
    if (!fields.enabled || fields.kind !== current.kind || fields.toolId !== current.toolId) {
      await tx.alertIncident.updateMany({
        where: { ruleId: current.id, openKey: { not: null } },
        data: { openKey: null, resolvedAt: new Date() },
      });
    }
    const rule = await tx.alertRule.update({
      where: { id: current.id },
      data: { ...fields, channels: { create: channelIds.map((channelId) => ({ channelId })) } },
      include: withChannels,
    });
    await recordAudit(tx, actor, {
      action: 'alertRule.update',
      entityType: 'AlertRule',
      entityId: rule.id,
      before: { name: current.name, kind: current.kind, enabled: current.enabled, threshold: current.threshold },
      after: { ...fields, channelIds },
    });
    return rule;
  });
}

export async function deleteAlertRule(prisma: Prisma, actor: Actor, id: string): Promise<AlertRuleWithChannels> {
  const rule = await findAlertRule(prisma, actor, id);
  await prisma.$transaction(async (tx) => {
    await tx.alertRule.delete({ where: { id: rule.id } });
    await recordAudit(tx, actor, {
      action: 'alertRule.delete',
      entityType: 'AlertRule',
      entityId: rule.id,
      before: { name: rule.name, kind: rule.kind },
    });
  });
  return rule;
}

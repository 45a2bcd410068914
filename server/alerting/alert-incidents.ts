/**
 * Firing and resolving incidents, and telling the rule's channels. Firing is
 * an insert that conflicts while an incident for the same rule and key is
 * open, and resolving is an update of the open one: whichever instance (or
 * evaluator round) wins sends the notification (through the outbox, which
 * retries it while a receiver fails), every other does nothing.
 */
import type { Prisma } from '../db/database.ts';
import type { SqlDriver } from '../db/sql-driver.ts';
import type { AlertMessage } from './alert-notifier.ts';
import type { AlertOutbox } from './alert-outbox.ts';

export interface IncidentDeps {
  prisma: Prisma;
  sql: SqlDriver;
  outbox: AlertOutbox;
}

export interface RuleRef {
  id: string;
  organizationId: string;
  name: string;
  kind: string;
}

interface IncidentRow {
  id: string;
  summary: string;
  value: number | null;
  fired_at: Date;
  resolved_at: Date | null;
}

const MAX_SUMMARY_LENGTH = 500;

/** Opens an incident unless one is open for this rule and key; notifies when it opened one. */
export async function fireIncident(
  deps: IncidentDeps,
  rule: RuleRef,
  key: string,
  summary: string,
  value: number | null,
  now: Date,
): Promise<boolean> {
  const rows = await deps.sql.query<IncidentRow>(
    `INSERT INTO "alert_incidents" ("id", "organization_id", "rule_id", "dedupe_key", "open_key", "summary", "value", "fired_at")
     VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3, $3, $4, $5, $6)
     ON CONFLICT ("rule_id", "open_key") DO NOTHING
     RETURNING "id"::text AS id, "summary", "value", "fired_at", "resolved_at"`,
    [rule.organizationId, rule.id, key, summary.slice(0, MAX_SUMMARY_LENGTH), value, now],
  );
  const incident = rows[0];
  if (!incident) return false;
  await notify(deps, rule, key, 'firing', incident);
  return true;
}

/** Closes the open incident for this rule and key, if any, and notifies that it resolved. */
export async function resolveIncident(deps: IncidentDeps, rule: RuleRef, key: string, now: Date): Promise<boolean> {
  const rows = await deps.sql.query<IncidentRow>(
    `UPDATE "alert_incidents" SET "resolved_at" = $3, "open_key" = NULL
     WHERE "rule_id" = $1::uuid AND "open_key" = $2
     RETURNING "id"::text AS id, "summary", "value", "fired_at", "resolved_at"`,
    [rule.id, key, now],
  );
  const incident = rows[0];
  if (!incident) return false;
  await notify(deps, rule, key, 'resolved', incident);
  return true;
}

/** The keys a rule has open incidents for (bounded: one per tool or security event kind). */
export async function openKeys(sql: SqlDriver, ruleId: string): Promise<string[]> {
  const rows = await sql.query<{ key: string }>(
    `SELECT "open_key" AS key FROM "alert_incidents" WHERE "rule_id" = $1::uuid AND "open_key" IS NOT NULL LIMIT 10000`,
    [ruleId],
  );
  return rows.map((row) => row.key);
}

async function notify(
  deps: IncidentDeps,
  rule: RuleRef,
  key: string,
  event: 'firing' | 'resolved',
  incident: IncidentRow,
): Promise<void> {
  const channels = await deps.prisma.alertChannel.findMany({
    where: { organizationId: rule.organizationId, rules: { some: { ruleId: rule.id } } },
  });
  const message: AlertMessage = {
    event,
    organizationId: rule.organizationId,
    incidentId: incident.id,
    rule: { id: rule.id, name: rule.name, kind: rule.kind },
    key,
    summary: incident.summary,
    value: incident.value,
    firedAt: new Date(incident.fired_at).toISOString(),
    resolvedAt: incident.resolved_at ? new Date(incident.resolved_at).toISOString() : null,
  };
  await deps.outbox.send(incident.id, channels, message);
}

/**
 * The outbox's claims in SQL, the same on PostgreSQL and PGlite, for result deliveries and alert
 * notifications alike (each table has id, organization_id, a DeliveryStatus status, attempts and
 * next_attempt_at). A claim moves
 * `next_attempt_at` one lease ahead and counts the attempt, so a claim whose
 * instance dies becomes due again by itself; `attempts` doubles as the claim's
 * token, so a late finish of a claim taken over since changes nothing.
 */
import type { SqlDriver } from '../db/sql-driver.ts';

export interface Claim {
  id: string;
  attempts: number;
}

/**
 * Fair across organizations: of the oldest due rows, each organization's first goes before any
 * organization's second, so one tenant's backlog (or a receiver that times out) delays another
 * tenant's delivery by at most one round. The update re-checks the row under its lock, so of two
 * instances claiming at once exactly one takes it (the other sees next_attempt_at moved ahead).
 */
/** The tables whose rows are claimed this way; a fixed set, so the name is never user input. */
export type OutboxTable = 'result_deliveries' | 'alert_notifications';

const claimSql = (table: OutboxTable): string => `
WITH due AS (
  SELECT id, organization_id, next_attempt_at FROM ${table}
  WHERE status = 'PENDING' AND next_attempt_at <= now()
  ORDER BY next_attempt_at
  LIMIT $3
), picked AS (
  SELECT id FROM (
    SELECT id, next_attempt_at,
           row_number() OVER (PARTITION BY organization_id ORDER BY next_attempt_at, id) AS turn
    FROM due
  ) ranked
  ORDER BY turn, next_attempt_at
  LIMIT $1
)
UPDATE ${table} AS d
SET attempts = d.attempts + 1, next_attempt_at = now() + $2::int * interval '1 millisecond'
FROM picked
WHERE d.id = picked.id AND d.status = 'PENDING' AND d.next_attempt_at <= now()
RETURNING d.id, d.attempts`;

/** How many of the oldest due rows one claim ranks; bounds its cost however long the backlog. */
const CLAIM_WINDOW = 1_000;

const FINISH = `
UPDATE result_deliveries
SET status = $3::"DeliveryStatus",
    last_error = $4,
    next_attempt_at = now() + $5::int * interval '1 millisecond',
    delivered_at = CASE WHEN $3::text = 'DELIVERED' THEN now() ELSE delivered_at END,
    call_ended = call_ended OR $6::boolean
WHERE id = $1::uuid AND attempts = $2 AND status = 'PENDING'`;

const releaseSql = (table: OutboxTable): string => `
UPDATE ${table} SET attempts = attempts - 1, next_attempt_at = now()
WHERE id = $1::uuid AND attempts = $2 AND status = 'PENDING'`;

const CLAIM: Record<OutboxTable, string> = {
  result_deliveries: claimSql('result_deliveries'),
  alert_notifications: claimSql('alert_notifications'),
};
const RELEASE: Record<OutboxTable, string> = {
  result_deliveries: releaseSql('result_deliveries'),
  alert_notifications: releaseSql('alert_notifications'),
};

export type FinalStatus = 'PENDING' | 'DELIVERED' | 'FAILED' | 'UNDELIVERED';

export function claimDue(
  sql: SqlDriver,
  limit: number,
  leaseMs: number,
  table: OutboxTable = 'result_deliveries',
): Promise<Claim[]> {
  return sql.query<Claim>(CLAIM[table], [limit, leaseMs, CLAIM_WINDOW]);
}

/** PENDING with a delay schedules the next attempt; any other status is final. */
export async function finishClaim(
  sql: SqlDriver,
  claim: Claim,
  outcome: { status: FinalStatus; error: string | null; delayMs?: number; callEnded?: boolean },
): Promise<void> {
  await sql.query(FINISH, [
    claim.id,
    claim.attempts,
    outcome.status,
    outcome.error,
    outcome.delayMs ?? 0,
    outcome.callEnded ?? false,
  ]);
}

/** Gives a claim back uncounted (the instance is closing), due at once for whoever polls next. */
export async function releaseClaim(
  sql: SqlDriver,
  claim: Claim,
  table: OutboxTable = 'result_deliveries',
): Promise<void> {
  await sql.query(RELEASE[table], [claim.id, claim.attempts]);
}

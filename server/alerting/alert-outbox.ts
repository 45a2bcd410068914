/**
 * Alert notifications that survive a receiver being down. Each incident's firing or resolution
 * is written per channel to `alert_notifications` and tried at once; a failure the receiver may
 * get over (timeouts, 408, 429, 5xx, SMTP 4xx) stays due and a poller retries it with the result
 * deliveries' backoff (claims from server/deliveries/delivery-outbox.ts), until it is delivered or
 * its attempts run out (FAILED). The incident shows the count delivered and each channel's last error.
 */
import type { Logger } from 'pino';
import type { Prisma } from '../db/database.ts';
import type { AlertChannel } from '../db/generated/prisma/client.ts';
import type { SqlDriver } from '../db/sql-driver.ts';
import { claimDue, type Claim } from '../deliveries/delivery-outbox.ts';
import { retryDelayMs, type RetryPolicy } from '../deliveries/retry-policy.ts';
import type { AlertMessage, AlertNotifier, NotifyOutcome } from './alert-notifier.ts';

/** Notifications one poll retries at once. */
const POLL_BATCH = 50;
const MAX_ERROR_LENGTH = 2_000;

export interface AlertOutboxDeps {
  prisma: Prisma;
  sql: SqlDriver;
  notifier: AlertNotifier;
  logger: Logger;
  retry: RetryPolicy;
  pollIntervalMs: number;
  /** How long a claimed notification stays taken (past the notifier's timeout), so a crashed claim is retried. */
  leaseMs: number;
}

export interface AlertOutbox {
  /** Records `message` for each channel and tries each once now; what fails and may pass later stays due. */
  send(incidentId: string, channels: AlertChannel[], message: AlertMessage): Promise<void>;
  /** Retries the notifications that are due (the timer calls this). */
  poll(): Promise<void>;
  close(): Promise<void>;
}

const INSERT = `
INSERT INTO alert_notifications
  (id, organization_id, incident_id, channel_id, event, payload, attempts, next_attempt_at)
VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, $4, $5::jsonb, 1, now() + $6::int * interval '1 millisecond')
ON CONFLICT (incident_id, channel_id, event) DO NOTHING
RETURNING id::text AS id, attempts`;

const FINISH = `
UPDATE alert_notifications
SET status = $3::"DeliveryStatus",
    last_error = $4,
    next_attempt_at = now() + $5::int * interval '1 millisecond',
    delivered_at = CASE WHEN $3::text = 'DELIVERED' THEN now() ELSE delivered_at END
WHERE id = $1::uuid AND attempts = $2 AND status = 'PENDING'
RETURNING incident_id::text AS incident_id`;

/** The incident's count of delivered notifications, and its channels' current errors. */
const TALLY = `
UPDATE alert_incidents
SET notifications = notifications + $2,
    last_notified_at = CASE WHEN $2 > 0 THEN now() ELSE last_notified_at END,
    last_error = (
      SELECT left(string_agg(channel_id::text || ': ' || last_error, '; ' ORDER BY channel_id), ${MAX_ERROR_LENGTH})
      FROM alert_notifications WHERE incident_id = $1::uuid AND last_error IS NOT NULL
    )
WHERE id = $1::uuid`;

export function createAlertOutbox(deps: AlertOutboxDeps): AlertOutbox {
  let polling: Promise<void> | null = null;
  let closed = false;

  async function finish(claim: Claim, outcome: NotifyOutcome): Promise<void> {
    let status: 'PENDING' | 'DELIVERED' | 'FAILED' = 'DELIVERED';
    let error: string | null = null;
    let delayMs = 0;
    if (!outcome.delivered) {
      error = outcome.error.slice(0, MAX_ERROR_LENGTH);
      const again = outcome.retryable && claim.attempts < deps.retry.maxAttempts;
      status = again ? 'PENDING' : 'FAILED';
      if (again) delayMs = retryDelayMs(deps.retry, claim.attempts);
    }
    const [row] = await deps.sql.query<{ incident_id: string }>(FINISH, [
      claim.id,
      claim.attempts,
      status,
      error,
      delayMs,
    ]);
    // Taken over by another instance since (its lease ran out): that one's verdict stands.
    if (!row) return;
    await deps.sql.query(TALLY, [row.incident_id, status === 'DELIVERED' ? 1 : 0]);
    if (!outcome.delivered) {
      deps.logger.warn(
        { notificationId: claim.id, channelId: outcome.channelId, attempts: claim.attempts, status, error },
        'alert notification failed',
      );
    }
  }

  async function attempt(claim: Claim, channel: AlertChannel, message: AlertMessage): Promise<void> {
    const outcome = await deps.notifier.send(channel, message);
    try {
      await finish(claim, outcome);
    } catch (error) {
      // Left claimed: the lease runs out and the poller tries again.
      deps.logger.warn({ err: error, notificationId: claim.id }, 'recording an alert notification failed');
    }
  }

  async function retryDue(): Promise<void> {
    const claims = await claimDue(deps.sql, POLL_BATCH, deps.leaseMs, 'alert_notifications');
    await Promise.all(
      claims.map(async (claim) => {
        const row = await deps.prisma.alertNotification.findUnique({
          where: { id: claim.id },
          include: { channel: true },
        });
        // Deleted with its channel or incident meanwhile.
        if (!row) return;
        await attempt(claim, row.channel, row.payload as unknown as AlertMessage);
      }),
    );
  }

  function poll(): Promise<void> {
    if (closed) return Promise.resolve();
    polling ??= retryDue()
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'retrying alert notifications failed'))
      .finally(() => {
        polling = null;
      });
    return polling;
  }

  const timer = setInterval(() => void poll(), deps.pollIntervalMs);
  timer.unref();

  return {
    async send(incidentId, channels, message) {
      await Promise.all(
        channels.map(async (channel) => {
          const [claim] = await deps.sql.query<Claim>(INSERT, [
            channel.organizationId,
            incidentId,
            channel.id,
            message.event,
            JSON.stringify(message),
            deps.leaseMs,
          ]);
          // Already recorded: whoever recorded it sends it.
          if (claim) await attempt(claim, channel, message);
        }),
      );
    },
    poll,
    async close() {
      closed = true;
      clearInterval(timer);
      await polling;
    },
  };
}

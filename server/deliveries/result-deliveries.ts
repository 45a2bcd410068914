/**
 * Results and progress going back into the live call. `enqueueResult` and
 * `enqueueProgress` write one outbox row per channel (idempotently: the same
 * execution, channel, event and sequence is one row); the poller claims due
 * rows, sends them with bounded concurrency and records the outcome. Durable
 * across restarts and instances: the table is the queue, no Redis needed.
 */
import type { Logger } from 'pino';
import type { Prisma } from '../db/database.ts';
import type { DeliveryChannel, ToolExecution } from '../db/generated/prisma/client.ts';
import { toJson } from '../db/json.ts';
import type { SqlDriver } from '../db/sql-driver.ts';
import { ValidationError } from '../errors.ts';
import type { JsonValue } from '../executors/types.ts';
import { recordDeliveryRefusal } from '../security/delivery-events.ts';
import type { SecretCipher } from '../security/secret-cipher.ts';
import type { SsrfPolicy } from '../security/ssrf.ts';
import { claimDue, finishClaim, releaseClaim, type Claim } from './delivery-outbox.ts';
import { deliveryPayload, type DeliveryEvent, type DeliveryPayload } from './delivery-payload.ts';
import { CALL_ENDED_ERROR, sendDelivery, type SendOutcome } from './delivery-sender.ts';
import { retryDelayMs, type RetryPolicy } from './retry-policy.ts';

export interface DeliveryOptions extends RetryPolicy {
  timeoutMs: number;
  /** The backstop for rows another instance enqueued, retries coming due and claims whose instance died. */
  pollIntervalMs: number;
  concurrency: number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  maxAttempts: 8,
  baseDelayMs: 2_000,
  maxDelayMs: 5 * 60_000,
  timeoutMs: 10_000,
  pollIntervalMs: 2_000,
  concurrency: 8,
};

/** The column is a PostgreSQL integer. */
const MAX_SEQUENCE = 2_147_483_647;

/** A claim outlives its send (timeout) with room for the database writes around it. */
const LEASE_OVER_TIMEOUT_MS = 15_000;

export interface ResultDeliveriesDeps {
  prisma: Prisma;
  sql: SqlDriver;
  cipher: SecretCipher;
  policy: SsrfPolicy;
  logger: Logger;
  options?: Partial<DeliveryOptions>;
}

export interface ResultDeliveries {
  /** Called when an execution reaches its final status; at least once, so repeating it is a no-op. */
  enqueueResult(row: ToolExecution): Promise<void>;
  enqueueProgress(row: ToolExecution, message: string, sequence: number): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

export function createResultDeliveries(deps: ResultDeliveriesDeps): ResultDeliveries {
  const options = { ...DEFAULT_DELIVERY_OPTIONS, ...deps.options };
  const leaseMs = options.timeoutMs + LEASE_OVER_TIMEOUT_MS;
  const { prisma, sql, logger } = deps;
  const closing = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let started = false;
  let pumping: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;

  async function enqueue(row: ToolExecution, event: DeliveryEvent, payload: DeliveryPayload, sequence: number) {
    const call = row.callId
      ? await prisma.call.findUnique({ where: { id: row.callId }, select: { status: true, platform: true } })
      : null;
    const assistant = row.assistantId
      ? await prisma.assistant.findUnique({ where: { id: row.assistantId }, select: { callbackUrl: true } })
      : null;
    const callEnded = call?.status === 'ENDED';
    const channels: DeliveryChannel[] = [];
    if (call?.platform === 'VAPI') channels.push('VAPI_CONTROL');
    if (assistant?.callbackUrl) channels.push('WEBHOOK');
    if (channels.length === 0) return;
    await prisma.resultDelivery.createMany({
      data: channels.map((channel) => {
        // After hangup there is no live call to speak into; the webhook still tells the integrator.
        const undelivered = callEnded && channel === 'VAPI_CONTROL';
        return {
          organizationId: row.organizationId,
          executionId: row.id,
          callId: row.callId,
          channel,
          event,
          sequence,
          payload: toJson(payload as unknown as JsonValue),
          callEnded,
          status: undelivered ? ('UNDELIVERED' as const) : ('PENDING' as const),
          lastError: undelivered ? CALL_ENDED_ERROR : null,
        };
      }),
      skipDuplicates: true,
    });
    wake();
  }

  function record(claim: Claim, outcome: SendOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'released':
        return releaseClaim(sql, claim);
      case 'delivered':
        return finishClaim(sql, claim, { status: 'DELIVERED', error: null });
      case 'undelivered':
        return finishClaim(sql, claim, { status: 'UNDELIVERED', error: outcome.error, callEnded: true });
      case 'failed':
        return finishClaim(sql, claim, { status: 'FAILED', error: outcome.error });
      case 'retry':
        return claim.attempts >= options.maxAttempts
          ? finishClaim(sql, claim, { status: 'FAILED', error: `${outcome.error} (after ${claim.attempts} attempts)` })
          : finishClaim(sql, claim, {
              status: 'PENDING',
              error: outcome.error,
              delayMs: retryDelayMs(options, claim.attempts),
            });
    }
  }

  async function deliver(claim: Claim): Promise<void> {
    const target = await prisma.resultDelivery.findUnique({
      where: { id: claim.id },
      include: {
        call: {
          select: { id: true, organizationId: true, callSid: true, platform: true, status: true, controlUrl: true },
        },
        execution: {
          select: { assistant: { select: { organizationId: true, callbackUrl: true, callbackSecret: true } } },
        },
      },
    });
    if (!target) return;
    const outcome = await sendDelivery(
      { policy: deps.policy, cipher: deps.cipher, timeoutMs: options.timeoutMs },
      target,
      closing.signal,
    );
    recordDeliveryRefusal(prisma, target, outcome);
    await record(claim, outcome);
  }

  function launch(claim: Claim): void {
    const running: Promise<void> = deliver(claim)
      // One delivery's failure (a row that cannot be read, a secret that cannot be decrypted) never stops the others;
      // its claim lapses and it is tried again.
      .catch((error: unknown) => logger.error({ err: error, deliveryId: claim.id }, 'a result delivery failed'))
      .finally(() => {
        inFlight.delete(running);
        wake();
      });
    inFlight.add(running);
  }

  async function pump(): Promise<void> {
    do {
      again = false;
      const room = options.concurrency - inFlight.size;
      if (room <= 0) return;
      const claims = await claimDue(sql, room, leaseMs);
      for (const claim of claims) launch(claim);
      // A full batch may have left more due rows behind.
      if (claims.length === room) again = true;
    } while (again && !closing.signal.aborted);
  }

  function wake(): void {
    if (!started || closing.signal.aborted) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = pump()
      .catch((error: unknown) => logger.error({ err: error }, 'claiming result deliveries failed'))
      .finally(() => {
        pumping = null;
        // A wake that came after the last claim's check would otherwise wait for the next poll.
        if (again) wake();
      });
  }

  return {
    enqueueResult: (row) => enqueue(row, 'result', deliveryPayload(row), 0),
    async enqueueProgress(row, message, sequence) {
      if (!Number.isInteger(sequence) || sequence < 0 || sequence > MAX_SEQUENCE) {
        throw new ValidationError([{ field: 'sequence', message: `must be an integer from 0 to ${MAX_SEQUENCE}` }]);
      }
      await enqueue(row, 'progress', deliveryPayload(row, { message, sequence }), sequence);
    },
    start() {
      if (started || closing.signal.aborted) return;
      started = true;
      timer = setInterval(wake, options.pollIntervalMs);
      timer.unref();
      wake();
    },
    async close() {
      closing.abort();
      if (timer) clearInterval(timer);
      await pumping;
      await Promise.all([...inFlight]);
    },
  };
}

/**
 * What the engine records besides the hot-path writes (execution-writer.ts):
 * decisions as conditional transitions (two deciders can never both win), the
 * Call row, and the events the live monitor follows.
 */
import { LRUCache } from 'lru-cache';
import { approximateBytes } from '../cache/approximate-bytes.ts';
import type { Prisma } from '../db/database.ts';
import type { ExecutionStatus, ToolExecution } from '../db/generated/prisma/client.ts';
import { Prisma as P } from '../db/generated/prisma/client.ts';
import { isUniqueViolation } from '../db/json.ts';
import type { ExecutionEventKind, SwitchboardPubSub } from '../realtime/pubsub.ts';
import { executionTopic } from '../realtime/pubsub.ts';

export type FinalFields = Pick<
  ToolExecution,
  'status' | 'errorCode' | 'errorMessage' | 'completedAt' | 'durationMs' | 'retryCount'
> & {
  outputResult?: P.InputJsonValue | typeof P.DbNull;
  request?: P.InputJsonValue | typeof P.DbNull;
  logs?: P.InputJsonValue | typeof P.DbNull;
  toolVersion?: number;
  decidedById?: string | null;
  instanceId?: string | null;
};

/** The row that took `row`'s idempotency key first, if one did. */
export async function existingExecution(prisma: Prisma, row: ToolExecution): Promise<ToolExecution | null> {
  if (row.idempotencyKey === null) return null;
  return prisma.toolExecution.findUnique({
    where: {
      organizationId_idempotencyKey: { organizationId: row.organizationId, idempotencyKey: row.idempotencyKey },
    },
  });
}

/** Moves the row out of `from`; false when someone else (cancel, sweep, another decider) moved it first. */
export async function transition(
  prisma: Prisma,
  id: string,
  from: ExecutionStatus,
  fields: Partial<FinalFields> & { status: ExecutionStatus },
): Promise<boolean> {
  const { count } = await prisma.toolExecution.updateMany({ where: { id, status: from }, data: fields });
  return count === 1;
}

/** Applies the fields the row was finished with, without reading it back. */
export function applied(row: ToolExecution, fields: Partial<FinalFields>): ToolExecution {
  const json = (value: unknown): P.JsonValue =>
    value === P.DbNull || value === P.JsonNull || value === undefined ? null : (value as P.JsonValue);
  return {
    ...row,
    ...(fields.status !== undefined && { status: fields.status }),
    ...(fields.errorCode !== undefined && { errorCode: fields.errorCode }),
    ...(fields.errorMessage !== undefined && { errorMessage: fields.errorMessage }),
    ...(fields.completedAt !== undefined && { completedAt: fields.completedAt }),
    ...(fields.durationMs !== undefined && { durationMs: fields.durationMs }),
    ...(fields.retryCount !== undefined && { retryCount: fields.retryCount }),
    ...(fields.toolVersion !== undefined && { toolVersion: fields.toolVersion }),
    ...(fields.decidedById !== undefined && { decidedById: fields.decidedById }),
    ...(fields.instanceId !== undefined && { instanceId: fields.instanceId }),
    ...('outputResult' in fields && { outputResult: json(fields.outputResult) }),
    ...('request' in fields && { request: json(fields.request) }),
    ...('logs' in fields && { logs: json(fields.logs) }),
  };
}

export interface CallInfo {
  organizationId: string;
  callSid: string;
  assistantId: string | null;
  from: string | null;
  to: string | null;
}

/** Memory the call id cache may take (call sids are the caller's text, of any length). */
export const CALL_CACHE_BYTES = 4 * 1024 * 1024;

/** Call ids never change once created, so a bounded cache saves a round trip on every later tool call. */
export function createCallResolver(prisma: Prisma, maxBytes = CALL_CACHE_BYTES): (info: CallInfo) => Promise<string> {
  const cache = new LRUCache<string, string>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => approximateBytes(value, key),
  });
  return async (info) => {
    const cacheKey = `${info.organizationId}:${info.callSid}`;
    const cached = cache.get(cacheKey);
    if (cached) return cached;
    const where = { organizationId_callSid: { organizationId: info.organizationId, callSid: info.callSid } };
    let id: string;
    try {
      const call = await prisma.call.upsert({
        where,
        create: {
          organizationId: info.organizationId,
          callSid: info.callSid,
          assistantId: info.assistantId,
          fromNumber: info.from,
          toNumber: info.to,
        },
        update: {},
        select: { id: true },
      });
      id = call.id;
    } catch (error) {
      // Two first tool calls of one call can race the upsert; the loser reads the winner's row.
      if (!isUniqueViolation(error)) throw error;
      const call = await prisma.call.findUniqueOrThrow({ where, select: { id: true } });
      id = call.id;
    }
    cache.set(cacheKey, id);
    return id;
  };
}

export type EventSource = Pick<ToolExecution, 'id' | 'organizationId' | 'toolId' | 'assistantId' | 'callId' | 'status'>;

export function publishEvent(pubsub: SwitchboardPubSub, kind: ExecutionEventKind, row: EventSource, at: Date): void {
  pubsub.publish(executionTopic(row.organizationId), {
    kind,
    organizationId: row.organizationId,
    executionId: row.id,
    toolId: row.toolId,
    assistantId: row.assistantId,
    callId: row.callId,
    status: row.status,
    at: at.toISOString(),
  });
}

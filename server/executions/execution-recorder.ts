/**
 * What the engine records besides the hot-path writes (execution-writer.ts):
 * decisions as conditional transitions (two deciders can never both win), the
 * Call row, and the events the live monitor follows.
 */
import { LRUCache } from 'lru-cache';
import { approximateBytes } from '../cache/approximate-bytes.ts';
import type { Prisma } from '../db/database.ts';
import type { CallPlatform, CallStatus, ExecutionStatus, ToolExecution } from '../db/generated/prisma/client.ts';
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
  platform?: CallPlatform | null;
}

/** The call a tool call belongs to; an ended call refuses new tool calls (CALL_ENDED). */
export interface ResolvedCall {
  id: string;
  ended: boolean;
}

export interface CallResolver {
  (info: CallInfo): Promise<ResolvedCall>;
  /** Drops a call that ended from the cache, so its next tool call reads the ended row. */
  forget(organizationId: string, callSid: string): void;
}

/** Memory the call id cache may take (call sids are the caller's text, of any length). */
export const CALL_CACHE_BYTES = 4 * 1024 * 1024;

/**
 * Call ids never change once created, so a bounded cache of calls in progress
 * saves a round trip on every later tool call. Ended calls are not cached: the
 * rare tool call after hangup reads the row and is refused.
 */
export function createCallResolver(prisma: Prisma, maxBytes = CALL_CACHE_BYTES): CallResolver {
  const cache = new LRUCache<string, string>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => approximateBytes(value, key),
  });
  const keyOf = (organizationId: string, callSid: string): string => `${organizationId}:${callSid}`;
  const resolve = async (info: CallInfo): Promise<ResolvedCall> => {
    const cacheKey = keyOf(info.organizationId, info.callSid);
    const cached = cache.get(cacheKey);
    if (cached) return { id: cached, ended: false };
    const where = { organizationId_callSid: { organizationId: info.organizationId, callSid: info.callSid } };
    let call: { id: string; status: CallStatus };
    try {
      call = await prisma.call.upsert({
        where,
        create: {
          organizationId: info.organizationId,
          callSid: info.callSid,
          assistantId: info.assistantId,
          fromNumber: info.from,
          toNumber: info.to,
          ...(info.platform ? { platform: info.platform } : {}),
        },
        update: {},
        select: { id: true, status: true },
      });
    } catch (error) {
      // Two first tool calls of one call can race the upsert; the loser reads the winner's row.
      if (!isUniqueViolation(error)) throw error;
      call = await prisma.call.findUniqueOrThrow({ where, select: { id: true, status: true } });
    }
    const ended = call.status === 'ENDED';
    if (!ended) cache.set(cacheKey, call.id);
    return { id: call.id, ended };
  };
  return Object.assign(resolve, {
    forget: (organizationId: string, callSid: string) => void cache.delete(keyOf(organizationId, callSid)),
  });
}

export type EventSource = Pick<ToolExecution, 'id' | 'organizationId' | 'toolId' | 'assistantId' | 'callId' | 'status'>;

export function publishEvent(
  pubsub: SwitchboardPubSub,
  kind: ExecutionEventKind,
  row: EventSource,
  at: Date,
  progress?: { message: string; sequence: number },
): void {
  pubsub.publish(executionTopic(row.organizationId), {
    ...progress,
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

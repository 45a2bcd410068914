/**
 * Calls as sessions: a call starts at its first tool call (the engine creates
 * the row) or an explicit start, and ends from the voice platform's webhook,
 * GraphQL or the REST end route. Ending settles everything of the call
 * (engine.settleCall) and is idempotent: a second end changes nothing.
 */
import type { Prisma } from '../db/database.ts';
import type { Call, CallPlatform } from '../db/generated/prisma/client.ts';
import { uuidOrNil } from '../db/json.ts';
import { storableText } from '../db/storable-text.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { ExecutionEngine } from '../executions/engine.ts';

export interface CallDeps {
  prisma: Prisma;
  engine: Pick<ExecutionEngine, 'settleCall'>;
}

/** Platforms' call ids are UUIDs or short tokens; this bounds what a caller can make us store and index. */
export const MAX_EXTERNAL_ID_LENGTH = 256;
const MAX_END_REASON_LENGTH = 500;

export interface StartCallInput {
  organizationId: string;
  externalId: string;
  platform: CallPlatform;
  assistantId?: string | null;
  from?: string | null;
  to?: string | null;
}

export interface EndCallInput {
  organizationId: string;
  externalId: string;
  reason?: string | null;
  /**
   * Platform webhooks record a call that ended before any tool call (so it is
   * listed, and a late tool call is refused); the API answers NotFound instead.
   */
  createAs?: { platform: CallPlatform; assistantId: string | null; from?: string | null; to?: string | null };
}

function externalIdOf(value: string): string {
  const trimmed = value.trim();
  if (!trimmed || trimmed.length > MAX_EXTERNAL_ID_LENGTH) {
    throw new ValidationError([{ field: 'externalId', message: `must be 1 to ${MAX_EXTERNAL_ID_LENGTH} characters` }]);
  }
  return storableText(trimmed);
}

/** A phone number or SIP address as given; bounded like the call context fields tool calls send. */
function numberOf(value: string | null | undefined, field: string): string | null {
  if (!value) return null;
  if (value.length > MAX_EXTERNAL_ID_LENGTH)
    throw new ValidationError([{ field, message: `must be at most ${MAX_EXTERNAL_ID_LENGTH} characters` }]);
  return storableText(value);
}

function reasonOf(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? storableText(trimmed.slice(0, MAX_END_REASON_LENGTH)) : null;
}

async function assistantInOrganization(prisma: Prisma, organizationId: string, id: string): Promise<string> {
  const found = await prisma.assistant.findFirst({
    where: { id: uuidOrNil(id), organizationId },
    select: { id: true },
  });
  if (!found) throw new NotFoundError('Assistant');
  return found.id;
}

/** Starts the call, or returns it when it already started; a call that ended cannot start again. */
export async function startCall(deps: CallDeps, input: StartCallInput): Promise<Call> {
  const callSid = externalIdOf(input.externalId);
  const assistantId = input.assistantId
    ? await assistantInOrganization(deps.prisma, input.organizationId, input.assistantId)
    : null;
  const where = { organizationId_callSid: { organizationId: input.organizationId, callSid } };
  const call = await deps.prisma.call.upsert({
    where,
    create: {
      organizationId: input.organizationId,
      callSid,
      platform: input.platform,
      assistantId,
      fromNumber: numberOf(input.from, 'fromNumber'),
      toNumber: numberOf(input.to, 'toNumber'),
    },
    update: {},
  });
  if (call.status === 'ENDED') throw new ConflictError('The call has already ended', 'externalId');
  return call;
}

/** Ends the call and settles its executions; ending an ended call returns it unchanged. */
export async function endCall(deps: CallDeps, input: EndCallInput): Promise<Call> {
  const { prisma } = deps;
  const callSid = externalIdOf(input.externalId);
  const where = { organizationId_callSid: { organizationId: input.organizationId, callSid } };
  const endedAt = new Date();
  const endReason = reasonOf(input.reason);
  let call = await prisma.call.findUnique({ where });
  if (!call && input.createAs) {
    call = await prisma.call.upsert({
      where,
      create: {
        organizationId: input.organizationId,
        callSid,
        platform: input.createAs.platform,
        assistantId: input.createAs.assistantId,
        fromNumber: numberOf(input.createAs.from, 'fromNumber'),
        toNumber: numberOf(input.createAs.to, 'toNumber'),
      },
      update: {},
    });
  }
  if (!call) throw new NotFoundError('Call');
  // Conditional: of two ends racing (Vapi sends status-update and end-of-call-report), the first one's time and reason stand.
  await prisma.call.updateMany({
    where: { id: call.id, status: 'IN_PROGRESS' },
    data: { status: 'ENDED', endedAt, endReason },
  });
  await deps.engine.settleCall({ id: call.id, organizationId: call.organizationId, callSid: call.callSid });
  return prisma.call.findUniqueOrThrow({ where: { id: call.id } });
}

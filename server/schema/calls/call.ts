import { endCall, startCall } from '../../calls/call-sessions.ts';
import type { Prisma as P } from '../../db/generated/prisma/client.ts';
import { uuidOrNil } from '../../db/json.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';

export const CallStatusEnum = builder.enumType('CallStatus', {
  description: 'Whether a call is still going on.',
  values: ['IN_PROGRESS', 'ENDED'] as const,
});
export const CallPlatformEnum = builder.enumType('CallPlatform', {
  values: ['VAPI', 'RETELL', 'API', 'ELEVENLABS'] as const,
  description: 'Where the call came from; API for LiveKit, Pipecat and custom agents.',
});

export const CallRef = builder.prismaObject('Call', {
  description: 'A phone or voice session whose tool calls Switchboard ran.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID.' }),
    externalId: t.exposeString('callSid', { description: "The voice platform's own call id." }),
    callSid: t.exposeString('callSid', {
      deprecationReason: 'Use externalId.',
      description: 'The same as externalId.',
    }),
    platform: t.expose('platform', {
      type: CallPlatformEnum,
      description: 'Which voice platform the call came through.',
    }),
    fromNumber: t.exposeString('fromNumber', { nullable: true, description: 'The calling number, when known.' }),
    toNumber: t.exposeString('toNumber', { nullable: true, description: 'The called number, when known.' }),
    status: t.expose('status', { type: CallStatusEnum, description: 'IN_PROGRESS until it ends.' }),
    startedAt: t.expose('startedAt', {
      type: 'DateTime',
      description: 'When it started (or its first tool call arrived).',
    }),
    endedAt: t.expose('endedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it ended; null while in progress.',
    }),
    endReason: t.exposeString('endReason', {
      nullable: true,
      description: 'Why it ended, as the platform or endCall said.',
    }),
    assistant: t.relation('assistant', { nullable: true, description: 'The assistant on the call, when known.' }),
    executions: t.relatedConnection('executions', {
      cursor: 'id',
      description: "The call's tool calls, oldest first (its timeline).",
      query: { orderBy: [{ startedAt: 'asc' }, { id: 'asc' }] },
    }),
  }),
});

const CallFilter = builder.inputType('CallFilter', {
  description: 'Narrows the calls list; every field given must match.',
  fields: (t) => ({
    externalId: t.string({ description: 'Only the call with this platform call id.' }),
    status: t.field({ type: CallStatusEnum, description: 'Only calls in this status.' }),
    assistantId: t.id({ description: 'Only calls of this assistant.' }),
    since: t.field({ type: 'DateTime', description: 'Calls started at or after this time.' }),
  }),
});

builder.queryFields((t) => ({
  calls: t.prismaConnection({
    type: 'Call',
    cursor: 'id',
    authScopes: { authenticated: true },
    maxSize: 200,
    defaultSize: 50,
    args: { filter: t.arg({ type: CallFilter }) },
    description: 'Newest first.',
    resolve: (query, _root, args, context) => {
      const filter = args.filter ?? {};
      const where: P.CallWhereInput = {
        organizationId: actorOf(context).organizationId,
        ...(filter.externalId ? { callSid: filter.externalId } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.assistantId ? { assistantId: uuidOrNil(filter.assistantId) } : {}),
        ...(filter.since ? { startedAt: { gte: filter.since } } : {}),
      };
      return context.services.prisma.call.findMany({
        ...query,
        where,
        orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
      });
    },
  }),
  call: t.prismaField({
    description: 'Null when the call does not exist in the organization.',
    type: 'Call',
    nullable: true,
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.services.prisma.call.findFirst({
        ...query,
        where: { id: uuidOrNil(args.id), organizationId: actorOf(context).organizationId },
      }),
  }),
}));

const StartCallInput = builder.inputType('StartCallInput', {
  description: 'A call to record as started.',
  fields: (t) => ({
    externalId: t.string({
      required: true,
      description: "The voice platform's call id (what tool calls send as callSid).",
    }),
    platform: t.field({ type: CallPlatformEnum, description: 'Default API.' }),
    assistantId: t.id({ description: 'The assistant on the call.' }),
    fromNumber: t.string({ description: 'The calling number.' }),
    toNumber: t.string({ description: 'The called number.' }),
  }),
});

const EndCallInput = builder.inputType('EndCallInput', {
  description: 'A call to end.',
  fields: (t) => ({
    externalId: t.string({ required: true, description: "The voice platform's call id." }),
    reason: t.string({ description: 'Recorded as endReason.' }),
  }),
});

builder.mutationFields((t) => ({
  startCall: t.field({
    type: CallRef,
    authScopes: { role: 'MEMBER' },
    args: { input: t.arg({ type: StartCallInput, required: true }) },
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'StartCallResult', description: 'The call, or why not.' },
    },
    description: 'Starts a call (its first tool call also does); starting a call in progress returns it.',
    resolve: (_root, { input }, context) =>
      startCall(context.services, {
        organizationId: actorOf(context).organizationId,
        externalId: input.externalId,
        platform: input.platform ?? 'API',
        assistantId: input.assistantId ?? null,
        from: input.fromNumber ?? null,
        to: input.toNumber ?? null,
      }),
  }),
  endCall: t.field({
    type: CallRef,
    authScopes: { role: 'MEMBER' },
    args: { input: t.arg({ type: EndCallInput, required: true }) },
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'EndCallResult', description: 'The ended call, or why not.' },
    },
    description:
      'Ends the call: pending approvals and running executions end CANCELLED (CALL_ENDED) unless their tool says continue_after_hangup. Idempotent.',
    resolve: (_root, { input }, context) =>
      endCall(context.services, {
        organizationId: actorOf(context).organizationId,
        externalId: input.externalId,
        reason: input.reason ?? null,
      }),
  }),
}));

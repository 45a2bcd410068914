import { NotFoundError } from '../../errors.ts';
import { openCallEvents, untilCallEnded, type CallEvent } from '../../realtime/call-events.ts';
import { executionSnapshots } from '../../realtime/execution-snapshots.ts';
import type { ExecutionStatus } from '../../db/generated/prisma/client.ts';
import { builder } from '../builder.ts';
import { executionQueryOf } from '../executions/execution-subscriptions.ts';
import { ExecutionStatusEnum } from '../executions/execution.ts';
import { liveBoundedStream } from '../live-stream.ts';
import { actorOf } from '../viewer-actor.ts';
import { MAX_EXTERNAL_ID_LENGTH } from '../../calls/call-sessions.ts';

const CallEventKindEnum = builder.enumType('CallEventKind', {
  description: 'What a call event reports.',
  values: {
    CREATED: { value: 'created' },
    PENDING_APPROVAL: { value: 'pending_approval' },
    RUNNING: { value: 'running' },
    RETRYING: { value: 'retrying' },
    PROGRESS: { value: 'progress', description: 'The running tool reported progress (`message`, `sequence`).' },
    FINISHED: { value: 'finished' },
    CALL_ENDED: { value: 'call_ended', description: 'The last event: the subscription completes after it.' },
  } as const,
});

const CallEventRef = builder.objectRef<CallEvent>('CallEvent').implement({
  description: "One state change of a call's execution, or the call's end.",
  fields: (t) => ({
    kind: t.field({ type: CallEventKindEnum, resolve: (event) => event.kind, description: 'What happened.' }),
    at: t.field({ type: 'DateTime', resolve: (event) => new Date(event.at), description: 'When it happened.' }),
    callId: t.id({ description: "The Call's id.", resolve: (event) => event.callId }),
    executionId: t.id({
      nullable: true,
      description: 'The execution that changed; null for CALL_ENDED.',
      resolve: (event) => (event.kind === 'call_ended' ? null : event.execution.executionId),
    }),
    message: t.string({
      nullable: true,
      description: 'For PROGRESS: what the tool reported (one line, at most 500 characters).',
      resolve: (event) => (event.kind === 'call_ended' ? null : (event.execution.message ?? null)),
    }),
    sequence: t.int({
      nullable: true,
      description: "For PROGRESS: the report's number within its execution, from 1.",
      resolve: (event) => (event.kind === 'call_ended' ? null : (event.execution.sequence ?? null)),
    }),
    status: t.field({
      type: ExecutionStatusEnum,
      nullable: true,
      description: 'The status the execution had at this change; null for CALL_ENDED.',
      resolve: (event) => (event.kind === 'call_ended' ? null : (event.execution.status as ExecutionStatus)),
    }),
    execution: t.prismaField({
      type: 'ToolExecution',
      nullable: true,
      description: 'Read when the event is delivered: it may already be further along than `status`.',
      resolve: (query, event, _args, context) => {
        if (event.kind !== 'call_ended')
          return executionSnapshots.load(context.services, event.execution, actorOf(context).organizationId, query);
        // Nothing to read for the end; reading the planned query tells Pothos' unused-query check so.
        void { ...query };
        return null;
      },
    }),
    endedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'For CALL_ENDED: when the call ended.',
      resolve: (event) => (event.kind === 'call_ended' ? new Date(event.endedAt) : null),
    }),
    reason: t.string({
      nullable: true,
      description: 'Why the call ended, for CALL_ENDED.',
      resolve: (event) => (event.kind === 'call_ended' ? event.reason : null),
    }),
  }),
});

builder.subscriptionFields((t) => ({
  callEvents: t.field({
    type: CallEventRef,
    authScopes: { authenticated: true },
    description:
      "One call's execution events from now on, then CALL_ENDED, after which it completes (at once when the call " +
      "has ended). `callId` is the voice platform's call id (the Call's externalId), as in POST /v1/calls/:callId/end.",
    args: { callId: t.arg.id({ required: true }) },
    subscribe: async (_root, args, context, info) => {
      const { organizationId } = actorOf(context);
      const externalId = String(args.callId);
      // Another organization's call is looked up in the viewer's and so does not exist.
      const call =
        externalId.length <= MAX_EXTERNAL_ID_LENGTH
          ? await context.services.prisma.call.findUnique({
              where: { organizationId_callSid: { organizationId, callSid: externalId } },
              select: { id: true, organizationId: true },
            })
          : null;
      if (!call) throw new NotFoundError('Call');
      const executionQuery = executionQueryOf(context, info);
      const { services } = context;
      return untilCallEnded(
        liveBoundedStream(context, 'callEvents', (hooks) =>
          openCallEvents(
            {
              prisma: services.prisma,
              pubsub: services.pubsub,
              onError: (error) => services.logger.error({ err: error }, 'callEvents: reading the call failed'),
            },
            call,
            {
              ...hooks,
              onExecutionQueued: executionQuery
                ? (event) => executionSnapshots.prefetch(services, event, organizationId, executionQuery)
                : undefined,
            },
          ),
        ),
      );
    },
    resolve: (event) => event,
  }),
}));

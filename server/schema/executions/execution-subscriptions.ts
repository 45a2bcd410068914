import { executionEventMatcher } from '../../realtime/execution-filter.ts';
import { executionSnapshots } from '../../realtime/execution-snapshots.ts';
import { executionTopic, type ExecutionEvent } from '../../realtime/pubsub.ts';
import { uuidOrNil } from '../../db/json.ts';
import type { ExecutionStatus } from '../../db/generated/prisma/client.ts';
import { builder } from '../builder.ts';
import { liveStream } from '../live-stream.ts';
import { actorOf } from '../viewer-actor.ts';
import { ExecutionStatusEnum } from './execution.ts';

const ExecutionEventKindEnum = builder.enumType('ExecutionEventKind', {
  values: {
    CREATED: { value: 'created' },
    PENDING_APPROVAL: { value: 'pending_approval' },
    RUNNING: { value: 'running' },
    RETRYING: { value: 'retrying' },
    FINISHED: { value: 'finished' },
  } as const,
});

const ToolExecutionEventRef = builder.objectRef<ExecutionEvent>('ToolExecutionEvent').implement({
  description: 'One state change of an execution.',
  fields: (t) => ({
    kind: t.field({ type: ExecutionEventKindEnum, resolve: (event) => event.kind }),
    status: t.field({
      type: ExecutionStatusEnum,
      description: 'The status the execution had at this change (FINISHED carries the final one).',
      resolve: (event) => event.status as ExecutionStatus,
    }),
    at: t.field({ type: 'DateTime', resolve: (event) => new Date(event.at) }),
    executionId: t.exposeID('executionId'),
    execution: t.prismaField({
      type: 'ToolExecution',
      nullable: true,
      description: 'Read when the event is delivered: it may already be further along than `status`.',
      // Read once per event per process with its tool, assistant and call, and shared by every
      // subscriber of the organization (see execution-snapshots.ts); still scoped to the viewer's organization.
      resolve: (query, event, _args, context) =>
        executionSnapshots.load(context.services.prisma, event, actorOf(context).organizationId, query),
    }),
  }),
});

const ToolExecutionEventFilter = builder.inputType('ToolExecutionEventFilter', {
  fields: (t) => ({
    toolId: t.id(),
    assistantId: t.id(),
    callId: t.id(),
    statuses: t.field({ type: [ExecutionStatusEnum], description: 'Matches the status at each change.' }),
  }),
});

builder.subscriptionFields((t) => ({
  toolExecutionEvents: t.field({
    type: ToolExecutionEventRef,
    authScopes: { authenticated: true },
    description: "Every state change of the viewer's organization's executions, oldest first.",
    args: { filter: t.arg({ type: ToolExecutionEventFilter }) },
    subscribe: (_root, args, context) => {
      const filter = args.filter ?? {};
      // The organization always comes from the viewer: a filter naming another organization's ids matches nothing.
      const topic = executionTopic(actorOf(context).organizationId);
      return liveStream(
        context,
        'toolExecutionEvents',
        topic,
        executionEventMatcher({
          toolId: filter.toolId ? uuidOrNil(filter.toolId).toLowerCase() : null,
          assistantId: filter.assistantId ? uuidOrNil(filter.assistantId).toLowerCase() : null,
          callId: filter.callId ? uuidOrNil(filter.callId).toLowerCase() : null,
          statuses: filter.statuses,
        }),
      );
    },
    resolve: (event) => event,
  }),
}));

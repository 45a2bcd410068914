import { queryFromInfo } from '@pothos/plugin-prisma';
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { executionEventMatcher } from '../../realtime/execution-filter.ts';
import { executionSnapshots, type SelectionQuery } from '../../realtime/execution-snapshots.ts';
import { executionTopic, type ExecutionEvent } from '../../realtime/pubsub.ts';
import { uuidOrNil } from '../../db/json.ts';
import type { ExecutionStatus } from '../../db/generated/prisma/client.ts';
import { builder } from '../builder.ts';
import { liveStream } from '../live-stream.ts';
import { actorOf } from '../viewer-actor.ts';
import { ExecutionStatusEnum } from './execution.ts';

const ExecutionEventKindEnum = builder.enumType('ExecutionEventKind', {
  description: 'What happened to an execution.',
  values: {
    CREATED: { value: 'created', description: 'The execution was recorded (QUEUED for async runs).' },
    PENDING_APPROVAL: { value: 'pending_approval', description: 'It is held until an approver decides.' },
    RUNNING: { value: 'running', description: 'The tool started (or an async worker took it).' },
    RETRYING: { value: 'retrying', description: 'An attempt failed transiently; another follows after a backoff.' },
    PROGRESS: { value: 'progress', description: 'The running tool reported progress (`message`, `sequence`).' },
    FINISHED: { value: 'finished', description: 'It reached its final status (`status`).' },
  } as const,
});

const ToolExecutionEventRef = builder.objectRef<ExecutionEvent>('ToolExecutionEvent').implement({
  description: 'One state change of an execution.',
  fields: (t) => ({
    kind: t.field({ type: ExecutionEventKindEnum, description: 'What happened.', resolve: (event) => event.kind }),
    status: t.field({
      type: ExecutionStatusEnum,
      description: 'The status the execution had at this change (FINISHED carries the final one).',
      resolve: (event) => event.status as ExecutionStatus,
    }),
    at: t.field({
      type: 'DateTime',
      description: 'When it happened, by the clock of the server that ran the execution.',
      resolve: (event) => new Date(event.at),
    }),
    executionId: t.exposeID('executionId', { description: 'The execution that changed (see `execution`).' }),
    message: t.string({
      nullable: true,
      description: 'For PROGRESS: what the tool reported (one line, at most 500 characters).',
      resolve: (event) => event.message ?? null,
    }),
    sequence: t.int({
      nullable: true,
      description: "For PROGRESS: the report's number within its execution, from 1.",
      resolve: (event) => event.sequence ?? null,
    }),
    execution: t.prismaField({
      type: 'ToolExecution',
      nullable: true,
      description: 'Read when the event is delivered: it may already be further along than `status`.',
      // Read once per event per process with its tool, assistant and call, and shared by every
      // subscriber of the organization (see execution-snapshots.ts); still scoped to the viewer's organization.
      resolve: (query, event, _args, context) =>
        executionSnapshots.load(context.services, event, actorOf(context).organizationId, query),
    }),
  }),
});

/** Whether a selection set asks for `field`, directly or through fragments. */
function selects(info: GraphQLResolveInfo, selectionSet: SelectionSetNode | undefined, field: string): boolean {
  return (selectionSet?.selections ?? []).some((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === field;
    if (selection.kind === Kind.INLINE_FRAGMENT) return selects(info, selection.selectionSet, field);
    return selects(info, info.fragments[selection.name.value]?.selectionSet, field);
  });
}

/**
 * The Prisma query `ToolExecutionEvent.execution` will resolve with for this subscription, or
 * null when it does not select the execution: what to read as soon as an event is queued.
 */
export function executionQueryOf(context: object, info: GraphQLResolveInfo): SelectionQuery | null {
  if (!info.fieldNodes.some((node) => selects(info, node.selectionSet, 'execution'))) return null;
  try {
    const query: unknown = queryFromInfo({ context, info, typeName: 'ToolExecution', path: ['execution'] });
    return typeof query === 'object' && query !== null && !('then' in query) ? (query as SelectionQuery) : null;
  } catch {
    // Only an optimisation: the resolver plans and reports the selection itself.
    return null;
  }
}

const ToolExecutionEventFilter = builder.inputType('ToolExecutionEventFilter', {
  description: 'Narrows toolExecutionEvents; every field given must match (omitted fields match everything).',
  fields: (t) => ({
    toolId: t.id({ description: "Only this tool's executions." }),
    assistantId: t.id({ description: "Only executions this assistant's calls made." }),
    callId: t.id({ description: 'Only executions of this call.' }),
    statuses: t.field({ type: [ExecutionStatusEnum], description: 'Matches the status at each change.' }),
  }),
});

builder.subscriptionFields((t) => ({
  toolExecutionEvents: t.field({
    type: ToolExecutionEventRef,
    authScopes: { authenticated: true },
    description: "Every state change of the viewer's organization's executions, oldest first.",
    args: { filter: t.arg({ type: ToolExecutionEventFilter }) },
    subscribe: (_root, args, context, info) => {
      const filter = args.filter ?? {};
      // The organization always comes from the viewer: a filter naming another organization's ids matches nothing.
      const { organizationId } = actorOf(context);
      const topic = executionTopic(organizationId);
      const executionQuery = executionQueryOf(context, info);
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
        // The read starts while earlier events are still being delivered, instead of when this
        // subscriber gets to the event; every subscriber of the process shares it.
        executionQuery
          ? (event) => executionSnapshots.prefetch(context.services, event, organizationId, executionQuery)
          : undefined,
      );
    },
    resolve: (event) => event,
  }),
}));

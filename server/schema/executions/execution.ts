import type { Prisma as P } from '../../db/generated/prisma/client.ts';
import { uuidOrNil } from '../../db/json.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../viewer-actor.ts';

export const ExecutionStatusEnum = builder.enumType('ExecutionStatus', {
  values: [
    'RUNNING',
    'SUCCESS',
    'ERROR',
    'TIMEOUT',
    'CANCELLED',
    'RATE_LIMITED',
    'PENDING_APPROVAL',
    'REJECTED',
    'QUEUED',
  ] as const,
});

export const ToolExecutionRef = builder.prismaObject('ToolExecution', {
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The execution id (UUID).' }),
    tool: t.relation('tool', { nullable: true, description: 'Null for built-ins and deleted tools.' }),
    toolName: t.exposeString('toolName'),
    toolVersion: t.exposeInt('toolVersion'),
    assistant: t.relation('assistant', { nullable: true }),
    call: t.relation('call', { nullable: true }),
    toolCallId: t.exposeString('toolCallId', { nullable: true }),
    status: t.expose('status', { type: ExecutionStatusEnum }),
    inputParameters: t.expose('inputParameters', { type: 'JSON' }),
    outputResult: t.expose('outputResult', { type: 'JSON', nullable: true, description: '{ success, message, data }' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'For async executions: when a worker took it.' }),
    queuedAt: t.expose('queuedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When an async execution was enqueued; null for sync ones.',
    }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    durationMs: t.exposeInt('durationMs', { nullable: true }),
    errorMessage: t.exposeString('errorMessage', { nullable: true }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
    retryCount: t.exposeInt('retryCount'),
    triggerContext: t.exposeString('triggerContext'),
    context: t.expose('context', { type: 'JSON' }),
    request: t.expose('request', {
      type: 'JSON',
      nullable: true,
      description: 'The final request as sent (method, URL, headers, body), secrets redacted.',
    }),
    logs: t.expose('logs', { type: 'JSON', nullable: true }),
    approvalDeadline: t.expose('approvalDeadline', { type: 'DateTime', nullable: true }),
    awaitingCallbackUntil: t.expose('awaitingCallbackUntil', {
      type: 'DateTime',
      nullable: true,
      description: 'Set while a Lambda Event invocation awaits its callback (still RUNNING); it ends TIMEOUT after.',
    }),
    approvalPreview: t.expose('approvalPreview', {
      type: 'JSON',
      nullable: true,
      description:
        'For approvals: the request the run will send (endpoint method/url/headers/body, Lambda invocation, or code and parameters), secrets as [secret:NAME]. Approval runs exactly this tool; if it changed since, the execution ends TOOL_CHANGED_SINCE_REQUEST.',
    }),
  }),
});

const ToolExecutionFilter = builder.inputType('ToolExecutionFilter', {
  fields: (t) => ({
    toolId: t.id(),
    assistantId: t.id(),
    callId: t.id(),
    status: t.field({ type: ExecutionStatusEnum }),
    since: t.field({ type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  toolExecutions: t.prismaConnection({
    type: 'ToolExecution',
    cursor: 'id',
    authScopes: { authenticated: true },
    maxSize: 200,
    defaultSize: 50,
    args: { filter: t.arg({ type: ToolExecutionFilter }) },
    description: 'Newest first.',
    resolve: (query, _root, args, context) => {
      const filter = args.filter ?? {};
      const where: P.ToolExecutionWhereInput = {
        organizationId: actorOf(context).organizationId,
        ...(filter.toolId ? { toolId: uuidOrNil(filter.toolId) } : {}),
        ...(filter.assistantId ? { assistantId: uuidOrNil(filter.assistantId) } : {}),
        ...(filter.callId ? { callId: uuidOrNil(filter.callId) } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.since ? { startedAt: { gte: filter.since } } : {}),
      };
      return context.services.prisma.toolExecution.findMany({
        ...query,
        where,
        orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
      });
    },
  }),
  toolExecution: t.prismaField({
    type: 'ToolExecution',
    nullable: true,
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.services.prisma.toolExecution.findFirst({
        ...query,
        where: { id: uuidOrNil(args.id), organizationId: actorOf(context).organizationId },
      }),
  }),
}));

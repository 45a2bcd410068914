import type { Prisma as P } from '../../db/generated/prisma/client.ts';
import { uuidOrNil } from '../../db/json.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../viewer-actor.ts';

export const ExecutionStatusEnum = builder.enumType('ExecutionStatus', {
  description:
    'Where an execution stands. QUEUED, PENDING_APPROVAL and RUNNING are in progress; every other status is final.',
  values: {
    RUNNING: { description: 'The tool is running (or a Lambda Event invocation awaits its callback).' },
    SUCCESS: { description: 'The tool answered; outputResult holds its result.' },
    ERROR: { description: 'The tool failed; errorCode and errorMessage say why.' },
    TIMEOUT: { description: "The tool did not finish within its timeoutSeconds (or the sandbox's execution_timeout)." },
    CANCELLED: { description: 'Cancelled by a user, or by the end of the call it belonged to (errorCode CALL_ENDED).' },
    RATE_LIMITED: { description: "Refused by the organization's or the tool's rate limit before it ran." },
    PENDING_APPROVAL: {
      description: 'Held until an ADMIN approves or rejects it, at the latest until approvalDeadline.',
    },
    REJECTED: {
      description: 'Rejected by an ADMIN, or not approved before approvalDeadline (errorCode APPROVAL_TIMEOUT).',
    },
    QUEUED: { description: 'An async execution waiting for a worker; startedAt is set when one takes it.' },
  } as const,
});

export const ToolExecutionRef = builder.prismaObject('ToolExecution', {
  description:
    "One run of a tool: who asked, with which parameters, what was sent and what came back. Kept for the organization's log retention.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The execution id (UUID).' }),
    tool: t.relation('tool', { nullable: true, description: 'Null for built-ins and deleted tools.' }),
    toolName: t.exposeString('toolName', {
      description: "The tool's name when it ran (kept when the tool is renamed or deleted).",
    }),
    toolVersion: t.exposeInt('toolVersion', {
      description: 'The tool version that ran (see Tool.versions); built-ins have a fixed version of their own.',
    }),
    assistant: t.relation('assistant', {
      nullable: true,
      description: 'The assistant that called the tool; null for testTool runs and deleted assistants.',
    }),
    call: t.relation('call', {
      nullable: true,
      description: 'The phone call the execution belonged to; null outside a call or when the call is unknown.',
    }),
    toolCallId: t.exposeString('toolCallId', {
      nullable: true,
      description: "The voice platform's id for this tool call (Vapi / OpenAI tool_call_id); null when none was sent.",
    }),
    status: t.expose('status', { type: ExecutionStatusEnum, description: 'Where the execution stands now.' }),
    inputParameters: t.expose('inputParameters', {
      type: 'JSON',
      description: 'The parameters the tool was called with, as received (after validation against its schema).',
    }),
    outputResult: t.expose('outputResult', { type: 'JSON', nullable: true, description: '{ success, message, data }' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'For async executions: when a worker took it.' }),
    queuedAt: t.expose('queuedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When an async execution was enqueued; null for sync ones.',
    }),
    completedAt: t.expose('completedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the execution reached a final status; null while it is QUEUED, PENDING_APPROVAL or RUNNING.',
    }),
    durationMs: t.exposeInt('durationMs', {
      nullable: true,
      description: 'Milliseconds from startedAt to completedAt, retries included; null until the execution finishes.',
    }),
    errorMessage: t.exposeString('errorMessage', {
      nullable: true,
      description: 'What went wrong, for people (secrets redacted); null when the execution succeeded.',
    }),
    errorCode: t.exposeString('errorCode', {
      nullable: true,
      description:
        'Why it failed, for programs (e.g. SSRF_BLOCKED, TIMEOUT, SECRET_NOT_GRANTED; see docs/troubleshooting.md); null on success.',
    }),
    retryCount: t.exposeInt('retryCount', {
      description:
        'Attempts made after the first (0 when the first attempt settled it); bounded by Tool.retryAttempts.',
    }),
    triggerContext: t.exposeString('triggerContext', {
      description: 'What triggered the run: call, sms, webhook or test (testTool).',
    }),
    context: t.expose('context', {
      type: 'JSON',
      description: 'The call details the tool was given: call_sid, phone_number, from and to (absent when unknown).',
    }),
    request: t.expose('request', {
      type: 'JSON',
      nullable: true,
      description: 'The final request as sent (method, URL, headers, body), secrets redacted.',
    }),
    logs: t.expose('logs', {
      type: 'JSON',
      nullable: true,
      description: "A code tool's console output as a list of lines (bounded, secrets redacted); null for other tools.",
    }),
    approvalDeadline: t.expose('approvalDeadline', {
      type: 'DateTime',
      nullable: true,
      description:
        'For PENDING_APPROVAL executions: when it is rejected (APPROVAL_TIMEOUT) unless an ADMIN decides first; null otherwise.',
    }),
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
  description: 'Narrows toolExecutions; every field given must match (omitted fields match everything).',
  fields: (t) => ({
    toolId: t.id({ description: "Only this tool's executions." }),
    assistantId: t.id({ description: "Only executions this assistant's calls made." }),
    callId: t.id({ description: 'Only executions of this call.' }),
    status: t.field({ type: ExecutionStatusEnum, description: 'Only executions with this status now.' }),
    since: t.field({ type: 'DateTime', description: 'Only executions started at or after this time.' }),
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
    description: "One execution of the viewer's organization by id; null when there is none (or it is another's).",
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.services.prisma.toolExecution.findFirst({
        ...query,
        where: { id: uuidOrNil(args.id), organizationId: actorOf(context).organizationId },
      }),
  }),
}));

import type { Prisma as P } from '../../db/generated/prisma/client.ts';
import { uuidOrNil } from '../../db/json.ts';
import { builder } from '../builder.ts';
import { ToolExecutionRef } from '../executions/execution.ts';
import { actorOf } from '../viewer-actor.ts';
import { containsText } from '../../db/contains-text.ts';
import { missingSecretsOfTools } from '../../library/missing-secrets.ts';

export const ToolTypeEnum = builder.enumType('ToolType', {
  description: 'How a tool runs.',
  values: {
    ENDPOINT: { description: 'Calls an HTTP endpoint.' },
    CODE: { description: 'Runs JavaScript or Python in a sandbox.' },
    LAMBDA: { description: 'Invokes an AWS Lambda function.' },
  } as const,
});

export const ToolRef = builder.prismaObject('Tool', {
  description: 'A function an assistant can call, and how Switchboard runs it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID.' }),
    name: t.exposeString('name', { description: 'The function name the LLM calls; unique in the organization.' }),
    displayName: t.exposeString('displayName', { description: 'A human-readable name for the dashboard.' }),
    description: t.exposeString('description', { description: 'What the tool does, as the model reads it.' }),
    type: t.expose('type', { type: ToolTypeEnum, description: 'ENDPOINT, CODE or LAMBDA.' }),
    configuration: t.expose('configuration', {
      type: 'JSON',
      description: 'Type-specific; secret values are never stored here, only secret names.',
    }),
    functionDefinition: t.expose('functionDefinition', { type: 'JSON', description: 'OpenAI function definition.' }),
    isActive: t.exposeBoolean('isActive', { description: 'Off: every call is refused with TOOL_INACTIVE.' }),
    requireConfirmation: t.exposeBoolean('requireConfirmation', {
      description: 'Each run waits for a person to approve it (approver_role in the configuration).',
    }),
    allowedContexts: t.exposeStringList('allowedContexts', {
      description:
        'Where it may be called from (CALL, SMS, TEST, WEBHOOK); others are refused with CONTEXT_NOT_ALLOWED.',
    }),
    timeoutSeconds: t.exposeInt('timeoutSeconds', {
      description: 'How long a run may take, in seconds (1–300).',
    }),
    retryAttempts: t.exposeInt('retryAttempts', { description: 'Retries after a transient failure (0–5).' }),
    executionCount: t.exposeInt('executionCount', { description: 'How many times it ran.' }),
    lastExecutedAt: t.expose('lastExecutedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it last ran; null before the first run.',
    }),
    version: t.exposeInt('version', { description: 'Bumped by every change to what the tool does.' }),
    isPublic: t.exposeBoolean('isPublic', { description: 'Published to the marketplace (ADMIN).' }),
    isTemplate: t.exposeBoolean('isTemplate', { description: "Listed among the organization's templates." }),
    messages: t.expose('messages', {
      type: 'JSON',
      nullable: true,
      description:
        'Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }.',
    }),
    errorCount: t.exposeInt('errorCount', {
      description:
        'Runs that reached the tool and did not succeed (refusals are not counted); `tools(orderBy: ERRORS)` sorts by it.',
    }),
    archivedAt: t.expose('archivedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was archived; null while it is not. Archived tools never run (TOOL_ARCHIVED).',
    }),
    installCount: t.exposeInt('installCount', { description: 'How many times it was installed from the marketplace.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed.' }),
    createdBy: t.relation('createdBy', { nullable: true, description: 'Who created it; null when that user is gone.' }),
    versions: t.relatedConnection('versions', {
      cursor: 'id',
      description: 'Every saved version, newest first.',
      query: { orderBy: { version: 'desc' } },
    }),
    assignments: t.relation('assignments', {
      description: "This tool's assignments to assistants.",
      query: { orderBy: { createdAt: 'asc' } },
    }),
    missingSecrets: t.loadableList({
      type: 'String',
      description:
        'Secrets the configuration names that the organization has not set; the tool fails with SECRET_NOT_FOUND until they are.',
      load: (ids: string[], context) => missingSecretsOfTools(context.services.prisma, ids),
      resolve: (tool) => tool.id,
    }),
    assistantCount: t.loadable({
      type: 'Int',
      description: 'How many assistants use this tool.',
      load: async (ids: string[], context) => {
        const rows = await context.services.prisma.assistantTool.groupBy({
          by: ['toolId'],
          where: { toolId: { in: ids } },
          _count: { _all: true },
        });
        const counts = new Map(rows.map((row) => [row.toolId, row._count._all]));
        return ids.map((id) => counts.get(id) ?? 0);
      },
      resolve: (tool) => tool.id,
    }),
    lastExecution: t.loadable({
      type: ToolExecutionRef,
      nullable: true,
      description: 'The most recent execution of this tool.',
      load: async (ids: string[], context) => {
        // DISTINCT ON picks each tool's newest row from the (tool_id, started_at DESC) index in one statement.
        const latest = await context.services.prisma.$queryRaw<Array<{ id: string }>>`
          SELECT DISTINCT ON (tool_id) id FROM tool_execution_logs
          WHERE tool_id = ANY(${ids}::uuid[]) ORDER BY tool_id, started_at DESC`;
        const rows = latest.length
          ? await context.services.prisma.toolExecution.findMany({ where: { id: { in: latest.map((row) => row.id) } } })
          : [];
        const byTool = new Map(rows.map((row) => [row.toolId, row]));
        return ids.map((id) => byTool.get(id) ?? null);
      },
      resolve: (tool) => tool.id,
    }),
    successRate: t.loadable({
      type: 'Float',
      nullable: true,
      description: 'Share of finished executions that succeeded (null before the first one).',
      load: async (ids: string[], context) => {
        const rows = await context.services.prisma.toolExecution.groupBy({
          by: ['toolId', 'status'],
          where: { toolId: { in: ids }, status: { notIn: ['QUEUED', 'RUNNING', 'PENDING_APPROVAL'] } },
          _count: { _all: true },
        });
        return ids.map((id) => {
          const mine = rows.filter((row) => row.toolId === id);
          const total = mine.reduce((sum, row) => sum + row._count._all, 0);
          const ok = mine.find((row) => row.status === 'SUCCESS')?._count._all ?? 0;
          return total ? ok / total : null;
        });
      },
      resolve: (tool) => tool.id,
    }),
  }),
});

builder.prismaObject('ToolVersion', {
  description: 'An immutable snapshot of a tool at one version.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID.' }),
    version: t.exposeInt('version', { description: 'The version number.' }),
    name: t.exposeString('name', { description: 'The function name at this version.' }),
    displayName: t.exposeString('displayName', { description: 'The display name at this version.' }),
    description: t.exposeString('description', { description: 'The description at this version.' }),
    type: t.expose('type', { type: ToolTypeEnum, description: 'The tool type at this version.' }),
    configuration: t.expose('configuration', { type: 'JSON', description: 'The configuration at this version.' }),
    functionDefinition: t.expose('functionDefinition', {
      type: 'JSON',
      description: 'The function definition at this version.',
    }),
    requireConfirmation: t.exposeBoolean('requireConfirmation', {
      description: 'Whether runs needed approval at this version.',
    }),
    allowedContexts: t.exposeStringList('allowedContexts', { description: 'The allowed contexts at this version.' }),
    timeoutSeconds: t.exposeInt('timeoutSeconds', { description: 'The timeout at this version.' }),
    retryAttempts: t.exposeInt('retryAttempts', { description: 'The retries at this version.' }),
    createdBy: t.relation('createdBy', {
      nullable: true,
      description: 'Who made this version; null when that user is gone.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When this version was made.' }),
  }),
});

const ToolFilter = builder.inputType('ToolFilter', {
  description: 'Narrows the tools list; every field given must match.',
  fields: (t) => ({
    type: t.field({ type: ToolTypeEnum, description: 'Only tools of this type.' }),
    search: t.string({ description: 'Matches name, display name or description (case-insensitive).' }),
    isActive: t.boolean({ description: 'Only active (true) or inactive (false) tools.' }),
    isTemplate: t.boolean({ description: 'Only templates (true) or non-templates (false).' }),
    archived: t.boolean({
      description: 'Only archived (true) or only unarchived (false) tools; left out, archived tools are hidden.',
    }),
  }),
});

const ToolOrderEnum = builder.enumType('ToolOrder', {
  description: 'How the tools list is sorted; ties are broken by id so cursors stay stable.',
  values: {
    UPDATED: { description: 'Most recently changed first (the default).' },
    NAME: { description: 'By function name, A to Z.' },
    LAST_USED: { description: 'Most recently run first; tools never run last.' },
    ERRORS: { description: 'Most failed runs first (errorCount).' },
  } as const,
});

function orderByOf(order: 'UPDATED' | 'NAME' | 'LAST_USED' | 'ERRORS'): P.ToolOrderByWithRelationInput[] {
  switch (order) {
    case 'NAME':
      return [{ name: 'asc' }, { id: 'asc' }];
    case 'LAST_USED':
      return [{ lastExecutedAt: { sort: 'desc', nulls: 'last' } }, { id: 'asc' }];
    case 'ERRORS':
      return [{ errorCount: 'desc' }, { id: 'asc' }];
    case 'UPDATED':
      return [{ updatedAt: 'desc' }, { id: 'asc' }];
  }
}

const MAX_SEARCH_LENGTH = 200;

builder.queryFields((t) => ({
  tools: t.prismaConnection({
    type: 'Tool',
    cursor: 'id',
    description:
      "The organization's tools (archived ones only when the filter asks), most recently changed first unless `orderBy` says otherwise.",
    authScopes: { authenticated: true },
    maxSize: 100,
    defaultSize: 50,
    args: {
      filter: t.arg({ type: ToolFilter, description: 'Which tools; every field given must match.' }),
      orderBy: t.arg({ type: ToolOrderEnum, description: 'The sort order (default UPDATED).' }),
    },
    resolve: (query, _root, args, context) => {
      const filter = args.filter ?? {};
      const search = filter.search?.slice(0, MAX_SEARCH_LENGTH);
      const where: P.ToolWhereInput = {
        organizationId: actorOf(context).organizationId,
        ...(filter.type ? { type: filter.type } : {}),
        ...(filter.isActive != null ? { isActive: filter.isActive } : {}),
        ...(filter.isTemplate != null ? { isTemplate: filter.isTemplate } : {}),
        archivedAt: filter.archived ? { not: null } : null,
        ...(search
          ? {
              OR: [
                { name: containsText(search) },
                { displayName: containsText(search) },
                { description: containsText(search) },
              ],
            }
          : {}),
      };
      return context.services.prisma.tool.findMany({
        ...query,
        where,
        orderBy: orderByOf(args.orderBy ?? 'UPDATED'),
      });
    },
  }),
  tool: t.prismaField({
    type: 'Tool',
    nullable: true,
    description: 'Null when the tool does not exist in the organization.',
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.services.prisma.tool.findFirst({
        ...query,
        where: { id: uuidOrNil(args.id), organizationId: actorOf(context).organizationId },
      }),
  }),
}));

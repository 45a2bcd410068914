import type { Prisma as P } from '../../db/generated/prisma/client.ts';
import { uuidOrNil } from '../../db/json.ts';
import { builder } from '../builder.ts';
import { ToolExecutionRef } from '../executions/execution.ts';
import { actorOf } from '../viewer-actor.ts';
import { containsText } from '../../db/contains-text.ts';

export const ToolTypeEnum = builder.enumType('ToolType', {
  values: {
    ENDPOINT: { description: 'Calls an HTTP endpoint.' },
    CODE: { description: 'Runs JavaScript or Python in a sandbox.' },
    LAMBDA: { description: 'Invokes an AWS Lambda function.' },
  } as const,
});

export const ToolRef = builder.prismaObject('Tool', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'The function name the LLM calls; unique in the organization.' }),
    displayName: t.exposeString('displayName'),
    description: t.exposeString('description'),
    type: t.expose('type', { type: ToolTypeEnum }),
    configuration: t.expose('configuration', {
      type: 'JSON',
      description: 'Type-specific; secret values are never stored here, only secret names.',
    }),
    functionDefinition: t.expose('functionDefinition', { type: 'JSON', description: 'OpenAI function definition.' }),
    isActive: t.exposeBoolean('isActive'),
    requireConfirmation: t.exposeBoolean('requireConfirmation'),
    allowedContexts: t.exposeStringList('allowedContexts'),
    timeoutSeconds: t.exposeInt('timeoutSeconds'),
    retryAttempts: t.exposeInt('retryAttempts'),
    executionCount: t.exposeInt('executionCount'),
    lastExecutedAt: t.expose('lastExecutedAt', { type: 'DateTime', nullable: true }),
    version: t.exposeInt('version'),
    isPublic: t.exposeBoolean('isPublic'),
    isTemplate: t.exposeBoolean('isTemplate'),
    messages: t.expose('messages', {
      type: 'JSON',
      nullable: true,
      description:
        'Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }.',
    }),
    installCount: t.exposeInt('installCount', { description: 'How many times it was installed from the marketplace.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    createdBy: t.relation('createdBy', { nullable: true }),
    versions: t.relatedConnection('versions', { cursor: 'id', query: { orderBy: { version: 'desc' } } }),
    assignments: t.relation('assignments', {
      description: "This tool's assignments to assistants.",
      query: { orderBy: { createdAt: 'asc' } },
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
    id: t.exposeID('id'),
    version: t.exposeInt('version'),
    name: t.exposeString('name'),
    displayName: t.exposeString('displayName'),
    description: t.exposeString('description'),
    type: t.expose('type', { type: ToolTypeEnum }),
    configuration: t.expose('configuration', { type: 'JSON' }),
    functionDefinition: t.expose('functionDefinition', { type: 'JSON' }),
    requireConfirmation: t.exposeBoolean('requireConfirmation'),
    allowedContexts: t.exposeStringList('allowedContexts'),
    timeoutSeconds: t.exposeInt('timeoutSeconds'),
    retryAttempts: t.exposeInt('retryAttempts'),
    createdBy: t.relation('createdBy', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const ToolFilter = builder.inputType('ToolFilter', {
  fields: (t) => ({
    type: t.field({ type: ToolTypeEnum }),
    search: t.string({ description: 'Matches name, display name or description (case-insensitive).' }),
    isActive: t.boolean(),
    isTemplate: t.boolean(),
  }),
});

const MAX_SEARCH_LENGTH = 200;

builder.queryFields((t) => ({
  tools: t.prismaConnection({
    type: 'Tool',
    cursor: 'id',
    authScopes: { authenticated: true },
    maxSize: 100,
    defaultSize: 50,
    args: { filter: t.arg({ type: ToolFilter }) },
    resolve: (query, _root, args, context) => {
      const filter = args.filter ?? {};
      const search = filter.search?.slice(0, MAX_SEARCH_LENGTH);
      const where: P.ToolWhereInput = {
        organizationId: actorOf(context).organizationId,
        ...(filter.type ? { type: filter.type } : {}),
        ...(filter.isActive != null ? { isActive: filter.isActive } : {}),
        ...(filter.isTemplate != null ? { isTemplate: filter.isTemplate } : {}),
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
        orderBy: [{ updatedAt: 'desc' }, { id: 'asc' }],
      });
    },
  }),
  tool: t.prismaField({
    type: 'Tool',
    nullable: true,
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.services.prisma.tool.findFirst({
        ...query,
        where: { id: uuidOrNil(args.id), organizationId: actorOf(context).organizationId },
      }),
  }),
}));

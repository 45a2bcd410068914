import { GraphQLError } from 'graphql';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { exportTools, importTools, type ImportReport, type ImportToolReport } from '../../library/bundle.ts';
import { installPublicTool, publicTools, type PublicToolView } from '../../library/marketplace.ts';
import { replayExecution, type ReplayResult } from '../../library/replay.ts';
import { createToolFromTemplate, listTemplates, type TemplateView } from '../../library/template-service.ts';
import { builder } from '../builder.ts';
import { FieldIssueRef, MUTATION_ERRORS, TOOL_MUTATION_ERRORS } from '../errors.ts';
import { ToolExecutionRef } from '../executions/execution.ts';
import { ToolRef, ToolTypeEnum } from '../tools/tool.ts';
import { actorOf } from '../viewer-actor.ts';

const TemplateSourceEnum = builder.enumType('ToolTemplateSource', {
  description: 'Where a template comes from.',
  values: {
    BUILTIN: { description: "Switchboard's own catalog." },
    ORGANIZATION: { description: 'A tool of this organization marked isTemplate.' },
  } as const,
});

const TemplateSecretRef = builder.objectRef<TemplateView['secrets'][number]>('TemplateSecret').implement({
  description: 'A secret a template needs before its tool works.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The secret name the configuration refers to.' }),
    description: t.string({
      nullable: true,
      description: 'What to put in it; null for organization templates.',
      resolve: (secret) => secret.description || null,
    }),
    helpUrl: t.string({
      nullable: true,
      description: 'Where the service explains how to get it; null for organization templates.',
      resolve: (secret) => secret.helpUrl || null,
    }),
    isSet: t.exposeBoolean('isSet', { description: "Whether the viewer's organization has set it." }),
  }),
});

const ToolTemplateRef = builder.objectRef<TemplateView>('ToolTemplate').implement({
  description: 'A tool to start from: the built-in catalog, or an organization tool marked isTemplate.',
  fields: (t) => ({
    id: t.id({ description: '`builtin:<slug>` or the organization tool id.', resolve: (view) => view.id }),
    source: t.field({
      type: TemplateSourceEnum,
      description: "Built-in or the organization's.",
      resolve: (view) => view.source,
    }),
    category: t.string({
      description: 'A grouping for the catalog, e.g. scheduling.',
      resolve: (view) => view.category,
    }),
    name: t.string({ description: 'The function name the tool gets.', resolve: (view) => view.tool.name }),
    displayName: t.string({
      description: 'A human-readable name.',
      resolve: (view) => view.tool.displayName ?? view.tool.name,
    }),
    description: t.string({
      description: 'What the tool does, as the model reads it.',
      resolve: (view) => view.tool.description ?? '',
    }),
    type: t.field({ type: ToolTypeEnum, description: 'ENDPOINT, CODE or LAMBDA.', resolve: (view) => view.tool.type }),
    configuration: t.field({
      type: 'JSON',
      description: 'The configuration the new tool starts with.',
      resolve: (view) => view.tool.configuration ?? {},
    }),
    functionDefinition: t.field({
      type: 'JSON',
      description: 'The function definition (name, description, parameters) the model sees.',
      resolve: (view) => view.tool.functionDefinition ?? null,
    }),
    messages: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Spoken messages (requestStart …), if any.',
      resolve: (view) => view.tool.messages ?? null,
    }),
    requiredSecrets: t.stringList({
      description: 'Secret names to set before the tool works.',
      resolve: (view) => view.requiredSecrets,
    }),
    secrets: t.field({
      type: [TemplateSecretRef],
      description: 'The required secrets with what each is, where to get it and whether it is set.',
      resolve: (view) => view.secrets,
    }),
  }),
});

const PublicToolRef = builder.objectRef<PublicToolView>('PublicTool').implement({
  description: 'A tool another organization published; read-only.',
  fields: (t) => ({
    id: t.id({ description: 'The published tool; pass it to installPublicTool.', resolve: (view) => view.tool.id }),
    name: t.string({ description: 'Its function name.', resolve: (view) => view.tool.name }),
    displayName: t.string({ description: 'A human-readable name.', resolve: (view) => view.tool.displayName }),
    description: t.string({
      description: 'What it does, as the model reads it.',
      resolve: (view) => view.tool.description,
    }),
    type: t.field({ type: ToolTypeEnum, description: 'ENDPOINT, CODE or LAMBDA.', resolve: (view) => view.tool.type }),
    version: t.int({ description: 'The published version.', resolve: (view) => view.tool.version }),
    installCount: t.int({ description: 'How many times it was installed.', resolve: (view) => view.tool.installCount }),
    authorOrganization: t.string({
      description: "The publishing organization's name.",
      resolve: (view) => view.authorOrganization,
    }),
    configuration: t.field({
      type: 'JSON',
      description: 'Holds secret names only, never values.',
      resolve: (view) => view.tool.configuration,
    }),
    functionDefinition: t.field({
      type: 'JSON',
      description: 'The function definition the model sees.',
      resolve: (view) => view.tool.functionDefinition,
    }),
    messages: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Spoken messages, if any.',
      resolve: (view) => view.tool.messages,
    }),
    requiredSecrets: t.stringList({
      description: 'Secret names to set before the installed copy works.',
      resolve: (view) => view.requiredSecrets,
    }),
    updatedAt: t.field({
      type: 'DateTime',
      description: 'When the published tool last changed.',
      resolve: (view) => view.tool.updatedAt,
    }),
  }),
});

builder.queryFields((t) => ({
  toolTemplates: t.field({
    type: [ToolTemplateRef],
    authScopes: { authenticated: true },
    description: "The built-in catalog, then the organization's tools marked isTemplate.",
    resolve: (_root, _args, context) => listTemplates(context.services, actorOf(context)),
  }),
  publicTools: t.field({
    type: [PublicToolRef],
    authScopes: { authenticated: true },
    description: 'The marketplace: active tools any organization published, most installed first.',
    args: {
      search: t.arg.string({ description: 'Matches name, display name or description.' }),
      type: t.arg({ type: ToolTypeEnum, description: 'Only tools of this type.' }),
      first: t.arg.int({ description: 'At most 100 (default 50).' }),
    },
    resolve: (_root, args, context) => publicTools(context.services, args),
  }),
  exportTools: t.field({
    type: 'JSON',
    authScopes: { role: 'MEMBER' },
    description:
      "A versioned bundle ({ format, schemaVersion, tools, secrets }) of the given tools (all when ids is empty); null when an id is not one of the organization's tools. Secrets appear as names with required: true, never values; no ids travel.",
    args: { ids: t.arg.idList({ required: true, description: 'The tools to export; empty for all.' }) },
    nullable: true,
    resolve: async (_root, args, context) => {
      try {
        return await exportTools(context.services.prisma, actorOf(context), args.ids.map(String));
      } catch (error) {
        // Queries answer "not yours" and "not there" with null, as tool(id) does.
        if (error instanceof NotFoundError) return null;
        if (error instanceof ValidationError)
          throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT' } });
        throw error;
      }
    },
  }),
}));

const ImportConflictEnum = builder.enumType('ImportConflictPolicy', {
  description: 'What to do with a bundled tool whose name exists.',
  values: {
    SKIP: { description: 'Keep the existing tool; do not import this one.' },
    RENAME: { description: 'Import under a free name (name_2, name_3, ...).' },
    OVERWRITE: { description: 'Replace the existing tool (as a new version).' },
  } as const,
});

const ImportActionEnum = builder.enumType('ImportAction', {
  description: 'What the import does (or would do) with one tool.',
  values: {
    CREATE: { description: 'A new tool.' },
    RENAME: { description: 'A new tool under a free name.' },
    OVERWRITE: { description: 'A new version of the existing tool.' },
    SKIP: { description: 'Nothing: the name exists.' },
    INVALID: { description: 'Nothing: the tool failed validation (see issues).' },
  } as const,
});

const ImportToolReportRef = builder.objectRef<ImportToolReport>('ImportToolReport').implement({
  description: 'The outcome for one tool of the bundle.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Its position in the bundle, from 0.' }),
    name: t.exposeString('name', { description: 'Its name in the bundle.' }),
    finalName: t.exposeString('finalName', {
      nullable: true,
      description: 'The name it gets; null when skipped or invalid.',
    }),
    action: t.field({ type: ImportActionEnum, description: 'What happens to it.', resolve: (report) => report.action }),
    toolId: t.exposeID('toolId', {
      nullable: true,
      description:
        'The tool created, or the existing one for SKIP and OVERWRITE; null when invalid or not yet created (dry run).',
    }),
    issues: t.field({
      type: [FieldIssueRef],
      description: 'Validation problems (INVALID).',
      resolve: (report) => report.issues,
    }),
  }),
});

const ImportReportRef = builder.objectRef<ImportReport>('ImportReport').implement({
  description: 'What importTools did, or would do in a dry run.',
  fields: (t) => ({
    valid: t.exposeBoolean('valid', { description: 'Every tool passed validation.' }),
    applied: t.exposeBoolean('applied', { description: 'The import was written (all tools, in one transaction).' }),
    dryRun: t.exposeBoolean('dryRun', { description: 'Nothing was written, by request.' }),
    tools: t.field({
      type: [ImportToolReportRef],
      description: 'One report per bundled tool, in order.',
      resolve: (report) => report.tools,
    }),
    missingSecrets: t.exposeStringList('missingSecrets', {
      description: 'Secrets the tools need that are not set yet.',
    }),
  }),
});

const ImportToolsInput = builder.inputType('ImportToolsInput', {
  description: 'A bundle from exportTools and how to apply it.',
  fields: (t) => ({
    bundle: t.field({ type: 'JSON', required: true, description: 'The bundle exportTools returned.' }),
    onConflict: t.field({
      type: ImportConflictEnum,
      defaultValue: 'SKIP',
      description: 'For tools whose name exists.',
    }),
    dryRun: t.boolean({ defaultValue: false, description: 'Validate and report without writing.' }),
  }),
});

const CreateToolFromTemplateInput = builder.inputType('CreateToolFromTemplateInput', {
  description: 'A template to copy into a new tool.',
  fields: (t) => ({
    templateId: t.id({ required: true, description: 'A ToolTemplate id.' }),
    name: t.string({ description: "The new tool's name; defaults to the template's." }),
  }),
});

const InstallPublicToolInput = builder.inputType('InstallPublicToolInput', {
  description: 'A marketplace tool to copy into this organization.',
  fields: (t) => ({
    toolId: t.id({ required: true, description: 'A PublicTool id.' }),
    name: t.string({ description: "The installed copy's name; defaults to the original's." }),
  }),
});

const ReplayExecutionInput = builder.inputType('ReplayExecutionInput', {
  description: 'An execution to run again.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The execution to replay.' }),
    toolVersion: t.int({ description: 'Defaults to the current version.' }),
  }),
});

const ReplayResultRef = builder.objectRef<ReplayResult>('ReplayResult').implement({
  description: 'An execution and its replay, side by side.',
  fields: (t) => ({
    original: t.field({
      type: ToolExecutionRef,
      description: 'The logged execution.',
      resolve: (result) => result.original,
    }),
    replay: t.field({ type: ToolExecutionRef, description: 'The new run.', resolve: (result) => result.replay }),
    toolVersion: t.exposeInt('toolVersion', { description: 'The version the replay ran.' }),
    sameOutput: t.exposeBoolean('sameOutput', { description: 'Same status and output as the original.' }),
  }),
});

builder.mutationFields((t) => ({
  createToolFromTemplate: t.field({
    type: ToolRef,
    authScopes: { role: 'MEMBER' },
    description: 'Creates a tool from a template (set its required secrets before it works).',
    errors: {
      types: TOOL_MUTATION_ERRORS,
      directResult: true,
      union: { name: 'CreateToolFromTemplateResult', description: 'The new tool, or why it was not created.' },
    },
    args: { input: t.arg({ type: CreateToolFromTemplateInput, required: true }) },
    resolve: (_root, { input }, context) =>
      createToolFromTemplate(context.services, actorOf(context), String(input.templateId), input.name),
  }),
  installPublicTool: t.field({
    type: ToolRef,
    authScopes: { role: 'MEMBER' },
    description: 'Copies a marketplace tool into this organization.',
    errors: {
      types: TOOL_MUTATION_ERRORS,
      directResult: true,
      union: { name: 'InstallPublicToolResult', description: 'The installed copy, or why it was not installed.' },
    },
    args: { input: t.arg({ type: InstallPublicToolInput, required: true }) },
    resolve: (_root, { input }, context) =>
      installPublicTool(context.services, actorOf(context), String(input.toolId), input.name),
  }),
  importTools: t.field({
    type: ImportReportRef,
    authScopes: { role: 'MEMBER' },
    description: 'Validates every tool first, reports per tool, then writes all of them in one transaction or none.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'ImportToolsResult', description: 'The report, or why the bundle was refused.' },
    },
    args: { input: t.arg({ type: ImportToolsInput, required: true }) },
    resolve: (_root, { input }, context) =>
      importTools(context.services, actorOf(context), {
        bundle: input.bundle ?? null,
        onConflict: input.onConflict ?? 'SKIP',
        dryRun: input.dryRun ?? false,
      }),
  }),
  replayExecution: t.field({
    type: ReplayResultRef,
    authScopes: { role: 'MEMBER' },
    description:
      "Re-runs a logged execution's parameters and call context in the `test` context, against the current or a chosen version.",
    errors: {
      types: TOOL_MUTATION_ERRORS,
      directResult: true,
      union: { name: 'ReplayExecutionResult', description: 'Both executions, or why it could not replay.' },
    },
    args: { input: t.arg({ type: ReplayExecutionInput, required: true }) },
    resolve: (_root, { input }, context) =>
      replayExecution(context.services, actorOf(context), String(input.id), input.toolVersion),
  }),
}));

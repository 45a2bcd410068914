/**
 * The REST paths of the plan, each one GraphQL operation (or two, where a path names what
 * GraphQL addresses differently). Everything runs through Yoga, so auth, roles, scoping,
 * limits and error masking are GraphQL's own.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a request brings: path parameters, the query string and the parsed JSON body. */
export interface RestInput {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

/** How the root field's value becomes the response body. */
export type ResultShape =
  /** A result union: the success member is the body, error members become problems. */
  | { kind: 'union'; success: string }
  /** A nullable object: null is a 404. With `property`, the body is that one property of it. */
  | { kind: 'object'; entity: string; property?: string }
  /** A relay connection, flattened to `{ items, pageInfo }`. */
  | { kind: 'connection' }
  | { kind: 'list' }
  /** A list searched for the `id` path parameter `param`; none is a 404. */
  | { kind: 'pick'; param: string; entity: string };

/** A step before the main operation: a GraphQL query whose answer supplies a variable. */
export interface Lookup {
  document: string;
  variables(input: RestInput): Record<string, unknown>;
  /** The value found, or null for "does not exist" (a 404 for `entity`). */
  pick(data: Record<string, unknown>, input: RestInput): unknown;
  entity: string;
}

/** A step after a successful main operation: a mutation fed with its result. */
export interface FollowUp {
  document: string;
  field: string;
  variables(previous: Record<string, unknown>, input: RestInput): Record<string, unknown>;
  success: string;
  /** Run when the follow-up fails, so the request leaves nothing behind (best effort). */
  undo: { document: string; variables(previous: Record<string, unknown>): Record<string, unknown> };
}

export interface QueryParameter {
  name: string;
  type: 'integer' | 'string' | 'boolean';
  description: string;
  /** A GraphQL enum whose values the parameter takes (listed in the OpenAPI document). */
  enumType?: string;
}

export interface RestOperation {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI template: `/api/organization/tools/{tool_id}`. */
  path: string;
  summary: string;
  tag: string;
  document: string;
  /** The root field the document selects. */
  field: string;
  variables(input: RestInput, looked?: unknown): Record<string, unknown>;
  result: ResultShape;
  /** The GraphQL input type the JSON body is (minus the fields the path supplies). */
  body?: { inputType: string; fromPath: string[] };
  query?: QueryParameter[];
  lookup?: Lookup;
  followUp?: FollowUp;
  successStatus?: 200 | 201;
}

const TOOL = `id name displayName description type version isActive isPublic isTemplate allowedContexts
  configuration functionDefinition messages timeoutSeconds retryAttempts requireConfirmation
  executionCount errorCount successRate lastExecutedAt archivedAt createdAt updatedAt`;
const ASSIGNMENT = `id enabled executionOrder customConfiguration messages createdAt updatedAt
  assistant { id name } tool { id name displayName type isActive }`;
const EXECUTION = `id status toolName toolVersion toolCallId triggerContext inputParameters outputResult
  errorCode errorMessage durationMs retryCount startedAt completedAt tool { id name } assistant { id name } call { id }`;
const TEMPLATE = `id name displayName description category type configuration functionDefinition messages requiredSecrets source`;
const PUBLIC_TOOL = `id name displayName description type version configuration functionDefinition messages
  requiredSecrets installCount authorOrganization updatedAt`;
// Through the Error interface, so one selection is valid on every result union.
const ERRORS = `__typename
  ... on Error { message
    ... on NotFoundError { entity }
    ... on ConflictError { field }
    ... on ValidationError { issues { field message line column } }
    ... on FeatureDisabledError { feature } }`;
const PAGE = `pageInfo { hasNextPage endCursor }`;

/** Page sizes follow GraphQL's own limits; only the first page size default lives here. */
const PAGINATION: QueryParameter[] = [
  { name: 'first', type: 'integer', description: 'Page size (GraphQL connection limits apply).' },
  { name: 'after', type: 'string', description: "The previous page's pageInfo.endCursor." },
];

/** A query-string boolean; anything else goes to GraphQL as it came, and GraphQL refuses it (400). */
function boolean(value: string): boolean | string {
  return value === 'true' ? true : value === 'false' ? false : value;
}

/** A query-string number; anything else goes to GraphQL as it came, and GraphQL refuses it (400). */
function integer(value: string): number | string {
  const parsed = Number(value);
  return value.trim() !== '' && Number.isInteger(parsed) ? parsed : value;
}

function page(query: URLSearchParams): { first?: number | string; after?: string } {
  const first = query.get('first');
  const after = query.get('after');
  return {
    ...(first !== null ? { first: integer(first) } : {}),
    ...(after !== null ? { after } : {}),
  };
}

function executionsBy(
  key: 'toolId' | 'assistantId' | 'callId',
  param: string,
): Pick<RestOperation, 'document' | 'field' | 'variables' | 'result' | 'query'> {
  return {
    document: `query ($first: Int, $after: String, $filter: ToolExecutionFilter) {
      toolExecutions(first: $first, after: $after, filter: $filter) { edges { node { ${EXECUTION} } } ${PAGE} } }`,
    field: 'toolExecutions',
    variables: ({ params, query }) => ({ ...page(query), filter: { [key]: params[param] } }),
    result: { kind: 'connection' },
    query: PAGINATION,
  };
}

/** Configure and unassign name the assistant and the tool; GraphQL names the assignment. */
const ASSIGNMENT_LOOKUP: Lookup = {
  document: `query ($id: ID!) { assistant(id: $id) { toolAssignments { id tool { id } } } }`,
  variables: ({ params }) => ({ id: params.assistant_id }),
  pick(data, { params }) {
    const assistant = data.assistant as { toolAssignments: Array<{ id: string; tool: { id: string } | null }> } | null;
    return assistant?.toolAssignments.find((assignment) => assignment.tool?.id === params.tool_id)?.id ?? null;
  },
  entity: 'ToolAssignment',
};

const TEMPLATES_DOCUMENT = `query { toolTemplates { ${TEMPLATE} } }`;

export const REST_OPERATIONS: RestOperation[] = [
  {
    operationId: 'listOrganizationTools',
    method: 'GET',
    path: '/api/organization/tools',
    summary: "The organization's tools.",
    tag: 'Tools',
    document: `query ($first: Int, $after: String, $filter: ToolFilter, $orderBy: ToolOrder) {
      tools(first: $first, after: $after, filter: $filter, orderBy: $orderBy) { edges { node { ${TOOL} } } ${PAGE} } }`,
    field: 'tools',
    variables: ({ query }) => {
      const filter = {
        ...(query.get('search') !== null ? { search: query.get('search') } : {}),
        ...(query.get('archived') !== null ? { archived: boolean(query.get('archived')!) } : {}),
      };
      return {
        ...page(query),
        ...(Object.keys(filter).length > 0 ? { filter } : {}),
        ...(query.get('order_by') !== null ? { orderBy: query.get('order_by') } : {}),
      };
    },
    result: { kind: 'connection' },
    query: [
      ...PAGINATION,
      { name: 'search', type: 'string', description: 'Matches name, display name or description.' },
      {
        name: 'archived',
        type: 'boolean',
        description: 'true: only archived tools; false or left out: only tools that are not archived.',
      },
      {
        name: 'order_by',
        type: 'string',
        enumType: 'ToolOrder',
        description: 'UPDATED (default, most recently changed first), NAME, LAST_USED or ERRORS.',
      },
    ],
  },
  {
    operationId: 'createOrganizationTool',
    method: 'POST',
    path: '/api/organization/tools',
    summary: 'Creates a tool (MEMBER).',
    tag: 'Tools',
    document: `mutation ($input: CreateToolInput!) { createTool(input: $input) { ${ERRORS} ... on Tool { ${TOOL} } } }`,
    field: 'createTool',
    variables: ({ body }) => ({ input: body }),
    result: { kind: 'union', success: 'Tool' },
    body: { inputType: 'CreateToolInput', fromPath: [] },
    successStatus: 201,
  },
  {
    operationId: 'getOrganizationTool',
    method: 'GET',
    path: '/api/organization/tools/{tool_id}',
    summary: 'One tool.',
    tag: 'Tools',
    document: `query ($id: ID!) { tool(id: $id) { ${TOOL} } }`,
    field: 'tool',
    variables: ({ params }) => ({ id: params.tool_id }),
    result: { kind: 'object', entity: 'Tool' },
  },
  {
    operationId: 'updateOrganizationTool',
    method: 'PUT',
    path: '/api/organization/tools/{tool_id}',
    summary: 'Updates a tool; a changed definition is a new version (MEMBER).',
    tag: 'Tools',
    document: `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { ${ERRORS} ... on Tool { ${TOOL} } } }`,
    field: 'updateTool',
    variables: ({ params, body }) => ({ input: { ...body, id: params.tool_id } }),
    result: { kind: 'union', success: 'Tool' },
    body: { inputType: 'UpdateToolInput', fromPath: ['id'] },
  },
  {
    operationId: 'deleteOrganizationTool',
    method: 'DELETE',
    path: '/api/organization/tools/{tool_id}',
    summary: 'Deletes a tool (MEMBER).',
    tag: 'Tools',
    document: `mutation ($input: DeleteToolInput!) { deleteTool(input: $input) { ${ERRORS} ... on DeletedTool { id } } }`,
    field: 'deleteTool',
    variables: ({ params }) => ({ input: { id: params.tool_id } }),
    result: { kind: 'union', success: 'DeletedTool' },
  },
  ...(['archive', 'unarchive'] as const).map((action): RestOperation => ({
    operationId: `${action}OrganizationTool`,
    method: 'POST',
    path: `/api/organization/tools/{tool_id}/${action}`,
    summary:
      action === 'archive'
        ? 'Archives a tool: hidden from lists, runs refused with TOOL_ARCHIVED, assignments kept (MEMBER; ADMIN if published).'
        : 'Brings an archived tool back (MEMBER; ADMIN if published).',
    tag: 'Tools',
    document: `mutation ($input: ToolIdInput!) { ${action}Tool(input: $input) { ${ERRORS} ... on Tool { ${TOOL} } } }`,
    field: `${action}Tool`,
    variables: ({ params }) => ({ input: { id: params.tool_id } }),
    result: { kind: 'union', success: 'Tool' },
  })),
  {
    operationId: 'duplicateOrganizationTool',
    method: 'POST',
    path: '/api/organization/tools/{tool_id}/duplicate',
    summary: 'Copies a tool as <name>_copy at version 1, unpublished (MEMBER).',
    tag: 'Tools',
    document: `mutation ($input: ToolIdInput!) { duplicateTool(input: $input) { ${ERRORS} ... on Tool { ${TOOL} } } }`,
    field: 'duplicateTool',
    variables: ({ params }) => ({ input: { id: params.tool_id } }),
    result: { kind: 'union', success: 'Tool' },
    successStatus: 201,
  },
  {
    operationId: 'testOrganizationTool',
    method: 'POST',
    path: '/api/organization/tools/{tool_id}/test',
    summary: 'Runs the tool in the `test` context and returns the execution (MEMBER).',
    tag: 'Tools',
    document: `mutation ($input: TestToolInput!) { testTool(input: $input) { ${ERRORS} ... on ToolExecution { ${EXECUTION} } } }`,
    field: 'testTool',
    variables: ({ params, body }) => ({ input: { ...body, toolId: params.tool_id } }),
    result: { kind: 'union', success: 'ToolExecution' },
    body: { inputType: 'TestToolInput', fromPath: ['toolId'] },
  },
  {
    operationId: 'listOrganizationToolLogs',
    method: 'GET',
    path: '/api/organization/tools/{tool_id}/logs',
    summary: "The tool's executions, newest first.",
    tag: 'Executions',
    ...executionsBy('toolId', 'tool_id'),
  },
  {
    operationId: 'createOrganizationToolFromTemplate',
    method: 'POST',
    path: '/api/organization/tools/from-template/{template_id}',
    summary: 'Creates a tool from a template (MEMBER).',
    tag: 'Templates',
    document: `mutation ($input: CreateToolFromTemplateInput!) {
      createToolFromTemplate(input: $input) { ${ERRORS} ... on Tool { ${TOOL} } } }`,
    field: 'createToolFromTemplate',
    variables: ({ params, body }) => ({ input: { ...body, templateId: params.template_id } }),
    result: { kind: 'union', success: 'Tool' },
    body: { inputType: 'CreateToolFromTemplateInput', fromPath: ['templateId'] },
    successStatus: 201,
  },
  {
    operationId: 'listAssistantTools',
    method: 'GET',
    path: '/api/assistants/{assistant_id}/tools',
    summary: "The assistant's tool assignments (each with its tool), in execution order.",
    tag: 'Assistants',
    document: `query ($id: ID!) { assistant(id: $id) { toolAssignments { ${ASSIGNMENT} } } }`,
    field: 'assistant',
    variables: ({ params }) => ({ id: params.assistant_id }),
    result: { kind: 'object', entity: 'Assistant', property: 'toolAssignments' },
  },
  {
    operationId: 'assignAssistantTool',
    method: 'POST',
    path: '/api/assistants/{assistant_id}/tools/{tool_id}/assign',
    summary: 'Assigns a tool to the assistant (ADMIN).',
    tag: 'Assistants',
    document: `mutation ($input: AssignToolInput!) { assignTool(input: $input) { ${ERRORS} ... on ToolAssignment { ${ASSIGNMENT} } } }`,
    field: 'assignTool',
    variables: ({ params, body }) => ({
      input: { ...body, assistantId: params.assistant_id, toolId: params.tool_id },
    }),
    result: { kind: 'union', success: 'ToolAssignment' },
    body: { inputType: 'AssignToolInput', fromPath: ['assistantId', 'toolId'] },
    successStatus: 201,
  },
  {
    operationId: 'configureAssistantTool',
    method: 'PUT',
    path: '/api/assistants/{assistant_id}/tools/{tool_id}/configure',
    summary: "Changes the assignment's override, messages or enabled flag (ADMIN).",
    tag: 'Assistants',
    document: `mutation ($input: ConfigureToolAssignmentInput!) {
      configureToolAssignment(input: $input) { ${ERRORS} ... on ToolAssignment { ${ASSIGNMENT} } } }`,
    field: 'configureToolAssignment',
    lookup: ASSIGNMENT_LOOKUP,
    variables: ({ body }, assignmentId) => ({ input: { ...body, assignmentId } }),
    result: { kind: 'union', success: 'ToolAssignment' },
    body: { inputType: 'ConfigureToolAssignmentInput', fromPath: ['assignmentId'] },
  },
  {
    operationId: 'unassignAssistantTool',
    method: 'DELETE',
    path: '/api/assistants/{assistant_id}/tools/{tool_id}/unassign',
    summary: 'Removes the tool from the assistant (ADMIN).',
    tag: 'Assistants',
    document: `mutation ($input: UnassignToolInput!) {
      unassignTool(input: $input) { ${ERRORS} ... on UnassignedTool { assignmentId assistantId toolId } } }`,
    field: 'unassignTool',
    lookup: ASSIGNMENT_LOOKUP,
    variables: (_input, assignmentId) => ({ input: { assignmentId } }),
    result: { kind: 'union', success: 'UnassignedTool' },
  },
  {
    operationId: 'createAssistantToolFromTemplate',
    method: 'POST',
    path: '/api/assistants/{assistant_id}/tools/from-template/{template_id}',
    summary:
      'Creates a tool from a template and assigns it to the assistant (ADMIN). Two mutations: when the ' +
      'assignment is refused, the new tool is deleted again.',
    tag: 'Assistants',
    document: `mutation ($input: CreateToolFromTemplateInput!) {
      createToolFromTemplate(input: $input) { ${ERRORS} ... on Tool { id } } }`,
    field: 'createToolFromTemplate',
    variables: ({ params, body }) => ({ input: { ...body, templateId: params.template_id } }),
    result: { kind: 'union', success: 'ToolAssignment' },
    body: { inputType: 'CreateToolFromTemplateInput', fromPath: ['templateId'] },
    followUp: {
      document: `mutation ($input: AssignToolInput!) { assignTool(input: $input) { ${ERRORS} ... on ToolAssignment { ${ASSIGNMENT} } } }`,
      field: 'assignTool',
      variables: (tool, { params }) => ({ input: { assistantId: params.assistant_id, toolId: tool.id } }),
      success: 'ToolAssignment',
      undo: {
        document: `mutation ($input: DeleteToolInput!) { deleteTool(input: $input) { __typename } }`,
        variables: (tool) => ({ input: { id: tool.id } }),
      },
    },
    successStatus: 201,
  },
  {
    operationId: 'listAssistantToolExecutions',
    method: 'GET',
    path: '/api/assistants/{assistant_id}/tool-executions',
    summary: "The assistant's executions, newest first.",
    tag: 'Executions',
    ...executionsBy('assistantId', 'assistant_id'),
  },
  {
    operationId: 'listCallToolExecutions',
    method: 'GET',
    path: '/api/calls/{call_id}/tool-executions',
    summary: "The call's executions, newest first.",
    tag: 'Executions',
    ...executionsBy('callId', 'call_id'),
  },
  {
    operationId: 'listPublicTools',
    method: 'GET',
    path: '/api/tools/public',
    summary: 'The marketplace: tools any organization published, most installed first.',
    tag: 'Marketplace',
    document: `query ($first: Int, $search: String) { publicTools(first: $first, search: $search) { ${PUBLIC_TOOL} } }`,
    field: 'publicTools',
    variables: ({ query }) => ({
      ...(query.get('first') !== null ? { first: integer(query.get('first')!) } : {}),
      ...(query.get('search') !== null ? { search: query.get('search') } : {}),
    }),
    result: { kind: 'list' },
    query: [
      { name: 'first', type: 'integer', description: 'At most 100 (default 50).' },
      { name: 'search', type: 'string', description: 'Matches name, display name or description.' },
    ],
  },
  {
    operationId: 'listToolTemplatesUnderTools',
    method: 'GET',
    path: '/api/tools/templates',
    summary: "The built-in catalog, then the organization's tools marked isTemplate.",
    tag: 'Templates',
    document: TEMPLATES_DOCUMENT,
    field: 'toolTemplates',
    variables: () => ({}),
    result: { kind: 'list' },
  },
  {
    operationId: 'listToolTemplates',
    method: 'GET',
    path: '/api/tool-templates',
    summary: "The built-in catalog, then the organization's tools marked isTemplate.",
    tag: 'Templates',
    document: TEMPLATES_DOCUMENT,
    field: 'toolTemplates',
    variables: () => ({}),
    result: { kind: 'list' },
  },
  {
    operationId: 'getToolTemplate',
    method: 'GET',
    path: '/api/tool-templates/{template_id}',
    summary: 'One template (`builtin:<slug>` or an organization tool id).',
    tag: 'Templates',
    document: TEMPLATES_DOCUMENT,
    field: 'toolTemplates',
    variables: () => ({}),
    result: { kind: 'pick', param: 'template_id', entity: 'ToolTemplate' },
  },
];

/**
 * The OpenAPI 3.1 document of the REST API, derived from the GraphQL schema: each response
 * schema is exactly what the operation's selection set returns, each request body its input type.
 */
import {
  GraphQLNonNull,
  GraphQLObjectType,
  getNullableType,
  type FieldNode,
  Kind,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  parse,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { REST_OPERATIONS, type RestOperation } from './rest-operations.ts';

type JsonSchema = Record<string, unknown>;

const SCALARS: Record<string, JsonSchema> = {
  ID: { type: 'string' },
  String: { type: 'string' },
  Int: { type: 'integer' },
  Float: { type: 'number' },
  Boolean: { type: 'boolean' },
  DateTime: { type: 'string', format: 'date-time' },
  // Any JSON value.
  JSON: {},
};

/** Nested input objects deeper than this are described as plain objects. */
const MAX_INPUT_DEPTH = 4;

function nullable(schema: JsonSchema): JsonSchema {
  if (Object.keys(schema).length === 0) return schema;
  if (typeof schema.type === 'string') {
    // An enum lists its values: null must be one of them too.
    const values = Array.isArray(schema.enum) ? { enum: [...(schema.enum as unknown[]), null] } : {};
    return { ...schema, type: [schema.type, 'null'], ...values };
  }
  return { anyOf: [schema, { type: 'null' }] };
}

function leafSchema(type: GraphQLOutputType | GraphQLInputType): JsonSchema {
  const named = getNamedType(type);
  if (isEnumType(named)) return { type: 'string', enum: named.getValues().map((value) => value.name) };
  if (isScalarType(named)) return SCALARS[named.name] ?? {};
  return { type: 'object' };
}

function objectSchema(type: GraphQLObjectType, selections: SelectionSetNode, successOnly?: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const fields = type.getFields();
  for (const selection of selections.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (selection.typeCondition?.name.value !== type.name) continue;
      Object.assign(properties, (objectSchema(type, selection.selectionSet) as { properties: object }).properties);
      continue;
    }
    if (selection.kind !== Kind.FIELD) continue;
    const name = selection.alias?.value ?? selection.name.value;
    if (selection.name.value === '__typename') {
      if (!successOnly) properties[name] = { type: 'string', const: type.name };
      continue;
    }
    const field = fields[selection.name.value];
    if (!field) throw new Error(`${type.name}.${selection.name.value} is not in the schema`);
    properties[name] = outputSchema(field.type, selection.selectionSet);
    if (field.description) properties[name] = { ...properties[name], description: field.description };
  }
  return { type: 'object', properties, required: Object.keys(properties) };
}

function outputSchema(type: GraphQLOutputType, selections: SelectionSetNode | undefined): JsonSchema {
  if (isNonNullType(type)) return strictOutputSchema(type.ofType, selections);
  return nullable(strictOutputSchema(type, selections));
}

function strictOutputSchema(type: GraphQLOutputType, selections: SelectionSetNode | undefined): JsonSchema {
  if (isListType(type)) return { type: 'array', items: outputSchema(type.ofType, selections) };
  if (isObjectType(type) && selections) return objectSchema(type, selections);
  if (isUnionType(type) && selections) {
    return { oneOf: type.getTypes().map((member) => objectSchema(member, selections)) };
  }
  return leafSchema(type);
}

function inputSchema(type: GraphQLInputType, depth: number, omit: string[] = []): JsonSchema {
  if (isNonNullType(type)) return strictInputSchema(type.ofType, depth, omit);
  return nullable(strictInputSchema(type, depth, omit));
}

function strictInputSchema(type: GraphQLInputType, depth: number, omit: string[]): JsonSchema {
  if (isListType(type)) return { type: 'array', items: inputSchema(type.ofType, depth) };
  if (isInputObjectType(type)) {
    if (depth >= MAX_INPUT_DEPTH) return { type: 'object' };
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const field of Object.values(type.getFields())) {
      if (omit.includes(field.name)) continue;
      properties[field.name] = inputSchema(field.type, depth + 1);
      if (field.description) properties[field.name] = { ...properties[field.name], description: field.description };
      if (field.type instanceof GraphQLNonNull && field.defaultValue === undefined) required.push(field.name);
    }
    return {
      type: 'object',
      properties,
      ...(required.length ? { required } : {}),
      ...(type.description ? { description: type.description } : {}),
    };
  }
  return leafSchema(type);
}

function fieldSelection(selections: SelectionSetNode | undefined, name: string): FieldNode | undefined {
  return selections?.selections.find((node): node is FieldNode => node.kind === Kind.FIELD && node.name.value === name);
}

/** The schema of the root field's value the way the REST route shapes it. */
function successSchema(schema: GraphQLSchema, operation: RestOperation): JsonSchema {
  const source = operation.followUp?.document ?? operation.document;
  const field = operation.followUp?.field ?? operation.field;
  const definition = parse(source).definitions[0] as OperationDefinitionNode;
  const root = definition.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const selection = definition.selectionSet.selections.find(
    (node) => node.kind === Kind.FIELD && node.name.value === field,
  );
  if (!root || !selection || selection.kind !== Kind.FIELD || !root.getFields()[field]) {
    throw new Error(`${operation.operationId}: the document does not select ${field}`);
  }
  const type = root.getFields()[field]!.type;
  const result = operation.result;
  const success = operation.followUp?.success ?? (result.kind === 'union' ? result.success : null);
  if (success) {
    const member = schema.getType(success);
    if (!isObjectType(member)) throw new Error(`${success} is not an object type`);
    const inline = selection.selectionSet!.selections.find(
      (node) => node.kind === Kind.INLINE_FRAGMENT && node.typeCondition?.name.value === success,
    );
    if (!inline || inline.kind !== Kind.INLINE_FRAGMENT) throw new Error(`${operation.operationId}: no ${success}`);
    return objectSchema(member, inline.selectionSet, success);
  }
  const strict = isNonNullType(type) ? type.ofType : type;
  if (result.kind === 'connection') {
    const edges = fieldSelection(selection.selectionSet, 'edges');
    const node = edges && fieldSelection(edges.selectionSet, 'node');
    const edgeType = getNamedType(strict instanceof GraphQLObjectType ? strict.getFields().edges?.type : undefined);
    const nodeField = edgeType instanceof GraphQLObjectType ? edgeType.getFields().node : undefined;
    if (!node || !nodeField) throw new Error(`${operation.operationId}: not a connection selection`);
    const edgeItems = strictOutputSchema(getNullableType(nodeField.type), node.selectionSet);
    return {
      type: 'object',
      properties: {
        items: { type: 'array', items: edgeItems },
        pageInfo: {
          type: 'object',
          properties: { hasNextPage: { type: 'boolean' }, endCursor: { type: ['string', 'null'] } },
          required: ['hasNextPage', 'endCursor'],
        },
      },
      required: ['items', 'pageInfo'],
    };
  }
  const value = strictOutputSchema(strict, selection.selectionSet);
  if (result.kind === 'pick') return (value as { items: JsonSchema }).items;
  if (result.kind === 'object' && result.property) {
    // A missing list is answered as an empty one.
    const property = (value as { properties: Record<string, JsonSchema> }).properties[result.property]!;
    const { type, ...rest } = property;
    return Array.isArray(type) ? { ...rest, type: type.filter((name) => name !== 'null') } : property;
  }
  return value;
}

const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  properties: {
    type: { type: 'string', format: 'uri-reference' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: {
      type: 'string',
      description: 'UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, VALIDATION, BAD_USER_INPUT, FEATURE_DISABLED, …',
    },
    issues: {
      type: 'array',
      description: 'For VALIDATION and BAD_USER_INPUT: what is wrong, where.',
      items: {
        type: 'object',
        properties: {
          field: { type: ['string', 'null'] },
          message: { type: ['string', 'null'] },
          line: { type: ['integer', 'null'] },
          column: { type: ['integer', 'null'] },
        },
      },
    },
  },
  required: ['type', 'title', 'status', 'detail', 'code'],
};

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Invalid input (issues say where).',
  '401': 'Missing, invalid or revoked API key.',
  '403': 'The key’s role may not do this, or the tool type is switched off.',
  '404': 'Not found (another organization’s ids are not found either).',
  '409': 'Conflicts with the current state (a duplicate name, a stale version).',
  '413': 'The body is above the request body limit.',
  '429': 'Rate limited.',
};

function pathParameters(path: string): JsonSchema[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
}

function enumValues(schema: GraphQLSchema, name: string): string[] {
  const type = schema.getType(name);
  if (!isEnumType(type)) throw new Error(`${name} is not an enum type`);
  return type.getValues().map((value) => value.name);
}

function operationObject(schema: GraphQLSchema, operation: RestOperation): JsonSchema {
  const parameters = [
    ...pathParameters(operation.path),
    ...(operation.query ?? []).map((parameter) => ({
      name: parameter.name,
      in: 'query',
      required: false,
      description: parameter.description,
      schema: { type: parameter.type, ...(parameter.enumType ? { enum: enumValues(schema, parameter.enumType) } : {}) },
    })),
  ];
  let requestBody: JsonSchema | undefined;
  if (operation.body) {
    const type = schema.getType(operation.body.inputType);
    if (!isInputObjectType(type)) throw new Error(`${operation.body.inputType} is not an input type`);
    const body = strictInputSchema(type, 0, operation.body.fromPath);
    requestBody = { required: 'required' in body, content: { 'application/json': { schema: body } } };
  }
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    tags: [operation.tag],
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      [String(operation.successStatus ?? 200)]: {
        description: 'Success.',
        content: { 'application/json': { schema: successSchema(schema, operation) } },
      },
      ...Object.fromEntries(
        Object.keys(ERROR_RESPONSES).map((status) => [status, { $ref: `#/components/responses/Problem${status}` }]),
      ),
    },
  };
}

export function buildOpenApiDocument(schema: GraphQLSchema, operations: RestOperation[] = REST_OPERATIONS): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const operation of operations) {
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method.toLowerCase()] = operationObject(schema, operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard REST API',
      version: '1.0.0',
      description:
        'The plan’s REST paths, each executed as a GraphQL operation (same auth, roles, limits). ' +
        'Errors are RFC 9457 problem details. Lists take ?first=&after= and answer { items, pageInfo }.',
    },
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An organization API key: `Authorization: Bearer sb_…`.',
        },
      },
      schemas: { Problem: PROBLEM_SCHEMA },
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([status, description]) => [
          `Problem${status}`,
          {
            description,
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        ]),
      ),
    },
  };
}

import { GraphQLError, Kind, valueFromASTUntyped } from 'graphql';
import type { JsonValue } from '../executors/types.ts';
import { JSON_DEPTH_MESSAGE, nestsDeeperThan } from '../json-depth.ts';
import { builder } from './builder.ts';

builder.scalarType('DateTime', {
  description: 'An ISO-8601 timestamp with time zone.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()),
  parseValue: (value) => {
    const date = new Date(typeof value === 'string' || typeof value === 'number' ? value : NaN);
    if (Number.isNaN(date.getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return date;
  },
  parseLiteral: (ast) => {
    const date = ast.kind === Kind.STRING ? new Date(ast.value) : new Date(NaN);
    if (Number.isNaN(date.getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return date;
  },
});

function shallowEnough(value: unknown): JsonValue {
  if (nestsDeeperThan(value)) throw new GraphQLError(JSON_DEPTH_MESSAGE, { extensions: { code: 'BAD_USER_INPUT' } });
  return value as JsonValue;
}

builder.scalarType('JSON', {
  description: 'Any JSON value (nested at most 100 levels deep).',
  serialize: (value) => value,
  parseValue: shallowEnough,
  parseLiteral: (ast, variables) => shallowEnough(valueFromASTUntyped(ast, variables)),
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

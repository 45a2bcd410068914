/**
 * Expected mutation failures as GraphQL types: every one implements `Error`.
 * The classes are the domain's own (server/errors.ts); this file only gives them a shape.
 */
import { ConflictError, FeatureDisabledError, NotFoundError, ValidationError, type FieldIssue } from '../errors.ts';
import { builder } from './builder.ts';

export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  fields: (t) => ({ message: t.exposeString('message') }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The entity does not exist, or belongs to another organization (the two are indistinguishable).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({ entity: t.exposeString('entity') }),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
  fields: (t) => ({ field: t.exposeString('field', { nullable: true }) }),
});

export const FieldIssueRef = builder.objectRef<FieldIssue>('FieldIssue').implement({
  fields: (t) => ({
    field: t.exposeString('field', { description: 'Dotted path of the input field, e.g. `configuration.url`.' }),
    message: t.exposeString('message'),
    line: t.exposeInt('line', { nullable: true }),
    column: t.exposeInt('column', { nullable: true }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({ issues: t.field({ type: [FieldIssueRef], resolve: (error) => error.issues }) }),
});

/** The failures most mutations can return. */
export const MUTATION_ERRORS = [NotFoundError, ConflictError, ValidationError];

builder.objectType(FeatureDisabledError, {
  name: 'FeatureDisabledError',
  description: 'The tool type is switched off for this organization (see setFeatureFlag).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof FeatureDisabledError,
  fields: (t) => ({ feature: t.exposeString('feature') }),
});

/** Mutations that create or run tools can also meet a disabled tool type. */
export const TOOL_MUTATION_ERRORS = [...MUTATION_ERRORS, FeatureDisabledError];

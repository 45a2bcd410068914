/**
 * Expected mutation failures as GraphQL types: every one implements `Error`.
 * The classes are the domain's own (server/errors.ts); this file only gives them a shape.
 */
import { ConflictError, FeatureDisabledError, NotFoundError, ValidationError, type FieldIssue } from '../errors.ts';
import { builder } from './builder.ts';

export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure of a mutation, returned as a member of its result union.',
  fields: (t) => ({ message: t.exposeString('message', { description: 'What went wrong, in plain words.' }) }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The entity does not exist, or belongs to another organization (the two are indistinguishable).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({ entity: t.exposeString('entity', { description: 'What was not found, e.g. Tool.' }) }),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description: 'The change clashes with existing data (a taken name, a version that moved on).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
  fields: (t) => ({
    field: t.exposeString('field', { nullable: true, description: 'The input field at fault, when there is one.' }),
  }),
});

export const FieldIssueRef = builder.objectRef<FieldIssue>('FieldIssue').implement({
  description: 'One problem with one input field.',
  fields: (t) => ({
    field: t.exposeString('field', { description: 'Dotted path of the input field, e.g. `configuration.url`.' }),
    message: t.exposeString('message', { description: 'What is wrong with it.' }),
    line: t.exposeInt('line', { nullable: true, description: 'For code: the line of the problem.' }),
    column: t.exposeInt('column', { nullable: true, description: 'For code: the column of the problem.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input is invalid; nothing was written.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    issues: t.field({ type: [FieldIssueRef], description: 'Every problem found.', resolve: (error) => error.issues }),
  }),
});

/** The failures most mutations can return. */
export const MUTATION_ERRORS = [NotFoundError, ConflictError, ValidationError];

builder.objectType(FeatureDisabledError, {
  name: 'FeatureDisabledError',
  description: 'The tool type is switched off for this organization (see setFeatureFlag).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof FeatureDisabledError,
  fields: (t) => ({ feature: t.exposeString('feature', { description: 'The tool type that is off.' }) }),
});

/** Mutations that create or run tools can also meet a disabled tool type. */
export const TOOL_MUTATION_ERRORS = [...MUTATION_ERRORS, FeatureDisabledError];

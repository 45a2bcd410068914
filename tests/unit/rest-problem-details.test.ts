import { describe, expect, test } from 'vitest';
import { problemFromGraphQLErrors, problemFromUnionMember } from '../../server/http/rest/problem-details.ts';

describe('problem details from GraphQL errors', () => {
  test.each([
    ['UNAUTHENTICATED', 401],
    ['FORBIDDEN', 403],
    ['RATE_LIMITED', 429],
    ['NOT_FOUND', 404],
    ['BAD_USER_INPUT', 400],
    ['QUERY_TOO_COMPLEX', 400],
  ])('%s is %i', (code, status) => {
    expect(problemFromGraphQLErrors([{ message: 'no', extensions: { code } }], 200)).toMatchObject({
      status,
      code,
      detail: 'no',
      type: `urn:switchboard:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    });
  });

  test('issues travel with input errors', () => {
    const issues = [{ field: 'name', message: 'required' }];
    expect(
      problemFromGraphQLErrors([{ message: 'bad', extensions: { code: 'BAD_USER_INPUT', issues } }], 200),
    ).toMatchObject({
      status: 400,
      issues,
    });
  });

  test('a refusal without a code is a 400 when Yoga answered 4xx, else a masked 500', () => {
    expect(problemFromGraphQLErrors([{ message: 'Variable "$input" got invalid value' }], 400)).toMatchObject({
      status: 400,
      code: 'BAD_USER_INPUT',
    });
    expect(problemFromGraphQLErrors([{ message: 'Unexpected error.' }], 200)).toMatchObject({
      status: 500,
      code: 'INTERNAL_SERVER_ERROR',
      title: 'Internal Server Error',
    });
  });
});

describe('problem details from result-union members', () => {
  test.each([
    ['NotFoundError', 404, 'NOT_FOUND'],
    ['ConflictError', 409, 'CONFLICT'],
    ['ValidationError', 400, 'VALIDATION'],
    ['FeatureDisabledError', 403, 'FEATURE_DISABLED'],
  ])('%s is %i', (typename, status, code) => {
    expect(problemFromUnionMember({ __typename: typename, message: 'why' })).toMatchObject({
      status,
      code,
      detail: 'why',
    });
  });

  test('a success member is no problem', () => {
    expect(problemFromUnionMember({ __typename: 'Tool', id: '1' })).toBeNull();
  });
});

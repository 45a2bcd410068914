import { readFile } from 'node:fs/promises';
import { buildSchema } from 'graphql';
import { describe, expect, test } from 'vitest';
import { schema } from '../../server/schema/index.ts';
import { missingDescriptions, referenceMarkdown } from '../../server/schema/reference-markdown.ts';

/**
 * Types and fields that had no description when this check was introduced. The list may only
 * shrink: a new type or field without a description fails, and so does an entry that gained one.
 */
async function undescribedBaseline(): Promise<string[]> {
  const text = await readFile(new URL('./graphql-undescribed.txt', import.meta.url), 'utf8');
  return text.split('\n').filter((line) => line && !line.startsWith('#'));
}

describe('GraphQL reference', () => {
  test('every type and field has a description (except the recorded backlog)', async () => {
    const baseline = new Set(await undescribedBaseline());
    const missing = missingDescriptions(schema);
    expect(missing.filter((name) => !baseline.has(name))).toEqual([]);
    const described = [...baseline].filter((name) => !missing.includes(name));
    expect(described, 'these have descriptions now: remove them from graphql-undescribed.txt').toEqual([]);
  });

  test('the check finds a missing description', () => {
    const probe = buildSchema('"described" type Query { a: Int, "b" b: Int } type Thing { x: Int }');
    expect(missingDescriptions(probe)).toEqual(['Query.a', 'Thing', 'Thing.x']);
  });

  test('docs/graphql.md is generated from schema.graphql and up to date', async () => {
    const source = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
    const committed = await readFile(new URL('../../docs/graphql.md', import.meta.url), 'utf8');
    if (committed !== referenceMarkdown(buildSchema(source))) {
      expect.fail('docs/graphql.md is not up to date: run `npm run docs:graphql` and commit it');
    }
  });
});

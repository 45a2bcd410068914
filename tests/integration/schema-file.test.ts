import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { printedSchema, SCHEMA_HEADER } from '../../server/schema/index.ts';

test('schema.graphql is printed from code and up to date', async () => {
  const committed = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
  expect(committed.startsWith(SCHEMA_HEADER)).toBe(true);
  if (committed !== printedSchema()) {
    expect.fail('schema is not up to date: run `npm run schema:print` and commit schema.graphql');
  }
});

import { describe, expect, test } from 'vitest';
import { qualifiesForStrict } from '../../server/integrations/openai-strict.ts';
import type { JsonObject } from '../../server/executors/types.ts';

const closed = (properties: JsonObject, extra: JsonObject = {}): JsonObject => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...extra,
});

describe('OpenAI strict-mode qualification', () => {
  test('closed objects requiring every property, with supported keywords, qualify', () => {
    expect(qualifiesForStrict(closed({}))).toBe(true);
    expect(
      qualifiesForStrict(
        closed({
          order_id: { type: 'string', pattern: '^[A-Z]-\\d+$', description: 'the id' },
          quantity: { type: 'integer', minimum: 1, maximum: 10 },
          note: { type: ['string', 'null'] },
          tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, maxItems: 3 },
          address: closed({ street: { type: 'string' }, zip: { anyOf: [{ type: 'string' }, { type: 'null' }] } }),
        }),
      ),
    ).toBe(true);
  });

  test.each<[string, JsonObject]>([
    [
      'an optional property',
      { type: 'object', properties: { a: { type: 'string' } }, required: [], additionalProperties: false },
    ],
    ['an open object', { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }],
    ['a nested open object', closed({ inner: { type: 'object', properties: {}, required: [] } })],
    ['an unsupported keyword', closed({ name: { type: 'string', minLength: 2 } })],
    ['a default', closed({ name: { type: 'string', default: 'x' } })],
    ['oneOf', closed({ name: { oneOf: [{ type: 'string' }, { type: 'number' }] } })],
    ['a root union', { anyOf: [closed({})], type: 'object' }],
    ['an unknown type', closed({ when: { type: 'date' } })],
    ['a required name without a property', { ...closed({}), required: ['ghost'] }],
  ])('%s does not qualify', (_label, schema) => {
    expect(qualifiesForStrict(schema)).toBe(false);
  });

  test('nesting deeper than 10 levels and more than 1000 enum values do not qualify', () => {
    let deep: JsonObject = closed({ leaf: { type: 'string' } });
    for (let level = 0; level < 11; level += 1) deep = closed({ next: deep });
    expect(qualifiesForStrict(deep)).toBe(false);
    const values = Array.from({ length: 1_001 }, (_, index) => `v${index}`);
    expect(qualifiesForStrict(closed({ pick: { type: 'string', enum: values } }))).toBe(false);
    expect(qualifiesForStrict(closed({ pick: { type: 'string', enum: values.slice(0, 1_000) } }))).toBe(true);
  });
});

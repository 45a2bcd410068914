/** The tool builder's own checks (web/src/lib): parameter rows and where save-time issues are shown. */
import { describe, expect, test } from 'vitest';
import { newRow, repeatedKey, rowProblems, toSchema } from '../../web/src/lib/json-schema.ts';
import { labelOf, parameterOf, placeOf, summaryOf, unplaced } from '../../web/src/lib/tool-issues.ts';

describe('rowProblems', () => {
  test('reports a repeated name on the later row only', () => {
    const rows = [newRow({ name: 'city' }), newRow({ name: 'zip' }), newRow({ name: ' city ' })];
    expect([...rowProblems(rows).entries()]).toEqual([
      [rows[2]!.key, { name: 'Another parameter is already named "city"' }],
    ]);
  });

  test.each([
    ['number', 'one, 2', 'Allowed values of a number parameter must be numbers: "one" is not'],
    ['integer', '1, 2.5', 'Allowed values of an integer parameter must be whole numbers: "2.5" is not'],
    ['number', '1, 1.0', '"1.0" is listed twice'],
    ['string', 'S, M, S', '"S" is listed twice'],
    ['boolean', 'yes, no', 'A boolean parameter cannot have allowed values: clear them, or make it text or a number'],
  ] as const)('a %s parameter with allowed values %j', (type, enumText, message) => {
    const row = newRow({ name: 'p', type, enumText });
    expect(rowProblems([row]).get(row.key)).toEqual({ enum: message });
  });

  test('fitting rows have no problems and keep their order in the schema', () => {
    const rows = [
      newRow({ name: 'z', type: 'integer', enumText: '1, 2' }),
      newRow({ name: 'a', type: 'number', enumText: '-1.5, 3' }),
      newRow({ name: 'm' }),
    ];
    expect(rowProblems(rows).size).toBe(0);
    const schema = toSchema(rows) as { properties: Record<string, { enum?: number[] }> };
    expect(Object.keys(schema.properties)).toEqual(['z', 'a', 'm']);
    expect(schema.properties.a!.enum).toEqual([-1.5, 3]);
  });
});

describe('repeatedKey (raw JSON, where JSON.parse would keep one of two equal keys)', () => {
  test('finds a parameter named twice, with the path to it', () => {
    const text = '{"type":"object","properties":{"z":{"type":"string"},"a":{},"z":{"type":"number"}}}';
    expect(repeatedKey(text)).toEqual({ path: ['properties'], key: 'z' });
  });

  test('equal keys in different objects, keys inside strings and escaped quotes are not repeats', () => {
    const text = String.raw`{"properties":{"a":{"description":"say "a": yes","type":"string"},"b":{"type":"string","enum":[{"a":1},{"a":2}]}}}`;
    expect(repeatedKey(text)).toBeNull();
  });
});

describe('where an issue is shown', () => {
  test('server paths map to the inputs, by label', () => {
    expect(placeOf('configuration.url')).toEqual({ step: 1, label: 'URL' });
    expect(placeOf('functionDefinition.parameters.properties.size.enum')).toEqual({ step: 0, label: 'Parameters' });
    expect(placeOf('configuration.auth.secret_name')).toEqual({ step: 1, label: 'Authentication' });
    expect(placeOf('configuration.execution_timeout')).toBeNull();
    expect(parameterOf('functionDefinition.parameters.properties.size.enum')).toBe('size');
    expect(parameterOf('functionDefinition.parameters.required')).toBeNull();
  });

  test('the summary names places, and issues without an input get a plain label', () => {
    expect(summaryOf(['URL', 'Code (line 2)', 'URL'])).toBe('Not saved: check URL and Code (line 2).');
    const issue = { field: 'configuration.execution_timeout', message: 'must be 1-30', line: null, column: null };
    expect(unplaced([issue, { ...issue, field: 'name' }])).toEqual([issue]);
    expect(labelOf('configuration.execution_timeout')).toBe('Execution timeout');
    expect(labelOf('allowedContexts')).toBe('Allowed contexts');
  });
});

import { describe, expect, it } from 'vitest';
import {
  listPlaceholders,
  MAX_RENDERED_LENGTH,
  MAX_TEMPLATE_DEPTH,
  renderString,
  renderTemplate,
  secretNames,
  TemplateError,
  validatePlaceholders,
  type TemplateScope,
} from '../../server/executors/template.ts';
import type { JsonValue } from '../../server/executors/types.ts';

const scope: TemplateScope = {
  call_sid: 'CA123',
  phone_number: '+15551234567',
  parameters: {
    query: 'pizza near me',
    count: 3,
    urgent: true,
    nothing: null,
    address: { city: 'Zürich', zip: '8001', lines: ['Main St 1', 'Floor 2'] },
    tags: ['a', 'b'],
  },
  context: { assistant_id: 'asst_1', trigger_context: 'call' },
  secrets: { API_KEY: 'sk-live-123', 'team.token': 'dotted' },
};

function renderError(run: () => unknown): TemplateError {
  try {
    run();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('renderTemplate in json mode', () => {
  it('keeps the JSON type of a string that is exactly one placeholder', () => {
    expect(renderTemplate('${parameters}', scope)).toEqual(scope.parameters);
    expect(renderTemplate('${parameters.count}', scope)).toBe(3);
    expect(renderTemplate('${parameters.urgent}', scope)).toBe(true);
    expect(renderTemplate('${parameters.nothing}', scope)).toBeNull();
    expect(renderTemplate('${parameters.tags}', scope)).toEqual(['a', 'b']);
    expect(renderTemplate('${ parameters.count }', scope)).toBe(3);
  });

  it('walks objects and arrays and leaves keys and non-strings alone', () => {
    const template: JsonValue = {
      '${call_sid}': [1, false, null, '${parameters.address.city}', { n: '${parameters.count}' }],
      who: 'call ${call_sid} from ${phone_number}',
    };
    expect(renderTemplate(template, scope)).toEqual({
      '${call_sid}': [1, false, null, 'Zürich', { n: 3 }],
      who: 'call CA123 from +15551234567',
    });
  });

  it('follows nested paths, including array indexes, and context keys', () => {
    expect(renderTemplate('${parameters.address.lines.1}', scope)).toBe('Floor 2');
    expect(renderTemplate('${context.assistant_id}', scope)).toBe('asst_1');
    expect(renderTemplate('${context}', scope)).toEqual(scope.context);
  });

  it('stringifies values inside longer strings, objects as JSON', () => {
    expect(renderTemplate('n=${parameters.count} u=${parameters.urgent}', scope)).toBe('n=3 u=true');
    expect(renderTemplate('addr: ${parameters.address.lines}', scope)).toBe('addr: ["Main St 1","Floor 2"]');
  });

  it('renders missing optional values as null when exact and as empty inside strings', () => {
    expect(renderTemplate('${parameters.missing}', scope)).toBeNull();
    expect(renderTemplate('${parameters.address.planet}', scope)).toBeNull();
    expect(renderTemplate('${parameters.query.deeper}', scope)).toBeNull();
    expect(renderTemplate('[${parameters.missing}]', scope)).toBe('[]');
    expect(renderTemplate('${call_sid}', { ...scope, call_sid: null })).toBeNull();
    expect(renderTemplate('sid=${call_sid}', { ...scope, call_sid: null })).toBe('sid=');
  });

  it('does not read inherited properties', () => {
    expect(renderTemplate('${parameters.constructor}', scope)).toBeNull();
    expect(renderTemplate('${parameters.tags.length}', scope)).toBeNull();
  });
});

describe('renderString', () => {
  it('stringifies exact placeholders in text mode', () => {
    expect(renderString('${parameters.count}', scope)).toBe('3');
    expect(renderString('${parameters.nothing}', scope)).toBe('');
    expect(renderString('Bearer ${secrets.API_KEY}', scope, 'text')).toBe('Bearer sk-live-123');
    expect(renderString('${secrets.team.token}', scope)).toBe('dotted');
  });

  it('percent-encodes substituted values in url mode so they cannot change the URL structure', () => {
    const hostile: TemplateScope = {
      ...scope,
      parameters: { a: '../../admin', b: 'x?admin=1', c: 'x#frag', d: 'user@evil.com', e: 'ünï 😀', f: 'a/b&c=d' },
    };
    const url = renderString(
      'https://api.example.com/items/${parameters.a}/${parameters.b}/${parameters.c}?u=${parameters.d}&e=${parameters.e}&f=${parameters.f}',
      hostile,
      'url',
    );
    expect(url).toBe(
      'https://api.example.com/items/..%2F..%2Fadmin/x%3Fadmin%3D1/x%23frag?u=user%40evil.com&e=%C3%BCn%C3%AF%20%F0%9F%98%80&f=a%2Fb%26c%3Dd',
    );
    const parsed = new URL(url);
    expect(parsed.hostname).toBe('api.example.com');
    expect(parsed.hash).toBe('');
    expect([...parsed.searchParams.keys()]).toEqual(['u', 'e', 'f']);
    expect(parsed.searchParams.get('e')).toBe('ünï 😀');
  });

  it('keeps literal template text unencoded in url mode', () => {
    expect(renderString('https://x.test/a b?q=${parameters.query}', scope, 'url')).toBe(
      'https://x.test/a b?q=pizza%20near%20me',
    );
  });

  it('renders $${ as a literal ${', () => {
    expect(renderString('cost: $${parameters.count} and ${parameters.count}', scope)).toBe(
      'cost: ${parameters.count} and 3',
    );
    expect(renderTemplate('$${parameters}', scope)).toBe('${parameters}');
    expect(renderString('price $5 {ok}', scope)).toBe('price $5 {ok}');
  });
});

describe('template errors', () => {
  it('rejects unknown roots, paths under scalar roots and malformed placeholders', () => {
    expect(renderError(() => renderString('${foo}', scope)).placeholder).toBe('foo');
    expect(renderError(() => renderString('${call_sid.x}', scope)).message).toMatch(/has no fields/);
    expect(renderError(() => renderString('${}', scope)).message).toMatch(/Empty placeholder/);
    expect(renderError(() => renderString('${parameters..x}', scope)).message).toMatch(/Invalid placeholder/);
    expect(renderError(() => renderString('${parameters[0]}', scope)).message).toMatch(/Invalid placeholder/);
    expect(renderError(() => renderString('${secrets}', scope)).message).toMatch(/Name the secret/);
  });

  it('rejects an unclosed placeholder', () => {
    expect(renderError(() => renderString('hello ${parameters.query', scope)).message).toMatch(/Unclosed/);
  });

  it('rejects a secret the scope does not hold', () => {
    const error = renderError(() => renderString('${secrets.OTHER}', scope));
    expect(error.placeholder).toBe('secrets.OTHER');
  });

  it('limits nesting depth', () => {
    let deep: JsonValue = '${call_sid}';
    for (let i = 0; i <= MAX_TEMPLATE_DEPTH; i += 1) deep = [deep];
    expect(renderError(() => renderTemplate(deep, scope)).message).toMatch(/nesting/);
    expect(validatePlaceholders(deep)[0]?.message).toMatch(/nesting/);
  });

  it('limits rendered size', () => {
    const big: TemplateScope = { ...scope, parameters: { blob: 'x'.repeat(300_000) } };
    const template = Array.from({ length: 4 }, () => '${parameters.blob}').join('');
    expect(renderError(() => renderString(template, big)).message).toMatch(/exceeds/);
    expect(
      renderError(() =>
        renderTemplate(['${parameters.blob}', '${parameters.blob}', '${parameters.blob}', '${parameters.blob}'], big),
      ).message,
    ).toMatch(String(MAX_RENDERED_LENGTH));
    expect(renderString('${parameters.blob}', big)).toHaveLength(300_000);
  });

  it('limits template size', () => {
    expect(renderError(() => renderString('x'.repeat(300_000), scope)).message).toMatch(/Template exceeds/);
  });
});

describe('listPlaceholders and secretNames', () => {
  const template: JsonValue = {
    url: 'https://x.test/${parameters.query}?k=${secrets.API_KEY}',
    headers: { a: '${call_sid}', b: '${secrets.API_KEY} ${secrets.OTHER}' },
    broken: '${nope',
    literal: '$${secrets.NOT_A_SECRET}',
  };

  it('lists distinct well-formed placeholders in order', () => {
    expect(listPlaceholders(template)).toEqual(['parameters.query', 'secrets.API_KEY', 'call_sid', 'secrets.OTHER']);
  });

  it('lists referenced secret names', () => {
    expect(secretNames(template)).toEqual(['API_KEY', 'OTHER']);
    expect(secretNames('no secrets here')).toEqual([]);
  });
});

describe('validatePlaceholders', () => {
  it('accepts a valid template', () => {
    expect(validatePlaceholders({ a: '${parameters.query}', b: ['${context.anything}', 1] })).toEqual([]);
  });

  it('reports syntax errors and unknown roots', () => {
    const issues = validatePlaceholders(['${foo.bar}', 'x ${parameters.q', '${call_sid}']);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({ placeholder: 'foo.bar' });
    expect(issues[1]?.message).toMatch(/Unclosed/);
  });

  it('checks parameter and secret names against what is known', () => {
    const issues = validatePlaceholders(
      { q: '${parameters.query.text}', x: '${parameters.typo}', k: '${secrets.API_KEY}', m: '${secrets.MISSING}' },
      { parameters: ['query'], secrets: ['API_KEY'] },
    );
    expect(issues).toEqual([
      { placeholder: 'parameters.typo', message: expect.stringMatching(/Unknown parameter "typo"/) },
      { placeholder: 'secrets.MISSING', message: expect.stringMatching(/Unknown secret "MISSING"/) },
    ]);
  });
});

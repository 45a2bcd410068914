/**
 * The template language tools use to build requests from a call.
 *
 * Placeholders: `${call_sid}`, `${phone_number}`, `${parameters}`,
 * `${parameters.a.b}`, `${context}`, `${context.assistant_id}`, `${secrets.NAME}`.
 * Path segments are `[A-Za-z0-9_-]+` (a numeric segment indexes an array);
 * everything after `secrets.` is the secret's name. Whitespace inside the
 * braces is ignored. `$${` renders a literal `${`. Object keys are never rendered.
 *
 * Modes:
 * - `json`: a string that is exactly one placeholder becomes the value itself,
 *   keeping its JSON type (`"${parameters.count}"` stays a number).
 * - `text`: values are stringified (objects and arrays as JSON).
 * - `url`: like text, then percent-encoded with `encodeURIComponent`, so a value
 *   cannot add path segments, query parameters, a fragment or a different host.
 *
 * Missing values: a parameter or context path that does not exist (an optional
 * parameter the assistant left out), and a null `call_sid`/`phone_number`,
 * render as `null` when the string is exactly that placeholder in `json` mode,
 * and as the empty string everywhere else. An unknown root, a path below a
 * scalar root or a secret missing from `scope.secrets` is a `TemplateError`:
 * those are configuration bugs, not call-time data.
 */
import type { JsonObject, JsonValue } from './types.ts';

export interface TemplateScope {
  call_sid: string | null;
  phone_number: string | null;
  parameters: JsonObject;
  context: JsonObject;
  secrets: Record<string, string>;
}

export type TemplateMode = 'json' | 'url' | 'text';

export class TemplateError extends Error {
  readonly placeholder: string;

  constructor(placeholder: string, message: string) {
    super(message);
    this.name = 'TemplateError';
    this.placeholder = placeholder;
  }
}

/** Rendered output budget across one `renderTemplate` call, in UTF-16 code units. */
export const MAX_RENDERED_LENGTH = 1024 * 1024;
/** Template source budget (all strings and keys of one template). */
export const MAX_TEMPLATE_LENGTH = 256 * 1024;
/** Objects/arrays nested deeper than this in a template are refused. */
export const MAX_TEMPLATE_DEPTH = 32;

const ROOTS = ['call_sid', 'phone_number', 'parameters', 'context', 'secrets'] as const;
type Root = (typeof ROOTS)[number];
const SEGMENT = /^[A-Za-z0-9_-]+$/;

interface Placeholder {
  /** Normalised text, e.g. `parameters.query`. */
  text: string;
  root: Root;
  path: string[];
}

type Part = { kind: 'text'; text: string } | { kind: 'placeholder'; placeholder: Placeholder };

function isRoot(value: string): value is Root {
  return (ROOTS as readonly string[]).includes(value);
}

function parsePlaceholder(raw: string): Placeholder {
  const text = raw.trim();
  if (text === '') throw new TemplateError('', 'Empty placeholder "${}"');
  const segments = text.split('.');
  const [rootName = '', ...path] = segments;
  if (!segments.every((segment) => SEGMENT.test(segment))) {
    throw new TemplateError(text, `Invalid placeholder "\${${text}}": use dotted names like \${parameters.query}`);
  }
  if (!isRoot(rootName)) {
    throw new TemplateError(text, `Unknown placeholder "\${${text}}": expected one of ${ROOTS.join(', ')}`);
  }
  if ((rootName === 'call_sid' || rootName === 'phone_number') && path.length > 0) {
    throw new TemplateError(text, `"\${${rootName}}" is a string and has no fields`);
  }
  if (rootName === 'secrets' && path.length === 0) {
    throw new TemplateError(text, 'Name the secret: ${secrets.NAME}');
  }
  return { text, root: rootName, path };
}

/** Splits a template string into literal text and placeholders; throws on syntax errors. */
function parseString(source: string): Part[] {
  const parts: Part[] = [];
  let text = '';
  let index = 0;
  while (index < source.length) {
    if (source.startsWith('$${', index)) {
      text += '${';
      index += 3;
    } else if (source.startsWith('${', index)) {
      const end = source.indexOf('}', index + 2);
      if (end === -1) {
        throw new TemplateError(
          source.slice(index, index + 40),
          `Unclosed placeholder at position ${index}: missing "}"`,
        );
      }
      if (text !== '') parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'placeholder', placeholder: parsePlaceholder(source.slice(index + 2, end)) });
      index = end + 1;
    } else {
      text += source[index];
      index += 1;
    }
  }
  if (text !== '' || parts.length === 0) parts.push({ kind: 'text', text });
  return parts;
}

function lookupPath(value: JsonValue | undefined, path: string[]): JsonValue | undefined {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current)) {
      current = /^\d+$/.test(segment) ? current[Number(segment)] : undefined;
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

function resolve(placeholder: Placeholder, scope: TemplateScope): JsonValue {
  switch (placeholder.root) {
    case 'call_sid':
      return scope.call_sid;
    case 'phone_number':
      return scope.phone_number;
    case 'parameters':
      return lookupPath(scope.parameters, placeholder.path) ?? null;
    case 'context':
      return lookupPath(scope.context, placeholder.path) ?? null;
    case 'secrets': {
      const name = placeholder.path.join('.');
      const value = Object.hasOwn(scope.secrets, name) ? scope.secrets[name] : undefined;
      if (value === undefined) throw new TemplateError(placeholder.text, `Secret "${name}" is not available`);
      return value;
    }
  }
}

function stringify(value: JsonValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

class Budget {
  remaining = MAX_RENDERED_LENGTH;

  spend(length: number, placeholder: string): void {
    this.remaining -= length;
    if (this.remaining < 0) {
      throw new TemplateError(placeholder, `Rendered template exceeds ${MAX_RENDERED_LENGTH} characters`);
    }
  }
}

function renderParts(parts: Part[], scope: TemplateScope, mode: TemplateMode, budget: Budget): JsonValue {
  const [only] = parts;
  if (mode === 'json' && parts.length === 1 && only?.kind === 'placeholder') {
    const value = resolve(only.placeholder, scope);
    budget.spend(typeof value === 'string' ? value.length : JSON.stringify(value).length, only.placeholder.text);
    return value;
  }
  let output = '';
  for (const part of parts) {
    let piece: string;
    if (part.kind === 'text') {
      piece = part.text;
    } else {
      piece = stringify(resolve(part.placeholder, scope));
      if (mode === 'url') piece = encodeURIComponent(piece);
    }
    budget.spend(piece.length, part.kind === 'placeholder' ? part.placeholder.text : '');
    output += piece;
  }
  return output;
}

function checkDepth(depth: number): void {
  if (depth > MAX_TEMPLATE_DEPTH) {
    throw new TemplateError('', `Template nesting exceeds ${MAX_TEMPLATE_DEPTH} levels`);
  }
}

function templateLength(template: JsonValue, depth = 0): number {
  checkDepth(depth);
  if (typeof template === 'string') return template.length;
  if (Array.isArray(template)) return template.reduce<number>((sum, item) => sum + templateLength(item, depth + 1), 0);
  if (template !== null && typeof template === 'object') {
    return Object.entries(template).reduce((sum, [key, item]) => sum + key.length + templateLength(item, depth + 1), 0);
  }
  return 8;
}

function checkTemplateSize(template: JsonValue): void {
  if (templateLength(template) > MAX_TEMPLATE_LENGTH) {
    throw new TemplateError('', `Template exceeds ${MAX_TEMPLATE_LENGTH} characters`);
  }
}

function walk(template: JsonValue, scope: TemplateScope, mode: TemplateMode, budget: Budget): JsonValue {
  if (typeof template === 'string') return renderParts(parseString(template), scope, mode, budget);
  if (Array.isArray(template)) return template.map((item) => walk(item, scope, mode, budget));
  if (template !== null && typeof template === 'object') {
    const output: JsonObject = {};
    for (const [key, item] of Object.entries(template)) {
      budget.spend(key.length, '');
      output[key] = walk(item, scope, mode, budget);
    }
    return output;
  }
  return template;
}

/** Renders every string inside `template` (objects and arrays are walked); throws `TemplateError`. */
export function renderTemplate(template: JsonValue, scope: TemplateScope, mode: TemplateMode = 'json'): JsonValue {
  checkTemplateSize(template);
  return walk(template, scope, mode, new Budget());
}

/** Renders one string; in `json` mode an exact placeholder is still stringified. */
export function renderString(template: string, scope: TemplateScope, mode: TemplateMode = 'text'): string {
  checkTemplateSize(template);
  const rendered = renderParts(parseString(template), scope, mode === 'json' ? 'text' : mode, new Budget());
  return typeof rendered === 'string' ? rendered : stringify(rendered);
}

function collectStrings(template: JsonValue, into: string[], depth = 0): string[] {
  checkDepth(depth);
  if (typeof template === 'string') into.push(template);
  else if (Array.isArray(template)) for (const item of template) collectStrings(item, into, depth + 1);
  else if (template !== null && typeof template === 'object') {
    for (const item of Object.values(template)) collectStrings(item, into, depth + 1);
  }
  return into;
}

function placeholdersOf(template: JsonValue): Placeholder[] {
  const found: Placeholder[] = [];
  for (const source of collectStrings(template, [])) {
    let parts: Part[];
    try {
      parts = parseString(source);
    } catch (error) {
      if (error instanceof TemplateError) continue;
      throw error;
    }
    for (const part of parts) if (part.kind === 'placeholder') found.push(part.placeholder);
  }
  return found;
}

/** Distinct well-formed placeholders in order of first appearance, e.g. `['parameters.query', 'secrets.API_KEY']`. */
export function listPlaceholders(template: JsonValue): string[] {
  return [...new Set(placeholdersOf(template).map((placeholder) => placeholder.text))];
}

/** Distinct secret names the template references. */
export function secretNames(template: JsonValue): string[] {
  const names = placeholdersOf(template)
    .filter((placeholder) => placeholder.root === 'secrets')
    .map((placeholder) => placeholder.path.join('.'));
  return [...new Set(names)];
}

/**
 * Save-time check: syntax, unknown roots, size and depth limits and, when `known`
 * is given, parameter names missing from the function definition and secret
 * names missing from the organization's store.
 */
export function validatePlaceholders(
  template: JsonValue,
  known?: { parameters?: string[]; secrets?: string[] },
): Array<{ placeholder: string; message: string }> {
  const issues: Array<{ placeholder: string; message: string }> = [];
  let strings: string[];
  try {
    checkTemplateSize(template);
    strings = collectStrings(template, []);
  } catch (error) {
    if (error instanceof TemplateError) return [{ placeholder: error.placeholder, message: error.message }];
    throw error;
  }
  for (const source of strings) {
    let parts: Part[];
    try {
      parts = parseString(source);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      issues.push({ placeholder: error.placeholder, message: error.message });
      continue;
    }
    for (const part of parts) {
      if (part.kind !== 'placeholder') continue;
      const { root, path, text } = part.placeholder;
      const [first] = path;
      if (root === 'parameters' && first !== undefined && known?.parameters && !known.parameters.includes(first)) {
        issues.push({
          placeholder: text,
          message: `Unknown parameter "${first}": the function definition does not declare it`,
        });
      }
      const secret = path.join('.');
      if (root === 'secrets' && known?.secrets && !known.secrets.includes(secret)) {
        issues.push({ placeholder: text, message: `Unknown secret "${secret}": create it before using it` });
      }
    }
  }
  return issues;
}

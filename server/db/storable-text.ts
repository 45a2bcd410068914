/**
 * Text PostgreSQL cannot store: the NUL character (refused in `text`, and as
 * `\u0000` in `jsonb` strings) and unpaired UTF-16 surrogates (no UTF-8 form;
 * refused in `jsonb`). Where a value must be kept whatever it holds (tool
 * outputs, parameters, logs), NUL is stored as the six characters `\u0000`
 * and an unpaired surrogate as U+FFFD; where a person chooses the text (names,
 * configurations) it is refused at the edge instead, naming the field.
 */

const NUL = '\u0000';
const ESCAPED_NUL = '\\u0000';
/** What JSON.stringify writes for NUL and for a lone surrogate (the only escapes it emits above \u001f). */
const SERIALIZED_UNSTORABLE = /\\u(?:0000|d[89a-f])/i;

export function isStorableText(text: string): boolean {
  return !text.includes(NUL) && text.isWellFormed();
}

/** The text as stored: NUL → the literal `\u0000`, unpaired surrogates → U+FFFD. */
export function storableText(text: string): string {
  if (isStorableText(text)) return text;
  return text.replaceAll(NUL, ESCAPED_NUL).toWellFormed();
}

/** A JSON value with storableText() applied to every string and key; the value itself when nothing changes. */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => storableJson(item));
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const storable: [string, unknown] = [storableText(key), storableJson(item)];
      if (storable[0] !== key || storable[1] !== item) changed = true;
      return storable;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}

/**
 * JSON.stringify(value), made storable: one scan of the output finds the
 * rare value that needs storableJson() (a literal backslash before `u0000`
 * matches too, and is merely re-serialized unchanged).
 */
export function storableJsonText(value: unknown): string {
  const text = JSON.stringify(value);
  return SERIALIZED_UNSTORABLE.test(text) ? JSON.stringify(storableJson(value)) : text;
}

/** The path (`a.b[2]`) of the first string or key PostgreSQL cannot store, or null. */
export function unstorablePath(value: unknown, path = ''): string | null {
  // Iterative, depth-first in document order: callers' JSON may nest deeper than the stack allows.
  const pending: Array<{ item: unknown; at: string }> = [{ item: value, at: path }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { item, at } = next;
    if (typeof item === 'string') {
      if (!isStorableText(item)) return at;
    } else if (Array.isArray(item)) {
      for (let index = item.length - 1; index >= 0; index -= 1)
        pending.push({ item: item[index], at: `${at}[${index}]` });
    } else if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item);
      for (const [key] of entries) if (!isStorableText(key)) return at === '' ? key : `${at}.${key}`;
      for (let index = entries.length - 1; index >= 0; index -= 1) {
        const [key, child] = entries[index]!;
        pending.push({ item: child, at: at === '' ? key : `${at}.${key}` });
      }
    }
  }
  return null;
}

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain the NUL character (U+0000) or an unpaired UTF-16 surrogate';

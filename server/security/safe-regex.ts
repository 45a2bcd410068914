/**
 * Regular expressions written by tenants run on RE2 (re2js, pure JavaScript):
 * matching is linear in the input, so no pattern can stall the event loop that
 * every organization shares. RE2 has no backreferences or lookaround; a pattern
 * that needs them is refused when it is saved.
 */
import type { RegExpEngine, RegExpLike } from 'ajv/dist/types/index.js';
import { RE2JS } from 're2js';

export interface LinearRegExp extends RegExpLike {
  readonly engine: 'RE2';
  toString(): string;
}

/** Compiles a JavaScript-syntax pattern on RE2; throws with RE2's reason when it cannot. */
export function compileLinear(pattern: string, flags = ''): LinearRegExp {
  let options = 0;
  if (flags.includes('i')) options |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) options |= RE2JS.MULTILINE;
  if (flags.includes('s')) options |= RE2JS.DOTALL;
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern), options);
  } catch (error) {
    throw new Error(`pattern ${JSON.stringify(pattern)} is not supported: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    engine: 'RE2',
    test: (input: string) => compiled.test(input),
    // Ajv shares one compiled pattern per toString(): it must name the pattern and flags.
    toString: () => `/${pattern}/${flags}`,
  };
}

/** Ajv's `code.regExp` option: `pattern` and `patternProperties` on RE2. */
export const linearRegExpEngine: RegExpEngine = Object.assign(
  (pattern: string, flags: string): RegExpLike => compileLinear(pattern, flags),
  { code: 'linearRegExp' },
);

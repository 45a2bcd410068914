/**
 * Refuses GraphQL input PostgreSQL could not store (a NUL character, an
 * unpaired UTF-16 surrogate) with BAD_USER_INPUT naming where it is, before
 * any resolver writes it: names, descriptions, configurations, secrets and
 * parameters alike. The execution engine also stores such text escaped
 * (storable-text.ts) for the adapters that call it directly.
 */
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE, unstorablePath } from '../db/storable-text.ts';

/** The escapes that spell such a string in a document (the raw characters are checked apart). */
const SUSPECT_ESCAPE = /\\u(?:0000|\{0+\}|d[89a-f])/i;

function literalPath(document: DocumentNode): string | null {
  const source = document.loc?.source.body;
  if (source !== undefined && isStorableText(source) && !SUSPECT_ESCAPE.test(source)) return null;
  let found: string | null = null;
  visit(document, {
    [Kind.STRING](node) {
      if (found === null && !isStorableText(node.value)) found = `a string literal at offset ${node.loc?.start ?? 0}`;
    },
  });
  return found;
}

function refuse(where: string): never {
  throw new GraphQLError(`${where} ${UNSTORABLE_TEXT_MESSAGE}`, {
    extensions: { code: 'BAD_USER_INPUT', field: where },
  });
}

function check(document: DocumentNode, variables: unknown): void {
  const variable = unstorablePath(variables ?? {});
  if (variable !== null) refuse(`variables.${variable}`);
  const literal = literalPath(document);
  if (literal !== null) refuse(literal);
}

export const storableInputPlugin: Plugin = {
  onExecute({ args }) {
    check(args.document, args.variableValues);
  },
  onSubscribe({ args }) {
    check(args.document, args.variableValues);
  },
};

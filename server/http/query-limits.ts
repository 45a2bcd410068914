/**
 * Query size limits (graphql-armor) with errors that say which limit was hit,
 * its maximum and how to stay under it, as `QUERY_TOO_COMPLEX` instead of
 * graphql-armor's "Syntax Error: …".
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import { GraphQLError } from 'graphql';

export const QUERY_LIMITS = { depth: 12, aliases: 30, directives: 20, tokens: 5000, cost: 20000 } as const;
/** Connection page sizes (`first`), as set on the schema's connections. */
const PAGE_SIZES = 'at most 100 items per page (200 for toolExecutions and auditLog)';

type Limit = keyof typeof QUERY_LIMITS;

const ADVICE: Record<Limit, string> = {
  depth: 'Nest fewer levels of fields, or split the query into several queries.',
  aliases: 'Use fewer aliased fields in one request, or send several requests.',
  directives: 'Use fewer directives in one request.',
  tokens: 'Send a shorter query, or split it into several queries.',
  cost:
    `A field costs 1, an object 2, each nesting level multiplies by 1.5 and a connection counts its fields once per ` +
    `requested item (first). Ask for fewer fields, nest less, or request a smaller page with first; connections ` +
    `return ${PAGE_SIZES}.`,
};

const NOUN: Record<Limit, string> = {
  depth: 'query depth',
  aliases: 'number of aliases',
  directives: 'number of directives',
  tokens: 'number of tokens',
  cost: 'query cost',
};

export function queryLimitError(limit: Limit, found: number | null): GraphQLError {
  const maximum = QUERY_LIMITS[limit];
  const measured = found === null ? 'above' : `${found}, above`;
  const message = `The ${NOUN[limit]} is ${measured} the maximum of ${maximum}. ${ADVICE[limit]}`;
  return new GraphQLError(message, {
    extensions: { code: 'QUERY_TOO_COMPLEX', limit, maximum, ...(found === null ? {} : { found }) },
  });
}

function onReject(limit: Limit): { propagateOnRejection: false; onReject: GraphQLArmorRejectCallback[] } {
  return {
    propagateOnRejection: false,
    onReject: [
      (context, armorError) => {
        const found = /found (\d+(?:\.\d+)?)/.exec(armorError.message)?.[1];
        const error = queryLimitError(limit, found === undefined ? null : Math.ceil(Number(found)));
        // The token limit is checked while parsing, where there is no validation context to report to.
        if (!context) throw error;
        context.reportError(error);
      },
    ],
  };
}

export function queryLimitsPlugin(options: { blockFieldSuggestions: boolean }) {
  return EnvelopArmorPlugin({
    maxDepth: { n: QUERY_LIMITS.depth, ...onReject('depth') },
    maxAliases: { n: QUERY_LIMITS.aliases, ...onReject('aliases') },
    maxDirectives: { n: QUERY_LIMITS.directives, ...onReject('directives') },
    maxTokens: { n: QUERY_LIMITS.tokens, ...onReject('tokens') },
    costLimit: { maxCost: QUERY_LIMITS.cost, ...onReject('cost') },
    blockFieldSuggestion: { enabled: options.blockFieldSuggestions },
  });
}

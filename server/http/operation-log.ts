import { getOperationAST, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { censorVariables } from './sensitive-inputs.ts';

/** One debug line per operation, its variables censored by the input types' sensitive fields. */
export function operationLog(logger: Logger): Plugin {
  return {
    onExecute({ args }) {
      if (!logger.isLevelEnabled('debug')) return;
      const document = args.document as DocumentNode;
      const variables = censorVariables(
        args.schema,
        document,
        args.operationName,
        (args.variableValues ?? {}) as Record<string, unknown>,
      );
      const operationName = getOperationAST(document, args.operationName)?.name?.value ?? null;
      logger.debug({ operationName, variables }, 'graphql operation');
    },
  };
}

/**
 * Input errors never repeat the value that was sent: a `setSecret` with one
 * extra field must not come back (and land in logs and error trackers) with
 * the secret in its message. graphql-js prints the whole invalid input; these
 * errors say where and why instead.
 */
import {
  coerceInputValue,
  GraphQLError,
  isNonNullType,
  Kind,
  typeFromAST,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Built-in scalar messages end with ": <the value>"; an enum's names the value. */
function reasonWithoutValue(reason: string): string {
  const scalar = /^(\w+ cannot represent [^:]*?value)(?::[\s\S]*)?$/.exec(reason);
  if (scalar) return `${scalar[1]}.`;
  const enumValue = /^Value [\s\S]* does not exist in "(\w+)" enum\./.exec(reason);
  if (enumValue) return `The value does not exist in the "${enumValue[1]}" enum.`;
  return reason;
}

function printPath(path: ReadonlyArray<string | number>): string {
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('');
}

/** Coerces the variables as graphql-js would, reporting problems without their values. */
export function variableErrors(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): GraphQLError[] {
  const errors: GraphQLError[] = [];
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    // Unknown types and missing values are reported by graphql-js, without echoing anything.
    if (!type || !Object.hasOwn(variables, name)) continue;
    const value = variables[name];
    if (value === null && isNonNullType(type)) continue;
    coerceInputValue(value, type, (path, _invalid, error) => {
      const at = path.length > 0 ? ` at "${name}${printPath(path)}"` : '';
      errors.push(
        new GraphQLError(`Variable "$${name}" got an invalid value${at}; ${reasonWithoutValue(error.message)}`, {
          nodes: definition,
          extensions: { code: 'BAD_USER_INPUT' },
        }),
      );
    });
  }
  return errors;
}

/** Literal arguments: "Expected value of type "T", found <literal>…" keeps only the type. */
function withoutLiteral(error: Error): Error {
  const literal = /^Expected value of type "([^"]+)", found /.exec(error.message);
  const message = literal ? `Expected value of type "${literal[1]}" here.` : reasonWithoutValue(error.message);
  if (message === error.message) return error;
  const { nodes, extensions } = error as Partial<GraphQLError>;
  return new GraphQLError(message, {
    ...(nodes ? { nodes } : {}),
    ...(extensions ? { extensions } : {}),
  });
}

export function noInputEcho(): Plugin {
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map(withoutLiteral));
      };
    },
    onExecute({ args }) {
      return {
        // Only a failed coercion is redone (without values): the success path pays nothing.
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || result.data !== undefined || !result.errors) return;
          const echoing = result.errors.filter((error) => error.message.includes(' got invalid value '));
          if (echoing.length === 0) return;
          const operation = (args.document as DocumentNode).definitions.find(
            (definition): definition is OperationDefinitionNode =>
              definition.kind === Kind.OPERATION_DEFINITION &&
              (args.operationName == null || definition.name?.value === args.operationName),
          );
          const variables = (args.variableValues ?? {}) as Record<string, unknown>;
          let rewritten = operation ? variableErrors(args.schema, operation, variables) : [];
          if (rewritten.length === 0) {
            rewritten = echoing.map((error) => {
              const name = /^Variable "\$(\w+)"/.exec(error.message)?.[1] ?? '';
              return new GraphQLError(`Variable "$${name}" got an invalid value.`, {
                extensions: { code: 'BAD_USER_INPUT' },
              });
            });
          }
          const kept = result.errors.filter((error) => !echoing.includes(error));
          setResult({ errors: [...kept, ...rewritten] });
        },
      };
    },
  };
}

/**
 * Input fields that carry credentials, in one place: `Type.field` of the
 * GraphQL input types. Whatever a client names its variables, values that reach
 * these fields are censored in logs. A test fails when a new input field looks
 * like a credential and is not listed here.
 */
import {
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  TypeInfo,
  typeFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

export const SENSITIVE_INPUT_FIELDS: ReadonlySet<string> = new Set([
  'SetSecretInput.value',
  'LoginInput.password',
  'AcceptInvitationInput.password',
  'AcceptInvitationInput.token',
  'InvitationTokenInput.token',
  'SetAssistantRetellKeyInput.apiKey',
  'SignUpInput.password',
  'SignUpInput.invitationToken',
  'ChangePasswordInput.currentPassword',
  'ChangePasswordInput.newPassword',
  'ResetPasswordInput.newPassword',
  'ResetPasswordInput.token',
]);

/** Field arguments that carry credentials: `Type.field.argument` (a link's token read before anyone signs in). */
export const SENSITIVE_ARGUMENTS: ReadonlySet<string> = new Set([
  'Query.invitationPreview.token',
  'Query.passwordReset.token',
]);

export const REDACTED = '[REDACTED]';

function censorValue(value: unknown, type: GraphQLInputType): unknown {
  if (value === null || value === undefined) return value;
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    return Array.isArray(value)
      ? value.map((item) => censorValue(item, inner.ofType))
      : censorValue(value, inner.ofType);
  }
  if (!isInputObjectType(inner)) return value;
  if (typeof value !== 'object' || Array.isArray(value)) return REDACTED;
  const fields = inner.getFields();
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => {
      const field = fields[key];
      // A field the type does not define is invalid input: nothing says what it carries.
      if (!field || SENSITIVE_INPUT_FIELDS.has(`${inner.name}.${key}`)) return [key, REDACTED];
      return [key, censorValue(item, field.type)];
    }),
  );
}

/** Variables written directly into a sensitive field or argument (`password: $p`), whatever their own type. */
function variablesAtSensitiveFields(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const names = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const parentType = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (
          node.value.kind === Kind.VARIABLE &&
          parentType &&
          field &&
          SENSITIVE_ARGUMENTS.has(`${parentType.name}.${field.name}.${node.name.value}`)
        ) {
          names.add(node.value.name.value);
        }
      },
      ObjectField(node) {
        const parent = typeInfo.getParentInputType();
        const parentType = parent && isNonNullType(parent) ? parent.ofType : parent;
        if (
          node.value.kind === Kind.VARIABLE &&
          isInputObjectType(parentType) &&
          SENSITIVE_INPUT_FIELDS.has(`${parentType.name}.${node.name.value}`)
        ) {
          names.add(node.value.name.value);
        }
      },
    }),
  );
  return names;
}

/** The operation's variables with every credential replaced, for logging. Undeclared variables are left out. */
export function censorVariables(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION &&
      (operationName == null || definition.name?.value === operationName),
  );
  if (!operation) return {};
  const sensitive = variablesAtSensitiveFields(schema, document);
  const censored: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (!Object.hasOwn(variables, name)) continue;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    censored[name] = sensitive.has(name) || !type ? REDACTED : censorValue(variables[name], type);
  }
  return censored;
}

import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** `SWITCHBOARD_INTROSPECTION=false`: `__schema` and `__type` fail validation (graphql-js's own rule). */
export const disableIntrospection: Plugin = {
  onValidate({ addValidationRule }) {
    addValidationRule(NoSchemaIntrospectionCustomRule);
  },
};

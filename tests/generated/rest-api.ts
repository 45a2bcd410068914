// Generated from /api/openapi.json by openapi-typescript — do not edit.
// Regenerate: UPDATE_REST_TYPES=1 npx vitest run tests/integration/openapi-document.test.ts

export interface paths {
  '/api/organization/tools': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The organization's tools. */
    get: operations['listOrganizationTools'];
    put?: never;
    /** Creates a tool (MEMBER). */
    post: operations['createOrganizationTool'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organization/tools/{tool_id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One tool. */
    get: operations['getOrganizationTool'];
    /** Updates a tool; a changed definition is a new version (MEMBER). */
    put: operations['updateOrganizationTool'];
    post?: never;
    /** Deletes a tool (MEMBER). */
    delete: operations['deleteOrganizationTool'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organization/tools/{tool_id}/archive': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Archives a tool: hidden from lists, runs refused with TOOL_ARCHIVED, assignments kept (MEMBER; ADMIN if published). */
    post: operations['archiveOrganizationTool'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organization/tools/{tool_id}/unarchive': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Brings an archived tool back (MEMBER; ADMIN if published). */
    post: operations['unarchiveOrganizationTool'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organization/tools/{tool_id}/duplicate': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Copies a tool as <name>_copy at version 1, unpublished (MEMBER). */
    post: operations['duplicateOrganizationTool'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organization/tools/{tool_id}/test': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Runs the tool in the `test` context and returns the execution (MEMBER). */
    post: operations['testOrganizationTool'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organization/tools/{tool_id}/logs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The tool's executions, newest first. */
    get: operations['listOrganizationToolLogs'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organization/tools/from-template/{template_id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Creates a tool from a template (MEMBER). */
    post: operations['createOrganizationToolFromTemplate'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/assistants/{assistant_id}/tools': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The assistant's tool assignments (each with its tool), in execution order. */
    get: operations['listAssistantTools'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/assistants/{assistant_id}/tools/{tool_id}/assign': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Assigns a tool to the assistant (ADMIN). */
    post: operations['assignAssistantTool'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/assistants/{assistant_id}/tools/{tool_id}/configure': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /** Changes the assignment's override, messages or enabled flag (ADMIN). */
    put: operations['configureAssistantTool'];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/assistants/{assistant_id}/tools/{tool_id}/unassign': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Removes the tool from the assistant (ADMIN). */
    delete: operations['unassignAssistantTool'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/assistants/{assistant_id}/tools/from-template/{template_id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Creates a tool from a template and assigns it to the assistant (ADMIN). Two mutations: when the assignment is refused, the new tool is deleted again. */
    post: operations['createAssistantToolFromTemplate'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/assistants/{assistant_id}/tool-executions': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The assistant's executions, newest first. */
    get: operations['listAssistantToolExecutions'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/calls/{call_id}/tool-executions': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The call's executions, newest first. */
    get: operations['listCallToolExecutions'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/tools/public': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The marketplace: tools any organization published, most installed first. */
    get: operations['listPublicTools'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/tools/templates': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The built-in catalog, then the organization's tools marked isTemplate. */
    get: operations['listToolTemplatesUnderTools'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/tool-templates': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The built-in catalog, then the organization's tools marked isTemplate. */
    get: operations['listToolTemplates'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/tool-templates/{template_id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One template (`builtin:<slug>` or an organization tool id). */
    get: operations['getToolTemplate'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    /** @description RFC 9457 problem details. */
    Problem: {
      /** Format: uri-reference */
      type: string;
      title: string;
      status: number;
      detail: string;
      /** @description UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, VALIDATION, BAD_USER_INPUT, FEATURE_DISABLED, … */
      code: string;
      /** @description For VALIDATION and BAD_USER_INPUT: what is wrong, where. */
      issues?: {
        field?: string | null;
        message?: string | null;
        line?: number | null;
        column?: number | null;
      }[];
    };
  };
  responses: {
    /** @description Invalid input (issues say where). */
    Problem400: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description Missing, invalid or revoked API key. */
    Problem401: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description The key’s role may not do this, or the tool type is switched off. */
    Problem403: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description Not found (another organization’s ids are not found either). */
    Problem404: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description Conflicts with the current state (a duplicate name, a stale version). */
    Problem409: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description The body is above the request body limit. */
    Problem413: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description Rate limited. */
    Problem429: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
  };
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  listOrganizationTools: {
    parameters: {
      query?: {
        /** @description Page size (GraphQL connection limits apply). */
        first?: number;
        /** @description The previous page's pageInfo.endCursor. */
        after?: string;
        /** @description Matches name, display name or description. */
        search?: string;
        /** @description true: only archived tools; false or left out: only tools that are not archived. */
        archived?: boolean;
        /** @description UPDATED (default, most recently changed first), NAME, LAST_USED or ERRORS. */
        order_by?: 'ERRORS' | 'LAST_USED' | 'NAME' | 'UPDATED';
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              /** @description A UUID. */
              id: string | null;
              /** @description The function name the LLM calls; unique in the organization. */
              name: string | null;
              /** @description A human-readable name for the dashboard. */
              displayName: string | null;
              /** @description What the tool does, as the model reads it. */
              description: string | null;
              /**
               * @description ENDPOINT, CODE or LAMBDA.
               * @enum {string|null}
               */
              type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
              /** @description Bumped by every change to what the tool does. */
              version: number | null;
              /** @description Off: every call is refused with TOOL_INACTIVE. */
              isActive: boolean | null;
              /** @description Published to the marketplace (ADMIN). */
              isPublic: boolean | null;
              /** @description Listed among the organization's templates. */
              isTemplate: boolean | null;
              /** @description Where it may be called from (CALL, SMS, TEST, WEBHOOK); others are refused with CONTEXT_NOT_ALLOWED. */
              allowedContexts: string[] | null;
              /** @description Type-specific; secret values are never stored here, only secret names. */
              configuration: unknown;
              /** @description OpenAI function definition. */
              functionDefinition: unknown;
              /** @description Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }. */
              messages: unknown;
              /** @description How long a run may take, in seconds (1–300). */
              timeoutSeconds: number | null;
              /** @description Retries after a transient failure (0–5). */
              retryAttempts: number | null;
              /** @description Each run waits for a person to approve it (approver_role in the configuration). */
              requireConfirmation: boolean | null;
              /** @description How many times it ran. */
              executionCount: number | null;
              /** @description Runs that reached the tool and did not succeed (refusals are not counted); `tools(orderBy: ERRORS)` sorts by it. */
              errorCount: number | null;
              /** @description Share of finished executions that succeeded (null before the first one). */
              successRate: number | null;
              /**
               * Format: date-time
               * @description When it last ran; null before the first run.
               */
              lastExecutedAt: string | null;
              /**
               * Format: date-time
               * @description When it was archived; null while it is not. Archived tools never run (TOOL_ARCHIVED).
               */
              archivedAt: string | null;
              /**
               * Format: date-time
               * @description When it was created.
               */
              createdAt: string | null;
              /**
               * Format: date-time
               * @description When it last changed.
               */
              updatedAt: string | null;
            }[];
            pageInfo: {
              hasNextPage: boolean;
              endCursor: string | null;
            };
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  createOrganizationTool: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description Subset of call, sms, webhook, test. */
          allowedContexts?: string[] | null;
          /** @description Type-specific configuration (see the README for each type). */
          configuration?: unknown;
          /** @description What the tool does, written for the model: it decides when to call the tool from this. */
          description?: string | null;
          /** @description Shown in the dashboard; defaults to the name. */
          displayName?: string | null;
          /** @description OpenAI function definition; `parameters` must be a JSON Schema object. */
          functionDefinition?: unknown;
          /** @description Off: every call is refused with TOOL_INACTIVE (default on). */
          isActive?: boolean | null;
          /** @description Publish to the marketplace (ADMIN). */
          isPublic?: boolean | null;
          /** @description List it among the organization's templates. */
          isTemplate?: boolean | null;
          /** @description Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }. */
          messages?: unknown;
          /** @description Function name the LLM calls: ^[a-zA-Z0-9_-]{1,64}$. */
          name: string;
          /** @description The order of the parameters (every key of functionDefinition.parameters.properties, once each), for clients whose JSON encoding sorts object keys; the definition is stored in this order. Clients that keep key order (JSON.stringify) need not send it. */
          parameterOrder?: string[] | null;
          /** @description Each run waits for approval (ADMIN to change). */
          requireConfirmation?: boolean | null;
          /** @description Retries after a transient failure (0–5). */
          retryAttempts?: number | null;
          /** @description How long a run may take, in seconds (1–300). */
          timeoutSeconds?: number | null;
          /**
           * @description How it runs; fixes the configuration keys.
           * @enum {string}
           */
          type: 'CODE' | 'ENDPOINT' | 'LAMBDA';
        };
      };
    };
    responses: {
      /** @description Success. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description The function name the LLM calls; unique in the organization. */
            name: string | null;
            /** @description A human-readable name for the dashboard. */
            displayName: string | null;
            /** @description What the tool does, as the model reads it. */
            description: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description Bumped by every change to what the tool does. */
            version: number | null;
            /** @description Off: every call is refused with TOOL_INACTIVE. */
            isActive: boolean | null;
            /** @description Published to the marketplace (ADMIN). */
            isPublic: boolean | null;
            /** @description Listed among the organization's templates. */
            isTemplate: boolean | null;
            /** @description Where it may be called from (CALL, SMS, TEST, WEBHOOK); others are refused with CONTEXT_NOT_ALLOWED. */
            allowedContexts: string[] | null;
            /** @description Type-specific; secret values are never stored here, only secret names. */
            configuration: unknown;
            /** @description OpenAI function definition. */
            functionDefinition: unknown;
            /** @description Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }. */
            messages: unknown;
            /** @description How long a run may take, in seconds (1–300). */
            timeoutSeconds: number | null;
            /** @description Retries after a transient failure (0–5). */
            retryAttempts: number | null;
            /** @description Each run waits for a person to approve it (approver_role in the configuration). */
            requireConfirmation: boolean | null;
            /** @description How many times it ran. */
            executionCount: number | null;
            /** @description Runs that reached the tool and did not succeed (refusals are not counted); `tools(orderBy: ERRORS)` sorts by it. */
            errorCount: number | null;
            /** @description Share of finished executions that succeeded (null before the first one). */
            successRate: number | null;
            /**
             * Format: date-time
             * @description When it last ran; null before the first run.
             */
            lastExecutedAt: string | null;
            /**
             * Format: date-time
             * @description When it was archived; null while it is not. Archived tools never run (TOOL_ARCHIVED).
             */
            archivedAt: string | null;
            /**
             * Format: date-time
             * @description When it was created.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When it last changed.
             */
            updatedAt: string | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  getOrganizationTool: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description The function name the LLM calls; unique in the organization. */
            name: string | null;
            /** @description A human-readable name for the dashboard. */
            displayName: string | null;
            /** @description What the tool does, as the model reads it. */
            description: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description Bumped by every change to what the tool does. */
            version: number | null;
            /** @description Off: every call is refused with TOOL_INACTIVE. */
            isActive: boolean | null;
            /** @description Published to the marketplace (ADMIN). */
            isPublic: boolean | null;
            /** @description Listed among the organization's templates. */
            isTemplate: boolean | null;
            /** @description Where it may be called from (CALL, SMS, TEST, WEBHOOK); others are refused with CONTEXT_NOT_ALLOWED. */
            allowedContexts: string[] | null;
            /** @description Type-specific; secret values are never stored here, only secret names. */
            configuration: unknown;
            /** @description OpenAI function definition. */
            functionDefinition: unknown;
            /** @description Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }. */
            messages: unknown;
            /** @description How long a run may take, in seconds (1–300). */
            timeoutSeconds: number | null;
            /** @description Retries after a transient failure (0–5). */
            retryAttempts: number | null;
            /** @description Each run waits for a person to approve it (approver_role in the configuration). */
            requireConfirmation: boolean | null;
            /** @description How many times it ran. */
            executionCount: number | null;
            /** @description Runs that reached the tool and did not succeed (refusals are not counted); `tools(orderBy: ERRORS)` sorts by it. */
            errorCount: number | null;
            /** @description Share of finished executions that succeeded (null before the first one). */
            successRate: number | null;
            /**
             * Format: date-time
             * @description When it last ran; null before the first run.
             */
            lastExecutedAt: string | null;
            /**
             * Format: date-time
             * @description When it was archived; null while it is not. Archived tools never run (TOOL_ARCHIVED).
             */
            archivedAt: string | null;
            /**
             * Format: date-time
             * @description When it was created.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When it last changed.
             */
            updatedAt: string | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  updateOrganizationTool: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /** @description Subset of call, sms, webhook, test (ADMIN to change). */
          allowedContexts?: string[] | null;
          /** @description Type-specific configuration (see the README for each type). */
          configuration?: unknown;
          /** @description What the tool does, written for the model: it decides when to call the tool from this. */
          description?: string | null;
          /** @description Shown in the dashboard; defaults to the name. */
          displayName?: string | null;
          /** @description Refuse the change (ConflictError) if the tool is no longer at this version. */
          expectedVersion?: number | null;
          /** @description OpenAI function definition; `parameters` must be a JSON Schema object. */
          functionDefinition?: unknown;
          /** @description Off: every call is refused with TOOL_INACTIVE (default on). */
          isActive?: boolean | null;
          /** @description Publish (true) or unpublish (false) in the marketplace (ADMIN). */
          isPublic?: boolean | null;
          /** @description List it among the organization's templates. */
          isTemplate?: boolean | null;
          /** @description Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }. Null clears them. */
          messages?: unknown;
          /** @description A new function name: ^[a-zA-Z0-9_-]{1,64}$. */
          name?: string | null;
          /** @description The order of the parameters (every key of functionDefinition.parameters.properties, once each), for clients whose JSON encoding sorts object keys; the definition is stored in this order. Clients that keep key order (JSON.stringify) need not send it. */
          parameterOrder?: string[] | null;
          /** @description Each run waits for approval (ADMIN to change). */
          requireConfirmation?: boolean | null;
          /** @description Retries after a transient failure (0–5). */
          retryAttempts?: number | null;
          /** @description How long a run may take, in seconds (1–300). */
          timeoutSeconds?: number | null;
          /**
           * @description A new type (give a configuration for it too).
           * @enum {string|null}
           */
          type?: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
        };
      };
    };
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description The function name the LLM calls; unique in the organization. */
            name: string | null;
            /** @description A human-readable name for the dashboard. */
            displayName: string | null;
            /** @description What the tool does, as the model reads it. */
            description: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description Bumped by every change to what the tool does. */
            version: number | null;
            /** @description Off: every call is refused with TOOL_INACTIVE. */
            isActive: boolean | null;
            /** @description Published to the marketplace (ADMIN). */
            isPublic: boolean | null;
            /** @description Listed among the organization's templates. */
            isTemplate: boolean | null;
            /** @description Where it may be called from (CALL, SMS, TEST, WEBHOOK); others are refused with CONTEXT_NOT_ALLOWED. */
            allowedContexts: string[] | null;
            /** @description Type-specific; secret values are never stored here, only secret names. */
            configuration: unknown;
            /** @description OpenAI function definition. */
            functionDefinition: unknown;
            /** @description Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }. */
            messages: unknown;
            /** @description How long a run may take, in seconds (1–300). */
            timeoutSeconds: number | null;
            /** @description Retries after a transient failure (0–5). */
            retryAttempts: number | null;
            /** @description Each run waits for a person to approve it (approver_role in the configuration). */
            requireConfirmation: boolean | null;
            /** @description How many times it ran. */
            executionCount: number | null;
            /** @description Runs that reached the tool and did not succeed (refusals are not counted); `tools(orderBy: ERRORS)` sorts by it. */
            errorCount: number | null;
            /** @description Share of finished executions that succeeded (null before the first one). */
            successRate: number | null;
            /**
             * Format: date-time
             * @description When it last ran; null before the first run.
             */
            lastExecutedAt: string | null;
            /**
             * Format: date-time
             * @description When it was archived; null while it is not. Archived tools never run (TOOL_ARCHIVED).
             */
            archivedAt: string | null;
            /**
             * Format: date-time
             * @description When it was created.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When it last changed.
             */
            updatedAt: string | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  deleteOrganizationTool: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Its id. */
            id: string | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  archiveOrganizationTool: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description The function name the LLM calls; unique in the organization. */
            name: string | null;
            /** @description A human-readable name for the dashboard. */
            displayName: string | null;
            /** @description What the tool does, as the model reads it. */
            description: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description Bumped by every change to what the tool does. */
            version: number | null;
            /** @description Off: every call is refused with TOOL_INACTIVE. */
            isActive: boolean | null;
            /** @description Published to the marketplace (ADMIN). */
            isPublic: boolean | null;
            /** @description Listed among the organization's templates. */
            isTemplate: boolean | null;
            /** @description Where it may be called from (CALL, SMS, TEST, WEBHOOK); others are refused with CONTEXT_NOT_ALLOWED. */
            allowedContexts: string[] | null;
            /** @description Type-specific; secret values are never stored here, only secret names. */
            configuration: unknown;
            /** @description OpenAI function definition. */
            functionDefinition: unknown;
            /** @description Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }. */
            messages: unknown;
            /** @description How long a run may take, in seconds (1–300). */
            timeoutSeconds: number | null;
            /** @description Retries after a transient failure (0–5). */
            retryAttempts: number | null;
            /** @description Each run waits for a person to approve it (approver_role in the configuration). */
            requireConfirmation: boolean | null;
            /** @description How many times it ran. */
            executionCount: number | null;
            /** @description Runs that reached the tool and did not succeed (refusals are not counted); `tools(orderBy: ERRORS)` sorts by it. */
            errorCount: number | null;
            /** @description Share of finished executions that succeeded (null before the first one). */
            successRate: number | null;
            /**
             * Format: date-time
             * @description When it last ran; null before the first run.
             */
            lastExecutedAt: string | null;
            /**
             * Format: date-time
             * @description When it was archived; null while it is not. Archived tools never run (TOOL_ARCHIVED).
             */
            archivedAt: string | null;
            /**
             * Format: date-time
             * @description When it was created.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When it last changed.
             */
            updatedAt: string | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  unarchiveOrganizationTool: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description The function name the LLM calls; unique in the organization. */
            name: string | null;
            /** @description A human-readable name for the dashboard. */
            displayName: string | null;
            /** @description What the tool does, as the model reads it. */
            description: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description Bumped by every change to what the tool does. */
            version: number | null;
            /** @description Off: every call is refused with TOOL_INACTIVE. */
            isActive: boolean | null;
            /** @description Published to the marketplace (ADMIN). */
            isPublic: boolean | null;
            /** @description Listed among the organization's templates. */
            isTemplate: boolean | null;
            /** @description Where it may be called from (CALL, SMS, TEST, WEBHOOK); others are refused with CONTEXT_NOT_ALLOWED. */
            allowedContexts: string[] | null;
            /** @description Type-specific; secret values are never stored here, only secret names. */
            configuration: unknown;
            /** @description OpenAI function definition. */
            functionDefinition: unknown;
            /** @description Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }. */
            messages: unknown;
            /** @description How long a run may take, in seconds (1–300). */
            timeoutSeconds: number | null;
            /** @description Retries after a transient failure (0–5). */
            retryAttempts: number | null;
            /** @description Each run waits for a person to approve it (approver_role in the configuration). */
            requireConfirmation: boolean | null;
            /** @description How many times it ran. */
            executionCount: number | null;
            /** @description Runs that reached the tool and did not succeed (refusals are not counted); `tools(orderBy: ERRORS)` sorts by it. */
            errorCount: number | null;
            /** @description Share of finished executions that succeeded (null before the first one). */
            successRate: number | null;
            /**
             * Format: date-time
             * @description When it last ran; null before the first run.
             */
            lastExecutedAt: string | null;
            /**
             * Format: date-time
             * @description When it was archived; null while it is not. Archived tools never run (TOOL_ARCHIVED).
             */
            archivedAt: string | null;
            /**
             * Format: date-time
             * @description When it was created.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When it last changed.
             */
            updatedAt: string | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  duplicateOrganizationTool: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description The function name the LLM calls; unique in the organization. */
            name: string | null;
            /** @description A human-readable name for the dashboard. */
            displayName: string | null;
            /** @description What the tool does, as the model reads it. */
            description: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description Bumped by every change to what the tool does. */
            version: number | null;
            /** @description Off: every call is refused with TOOL_INACTIVE. */
            isActive: boolean | null;
            /** @description Published to the marketplace (ADMIN). */
            isPublic: boolean | null;
            /** @description Listed among the organization's templates. */
            isTemplate: boolean | null;
            /** @description Where it may be called from (CALL, SMS, TEST, WEBHOOK); others are refused with CONTEXT_NOT_ALLOWED. */
            allowedContexts: string[] | null;
            /** @description Type-specific; secret values are never stored here, only secret names. */
            configuration: unknown;
            /** @description OpenAI function definition. */
            functionDefinition: unknown;
            /** @description Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }. */
            messages: unknown;
            /** @description How long a run may take, in seconds (1–300). */
            timeoutSeconds: number | null;
            /** @description Retries after a transient failure (0–5). */
            retryAttempts: number | null;
            /** @description Each run waits for a person to approve it (approver_role in the configuration). */
            requireConfirmation: boolean | null;
            /** @description How many times it ran. */
            executionCount: number | null;
            /** @description Runs that reached the tool and did not succeed (refusals are not counted); `tools(orderBy: ERRORS)` sorts by it. */
            errorCount: number | null;
            /** @description Share of finished executions that succeeded (null before the first one). */
            successRate: number | null;
            /**
             * Format: date-time
             * @description When it last ran; null before the first run.
             */
            lastExecutedAt: string | null;
            /**
             * Format: date-time
             * @description When it was archived; null while it is not. Archived tools never run (TOOL_ARCHIVED).
             */
            archivedAt: string | null;
            /**
             * Format: date-time
             * @description When it was created.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When it last changed.
             */
            updatedAt: string | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  testOrganizationTool: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /** @description Call details to pretend; all unknown when omitted. */
          context?: {
            /** @description The telephony provider's call id (e.g. a Twilio CallSid). */
            callSid?: string | null;
            /** @description The calling number, E.164 where known. */
            from?: string | null;
            /** @description The assistant's phone number the call came in on or went out from. */
            phoneNumber?: string | null;
            /** @description The called number, E.164 where known. */
            to?: string | null;
            /**
             * @description executeTool only (default CALL); testTool always runs in the `test` context.
             * @enum {string|null}
             */
            triggerContext?: 'CALL' | 'SMS' | 'WEBHOOK' | null;
          } | null;
          /** @description Run the tool as edited instead of as saved; the execution records the saved version's number. Left out: the saved tool runs. */
          draft?: {
            /** @description Subset of call, sms, webhook, test. */
            allowedContexts?: string[] | null;
            /** @description The type-specific configuration. */
            configuration?: unknown;
            /** @description The description the model reads. */
            description?: string | null;
            /** @description The display name. */
            displayName?: string | null;
            /** @description The OpenAI function definition. */
            functionDefinition?: unknown;
            /** @description The function name. */
            name?: string | null;
            /** @description A draft that waits for approval cannot be tested unsaved (ValidationError at `draft`). */
            requireConfirmation?: boolean | null;
            /** @description Retries after a transient failure (0–5). */
            retryAttempts?: number | null;
            /** @description Seconds a run may take (1–300). */
            timeoutSeconds?: number | null;
            /**
             * @description The tool type.
             * @enum {string|null}
             */
            type?: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
          } | null;
          /** @description The arguments object, as the LLM would send it. */
          parameters?: unknown;
        };
      };
    };
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description The execution id (UUID). */
            id: string | null;
            /**
             * @description Where the execution stands now.
             * @enum {string|null}
             */
            status:
              | 'CANCELLED'
              | 'ERROR'
              | 'PENDING_APPROVAL'
              | 'QUEUED'
              | 'RATE_LIMITED'
              | 'REJECTED'
              | 'RUNNING'
              | 'SUCCESS'
              | 'TIMEOUT'
              | null;
            /** @description The tool's name when it ran (kept when the tool is renamed or deleted). */
            toolName: string | null;
            /** @description The tool version that ran (see Tool.versions); built-ins have a fixed version of their own. */
            toolVersion: number | null;
            /** @description The voice platform's id for this tool call (Vapi / OpenAI tool_call_id); null when none was sent. */
            toolCallId: string | null;
            /** @description What triggered the run: call, sms, webhook or test (testTool). */
            triggerContext: string | null;
            /** @description The parameters the tool was called with, as received (after validation against its schema). */
            inputParameters: unknown;
            /** @description { success, message, data } */
            outputResult: unknown;
            /** @description Why it failed, for programs (e.g. SSRF_BLOCKED, TIMEOUT, SECRET_NOT_GRANTED; see docs/troubleshooting.md); null on success. */
            errorCode: string | null;
            /** @description What went wrong, for people (secrets redacted); null when the execution succeeded. */
            errorMessage: string | null;
            /** @description Milliseconds from startedAt to completedAt, retries included; null until the execution finishes. */
            durationMs: number | null;
            /** @description Attempts made after the first (0 when the first attempt settled it); bounded by Tool.retryAttempts. */
            retryCount: number | null;
            /**
             * Format: date-time
             * @description For async executions: when a worker took it.
             */
            startedAt: string | null;
            /**
             * Format: date-time
             * @description When the execution reached a final status; null while it is QUEUED, PENDING_APPROVAL or RUNNING.
             */
            completedAt: string | null;
            /** @description Null for built-ins and deleted tools. */
            tool: {
              /** @description A UUID. */
              id: string | null;
              /** @description The function name the LLM calls; unique in the organization. */
              name: string | null;
            } | null;
            /** @description The assistant that called the tool; null for testTool runs and deleted assistants. */
            assistant: {
              /** @description A UUID; also the id in the Vapi, Retell, ElevenLabs and MCP URLs. */
              id: string | null;
              /** @description The display name. */
              name: string | null;
            } | null;
            /** @description The phone call the execution belonged to; null outside a call or when the call is unknown. */
            call: {
              /** @description A UUID. */
              id: string | null;
            } | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  listOrganizationToolLogs: {
    parameters: {
      query?: {
        /** @description Page size (GraphQL connection limits apply). */
        first?: number;
        /** @description The previous page's pageInfo.endCursor. */
        after?: string;
      };
      header?: never;
      path: {
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              /** @description The execution id (UUID). */
              id: string | null;
              /**
               * @description Where the execution stands now.
               * @enum {string|null}
               */
              status:
                | 'CANCELLED'
                | 'ERROR'
                | 'PENDING_APPROVAL'
                | 'QUEUED'
                | 'RATE_LIMITED'
                | 'REJECTED'
                | 'RUNNING'
                | 'SUCCESS'
                | 'TIMEOUT'
                | null;
              /** @description The tool's name when it ran (kept when the tool is renamed or deleted). */
              toolName: string | null;
              /** @description The tool version that ran (see Tool.versions); built-ins have a fixed version of their own. */
              toolVersion: number | null;
              /** @description The voice platform's id for this tool call (Vapi / OpenAI tool_call_id); null when none was sent. */
              toolCallId: string | null;
              /** @description What triggered the run: call, sms, webhook or test (testTool). */
              triggerContext: string | null;
              /** @description The parameters the tool was called with, as received (after validation against its schema). */
              inputParameters: unknown;
              /** @description { success, message, data } */
              outputResult: unknown;
              /** @description Why it failed, for programs (e.g. SSRF_BLOCKED, TIMEOUT, SECRET_NOT_GRANTED; see docs/troubleshooting.md); null on success. */
              errorCode: string | null;
              /** @description What went wrong, for people (secrets redacted); null when the execution succeeded. */
              errorMessage: string | null;
              /** @description Milliseconds from startedAt to completedAt, retries included; null until the execution finishes. */
              durationMs: number | null;
              /** @description Attempts made after the first (0 when the first attempt settled it); bounded by Tool.retryAttempts. */
              retryCount: number | null;
              /**
               * Format: date-time
               * @description For async executions: when a worker took it.
               */
              startedAt: string | null;
              /**
               * Format: date-time
               * @description When the execution reached a final status; null while it is QUEUED, PENDING_APPROVAL or RUNNING.
               */
              completedAt: string | null;
              /** @description Null for built-ins and deleted tools. */
              tool: {
                /** @description A UUID. */
                id: string | null;
                /** @description The function name the LLM calls; unique in the organization. */
                name: string | null;
              } | null;
              /** @description The assistant that called the tool; null for testTool runs and deleted assistants. */
              assistant: {
                /** @description A UUID; also the id in the Vapi, Retell, ElevenLabs and MCP URLs. */
                id: string | null;
                /** @description The display name. */
                name: string | null;
              } | null;
              /** @description The phone call the execution belonged to; null outside a call or when the call is unknown. */
              call: {
                /** @description A UUID. */
                id: string | null;
              } | null;
            }[];
            pageInfo: {
              hasNextPage: boolean;
              endCursor: string | null;
            };
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  createOrganizationToolFromTemplate: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        template_id: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /** @description The new tool's name; defaults to the template's. */
          name?: string | null;
        };
      };
    };
    responses: {
      /** @description Success. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description The function name the LLM calls; unique in the organization. */
            name: string | null;
            /** @description A human-readable name for the dashboard. */
            displayName: string | null;
            /** @description What the tool does, as the model reads it. */
            description: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description Bumped by every change to what the tool does. */
            version: number | null;
            /** @description Off: every call is refused with TOOL_INACTIVE. */
            isActive: boolean | null;
            /** @description Published to the marketplace (ADMIN). */
            isPublic: boolean | null;
            /** @description Listed among the organization's templates. */
            isTemplate: boolean | null;
            /** @description Where it may be called from (CALL, SMS, TEST, WEBHOOK); others are refused with CONTEXT_NOT_ALLOWED. */
            allowedContexts: string[] | null;
            /** @description Type-specific; secret values are never stored here, only secret names. */
            configuration: unknown;
            /** @description OpenAI function definition. */
            functionDefinition: unknown;
            /** @description Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }. */
            messages: unknown;
            /** @description How long a run may take, in seconds (1–300). */
            timeoutSeconds: number | null;
            /** @description Retries after a transient failure (0–5). */
            retryAttempts: number | null;
            /** @description Each run waits for a person to approve it (approver_role in the configuration). */
            requireConfirmation: boolean | null;
            /** @description How many times it ran. */
            executionCount: number | null;
            /** @description Runs that reached the tool and did not succeed (refusals are not counted); `tools(orderBy: ERRORS)` sorts by it. */
            errorCount: number | null;
            /** @description Share of finished executions that succeeded (null before the first one). */
            successRate: number | null;
            /**
             * Format: date-time
             * @description When it last ran; null before the first run.
             */
            lastExecutedAt: string | null;
            /**
             * Format: date-time
             * @description When it was archived; null while it is not. Archived tools never run (TOOL_ARCHIVED).
             */
            archivedAt: string | null;
            /**
             * Format: date-time
             * @description When it was created.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When it last changed.
             */
            updatedAt: string | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  listAssistantTools: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        assistant_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description Off: calls from this assistant are refused with ASSIGNMENT_DISABLED. */
            enabled: boolean | null;
            /** @description Position in the list the model sees, from 0. */
            executionOrder: number | null;
            /** @description Deep-merged over the tool's configuration when this assistant runs it. */
            customConfiguration: unknown;
            /** @description Spoken messages for this assistant, merged key by key over the tool's. */
            messages: unknown;
            /**
             * Format: date-time
             * @description When the tool was assigned.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When the assignment last changed.
             */
            updatedAt: string | null;
            /** @description The assistant. */
            assistant: {
              /** @description A UUID; also the id in the Vapi, Retell, ElevenLabs and MCP URLs. */
              id: string | null;
              /** @description The display name. */
              name: string | null;
            } | null;
            /** @description The tool. */
            tool: {
              /** @description A UUID. */
              id: string | null;
              /** @description The function name the LLM calls; unique in the organization. */
              name: string | null;
              /** @description A human-readable name for the dashboard. */
              displayName: string | null;
              /**
               * @description ENDPOINT, CODE or LAMBDA.
               * @enum {string|null}
               */
              type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
              /** @description Off: every call is refused with TOOL_INACTIVE. */
              isActive: boolean | null;
            } | null;
          }[];
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  assignAssistantTool: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        assistant_id: string;
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /** @description Deep-merged over the tool's configuration; `function_description` also replaces the description the LLM sees. */
          customConfiguration?: unknown;
          /** @description Default true. */
          enabled?: boolean | null;
          /** @description Spoken messages for this assistant, merged key by key over the tool's. */
          messages?: unknown;
        };
      };
    };
    responses: {
      /** @description Success. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description Off: calls from this assistant are refused with ASSIGNMENT_DISABLED. */
            enabled: boolean | null;
            /** @description Position in the list the model sees, from 0. */
            executionOrder: number | null;
            /** @description Deep-merged over the tool's configuration when this assistant runs it. */
            customConfiguration: unknown;
            /** @description Spoken messages for this assistant, merged key by key over the tool's. */
            messages: unknown;
            /**
             * Format: date-time
             * @description When the tool was assigned.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When the assignment last changed.
             */
            updatedAt: string | null;
            /** @description The assistant. */
            assistant: {
              /** @description A UUID; also the id in the Vapi, Retell, ElevenLabs and MCP URLs. */
              id: string | null;
              /** @description The display name. */
              name: string | null;
            } | null;
            /** @description The tool. */
            tool: {
              /** @description A UUID. */
              id: string | null;
              /** @description The function name the LLM calls; unique in the organization. */
              name: string | null;
              /** @description A human-readable name for the dashboard. */
              displayName: string | null;
              /**
               * @description ENDPOINT, CODE or LAMBDA.
               * @enum {string|null}
               */
              type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
              /** @description Off: every call is refused with TOOL_INACTIVE. */
              isActive: boolean | null;
            } | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  configureAssistantTool: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        assistant_id: string;
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /** @description Remove the configuration override. */
          clearCustomConfiguration?: boolean | null;
          /** @description Replaces the override; use clearCustomConfiguration to remove it. */
          customConfiguration?: unknown;
          /** @description Turn the tool on or off for this assistant. */
          enabled?: boolean | null;
          /** @description Replaces the spoken messages; null clears them. */
          messages?: unknown;
        };
      };
    };
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description Off: calls from this assistant are refused with ASSIGNMENT_DISABLED. */
            enabled: boolean | null;
            /** @description Position in the list the model sees, from 0. */
            executionOrder: number | null;
            /** @description Deep-merged over the tool's configuration when this assistant runs it. */
            customConfiguration: unknown;
            /** @description Spoken messages for this assistant, merged key by key over the tool's. */
            messages: unknown;
            /**
             * Format: date-time
             * @description When the tool was assigned.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When the assignment last changed.
             */
            updatedAt: string | null;
            /** @description The assistant. */
            assistant: {
              /** @description A UUID; also the id in the Vapi, Retell, ElevenLabs and MCP URLs. */
              id: string | null;
              /** @description The display name. */
              name: string | null;
            } | null;
            /** @description The tool. */
            tool: {
              /** @description A UUID. */
              id: string | null;
              /** @description The function name the LLM calls; unique in the organization. */
              name: string | null;
              /** @description A human-readable name for the dashboard. */
              displayName: string | null;
              /**
               * @description ENDPOINT, CODE or LAMBDA.
               * @enum {string|null}
               */
              type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
              /** @description Off: every call is refused with TOOL_INACTIVE. */
              isActive: boolean | null;
            } | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  unassignAssistantTool: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        assistant_id: string;
        tool_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description The removed assignment. */
            assignmentId: string | null;
            /** @description The assistant. */
            assistantId: string | null;
            /** @description The tool, which still exists. */
            toolId: string | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  createAssistantToolFromTemplate: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        assistant_id: string;
        template_id: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /** @description The new tool's name; defaults to the template's. */
          name?: string | null;
        };
      };
    };
    responses: {
      /** @description Success. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description A UUID. */
            id: string | null;
            /** @description Off: calls from this assistant are refused with ASSIGNMENT_DISABLED. */
            enabled: boolean | null;
            /** @description Position in the list the model sees, from 0. */
            executionOrder: number | null;
            /** @description Deep-merged over the tool's configuration when this assistant runs it. */
            customConfiguration: unknown;
            /** @description Spoken messages for this assistant, merged key by key over the tool's. */
            messages: unknown;
            /**
             * Format: date-time
             * @description When the tool was assigned.
             */
            createdAt: string | null;
            /**
             * Format: date-time
             * @description When the assignment last changed.
             */
            updatedAt: string | null;
            /** @description The assistant. */
            assistant: {
              /** @description A UUID; also the id in the Vapi, Retell, ElevenLabs and MCP URLs. */
              id: string | null;
              /** @description The display name. */
              name: string | null;
            } | null;
            /** @description The tool. */
            tool: {
              /** @description A UUID. */
              id: string | null;
              /** @description The function name the LLM calls; unique in the organization. */
              name: string | null;
              /** @description A human-readable name for the dashboard. */
              displayName: string | null;
              /**
               * @description ENDPOINT, CODE or LAMBDA.
               * @enum {string|null}
               */
              type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
              /** @description Off: every call is refused with TOOL_INACTIVE. */
              isActive: boolean | null;
            } | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  listAssistantToolExecutions: {
    parameters: {
      query?: {
        /** @description Page size (GraphQL connection limits apply). */
        first?: number;
        /** @description The previous page's pageInfo.endCursor. */
        after?: string;
      };
      header?: never;
      path: {
        assistant_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              /** @description The execution id (UUID). */
              id: string | null;
              /**
               * @description Where the execution stands now.
               * @enum {string|null}
               */
              status:
                | 'CANCELLED'
                | 'ERROR'
                | 'PENDING_APPROVAL'
                | 'QUEUED'
                | 'RATE_LIMITED'
                | 'REJECTED'
                | 'RUNNING'
                | 'SUCCESS'
                | 'TIMEOUT'
                | null;
              /** @description The tool's name when it ran (kept when the tool is renamed or deleted). */
              toolName: string | null;
              /** @description The tool version that ran (see Tool.versions); built-ins have a fixed version of their own. */
              toolVersion: number | null;
              /** @description The voice platform's id for this tool call (Vapi / OpenAI tool_call_id); null when none was sent. */
              toolCallId: string | null;
              /** @description What triggered the run: call, sms, webhook or test (testTool). */
              triggerContext: string | null;
              /** @description The parameters the tool was called with, as received (after validation against its schema). */
              inputParameters: unknown;
              /** @description { success, message, data } */
              outputResult: unknown;
              /** @description Why it failed, for programs (e.g. SSRF_BLOCKED, TIMEOUT, SECRET_NOT_GRANTED; see docs/troubleshooting.md); null on success. */
              errorCode: string | null;
              /** @description What went wrong, for people (secrets redacted); null when the execution succeeded. */
              errorMessage: string | null;
              /** @description Milliseconds from startedAt to completedAt, retries included; null until the execution finishes. */
              durationMs: number | null;
              /** @description Attempts made after the first (0 when the first attempt settled it); bounded by Tool.retryAttempts. */
              retryCount: number | null;
              /**
               * Format: date-time
               * @description For async executions: when a worker took it.
               */
              startedAt: string | null;
              /**
               * Format: date-time
               * @description When the execution reached a final status; null while it is QUEUED, PENDING_APPROVAL or RUNNING.
               */
              completedAt: string | null;
              /** @description Null for built-ins and deleted tools. */
              tool: {
                /** @description A UUID. */
                id: string | null;
                /** @description The function name the LLM calls; unique in the organization. */
                name: string | null;
              } | null;
              /** @description The assistant that called the tool; null for testTool runs and deleted assistants. */
              assistant: {
                /** @description A UUID; also the id in the Vapi, Retell, ElevenLabs and MCP URLs. */
                id: string | null;
                /** @description The display name. */
                name: string | null;
              } | null;
              /** @description The phone call the execution belonged to; null outside a call or when the call is unknown. */
              call: {
                /** @description A UUID. */
                id: string | null;
              } | null;
            }[];
            pageInfo: {
              hasNextPage: boolean;
              endCursor: string | null;
            };
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  listCallToolExecutions: {
    parameters: {
      query?: {
        /** @description Page size (GraphQL connection limits apply). */
        first?: number;
        /** @description The previous page's pageInfo.endCursor. */
        after?: string;
      };
      header?: never;
      path: {
        call_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              /** @description The execution id (UUID). */
              id: string | null;
              /**
               * @description Where the execution stands now.
               * @enum {string|null}
               */
              status:
                | 'CANCELLED'
                | 'ERROR'
                | 'PENDING_APPROVAL'
                | 'QUEUED'
                | 'RATE_LIMITED'
                | 'REJECTED'
                | 'RUNNING'
                | 'SUCCESS'
                | 'TIMEOUT'
                | null;
              /** @description The tool's name when it ran (kept when the tool is renamed or deleted). */
              toolName: string | null;
              /** @description The tool version that ran (see Tool.versions); built-ins have a fixed version of their own. */
              toolVersion: number | null;
              /** @description The voice platform's id for this tool call (Vapi / OpenAI tool_call_id); null when none was sent. */
              toolCallId: string | null;
              /** @description What triggered the run: call, sms, webhook or test (testTool). */
              triggerContext: string | null;
              /** @description The parameters the tool was called with, as received (after validation against its schema). */
              inputParameters: unknown;
              /** @description { success, message, data } */
              outputResult: unknown;
              /** @description Why it failed, for programs (e.g. SSRF_BLOCKED, TIMEOUT, SECRET_NOT_GRANTED; see docs/troubleshooting.md); null on success. */
              errorCode: string | null;
              /** @description What went wrong, for people (secrets redacted); null when the execution succeeded. */
              errorMessage: string | null;
              /** @description Milliseconds from startedAt to completedAt, retries included; null until the execution finishes. */
              durationMs: number | null;
              /** @description Attempts made after the first (0 when the first attempt settled it); bounded by Tool.retryAttempts. */
              retryCount: number | null;
              /**
               * Format: date-time
               * @description For async executions: when a worker took it.
               */
              startedAt: string | null;
              /**
               * Format: date-time
               * @description When the execution reached a final status; null while it is QUEUED, PENDING_APPROVAL or RUNNING.
               */
              completedAt: string | null;
              /** @description Null for built-ins and deleted tools. */
              tool: {
                /** @description A UUID. */
                id: string | null;
                /** @description The function name the LLM calls; unique in the organization. */
                name: string | null;
              } | null;
              /** @description The assistant that called the tool; null for testTool runs and deleted assistants. */
              assistant: {
                /** @description A UUID; also the id in the Vapi, Retell, ElevenLabs and MCP URLs. */
                id: string | null;
                /** @description The display name. */
                name: string | null;
              } | null;
              /** @description The phone call the execution belonged to; null outside a call or when the call is unknown. */
              call: {
                /** @description A UUID. */
                id: string | null;
              } | null;
            }[];
            pageInfo: {
              hasNextPage: boolean;
              endCursor: string | null;
            };
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  listPublicTools: {
    parameters: {
      query?: {
        /** @description At most 100 (default 50). */
        first?: number;
        /** @description Matches name, display name or description. */
        search?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description The published tool; pass it to installPublicTool. */
            id: string | null;
            /** @description Its function name. */
            name: string | null;
            /** @description A human-readable name. */
            displayName: string | null;
            /** @description What it does, as the model reads it. */
            description: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description The published version. */
            version: number | null;
            /** @description Holds secret names only, never values. */
            configuration: unknown;
            /** @description The function definition the model sees. */
            functionDefinition: unknown;
            /** @description Spoken messages, if any. */
            messages: unknown;
            /** @description Secret names to set before the installed copy works. */
            requiredSecrets: string[] | null;
            /** @description How many times it was installed. */
            installCount: number | null;
            /** @description The publishing organization's name. */
            authorOrganization: string | null;
            /**
             * Format: date-time
             * @description When the published tool last changed.
             */
            updatedAt: string | null;
          }[];
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  listToolTemplatesUnderTools: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description `builtin:<slug>` or the organization tool id. */
            id: string | null;
            /** @description The function name the tool gets. */
            name: string | null;
            /** @description A human-readable name. */
            displayName: string | null;
            /** @description What the tool does, as the model reads it. */
            description: string | null;
            /** @description A grouping for the catalog, e.g. scheduling. */
            category: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description The configuration the new tool starts with. */
            configuration: unknown;
            /** @description The function definition (name, description, parameters) the model sees. */
            functionDefinition: unknown;
            /** @description Spoken messages (requestStart …), if any. */
            messages: unknown;
            /** @description Secret names to set before the tool works. */
            requiredSecrets: string[] | null;
            /**
             * @description Built-in or the organization's.
             * @enum {string|null}
             */
            source: 'BUILTIN' | 'ORGANIZATION' | null;
          }[];
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  listToolTemplates: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description `builtin:<slug>` or the organization tool id. */
            id: string | null;
            /** @description The function name the tool gets. */
            name: string | null;
            /** @description A human-readable name. */
            displayName: string | null;
            /** @description What the tool does, as the model reads it. */
            description: string | null;
            /** @description A grouping for the catalog, e.g. scheduling. */
            category: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description The configuration the new tool starts with. */
            configuration: unknown;
            /** @description The function definition (name, description, parameters) the model sees. */
            functionDefinition: unknown;
            /** @description Spoken messages (requestStart …), if any. */
            messages: unknown;
            /** @description Secret names to set before the tool works. */
            requiredSecrets: string[] | null;
            /**
             * @description Built-in or the organization's.
             * @enum {string|null}
             */
            source: 'BUILTIN' | 'ORGANIZATION' | null;
          }[];
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
  getToolTemplate: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        template_id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Success. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description `builtin:<slug>` or the organization tool id. */
            id: string | null;
            /** @description The function name the tool gets. */
            name: string | null;
            /** @description A human-readable name. */
            displayName: string | null;
            /** @description What the tool does, as the model reads it. */
            description: string | null;
            /** @description A grouping for the catalog, e.g. scheduling. */
            category: string | null;
            /**
             * @description ENDPOINT, CODE or LAMBDA.
             * @enum {string|null}
             */
            type: 'CODE' | 'ENDPOINT' | 'LAMBDA' | null;
            /** @description The configuration the new tool starts with. */
            configuration: unknown;
            /** @description The function definition (name, description, parameters) the model sees. */
            functionDefinition: unknown;
            /** @description Spoken messages (requestStart …), if any. */
            messages: unknown;
            /** @description Secret names to set before the tool works. */
            requiredSecrets: string[] | null;
            /**
             * @description Built-in or the organization's.
             * @enum {string|null}
             */
            source: 'BUILTIN' | 'ORGANIZATION' | null;
          };
        };
      };
      400: components['responses']['Problem400'];
      401: components['responses']['Problem401'];
      403: components['responses']['Problem403'];
      404: components['responses']['Problem404'];
      409: components['responses']['Problem409'];
      413: components['responses']['Problem413'];
      429: components['responses']['Problem429'];
    };
  };
}

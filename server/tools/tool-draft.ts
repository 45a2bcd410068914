/**
 * Testing a tool as edited, before it is saved: the draft is checked exactly
 * as a save would check it (validation, feature flags, governance) and handed
 * to the engine to run in place of the stored tool. Nothing is written to the
 * tool and no version is made; the execution records the stored version number.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Actor } from '../actor.ts';
import { ValidationError } from '../errors.ts';
import { executionMode } from '../executions/tool-settings.ts';
import type { ToolDraft } from '../executions/execution-request.ts';
import { assertToolTypeEnabled } from '../organizations/feature-flags.ts';
import { assertMayChangeTool } from './governance.ts';
import {
  findTool,
  mergedState,
  stateOf,
  validateState,
  VERSIONED_FIELDS,
  type ToolDeps,
  type ToolState,
  type UpdateToolInput,
} from './tool-service.ts';

/** The versioned fields a draft may carry (activation, publication and messages are not part of a test). */
export type DraftInput = Pick<
  UpdateToolInput,
  | 'name'
  | 'displayName'
  | 'description'
  | 'type'
  | 'configuration'
  | 'functionDefinition'
  | 'requireConfirmation'
  | 'allowedContexts'
  | 'timeoutSeconds'
  | 'retryAttempts'
>;

/** Order aside: a builder rebuilds the configuration and contexts in its own order, and jsonb keeps none. */
function sameVersionedState(before: ToolState, after: ToolState): boolean {
  const normal = (state: ToolState, field: (typeof VERSIONED_FIELDS)[number]) =>
    field === 'allowedContexts' ? [...state.allowedContexts].sort() : state[field];
  return VERSIONED_FIELDS.every((field) => isDeepStrictEqual(normal(before, field), normal(after, field)));
}

/**
 * The draft to run, or null when it changes nothing versioned (the stored tool
 * runs). A draft that waits for approval or runs asynchronously is refused:
 * those runs are resumed later from the stored tool, which would not be what
 * was tested.
 */
export async function prepareDraft(
  deps: ToolDeps,
  actor: Actor,
  toolId: string,
  input: DraftInput,
): Promise<ToolDraft | null> {
  const current = await findTool(deps.prisma, actor, toolId);
  const base = stateOf(current);
  // Issues name the same fields a save would, so the builder shows them where they are.
  const next = await validateState(deps, mergedState(actor, base, input), actor.organizationId);
  if (sameVersionedState(base, next)) return null;
  assertMayChangeTool(actor, base, next);
  if (next.type !== base.type) await assertToolTypeEnabled(deps.prisma, actor.organizationId, next.type);
  if (next.requireConfirmation || executionMode(next.configuration) === 'async') {
    throw new ValidationError([
      {
        field: 'draft',
        message:
          'a tool that waits for approval or runs asynchronously is tested as saved: save the draft, then test it',
      },
    ]);
  }
  return {
    name: next.name,
    type: next.type,
    configuration: next.configuration,
    functionDefinition: next.functionDefinition,
    requireConfirmation: next.requireConfirmation,
    allowedContexts: next.allowedContexts,
    timeoutSeconds: next.timeoutSeconds,
    retryAttempts: next.retryAttempts,
  };
}

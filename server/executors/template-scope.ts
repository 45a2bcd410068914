import type { TemplateScope } from './template.ts';
import type { JsonObject, PreviewInput, ReportingLinks } from './types.ts';

type ScopeInput = PreviewInput & { links?: ReportingLinks };

/**
 * What `${context.*}` offers every templated executor (endpoint URLs/headers/bodies, Lambda payloads).
 * `progress_url` / `progress_token` are null in previews: an approver never sees a live token.
 */
export function templateContext(input: ScopeInput): JsonObject {
  const { context, tool } = input;
  return {
    execution_id: context.executionId,
    organization_id: context.organizationId,
    assistant_id: context.assistantId,
    call_sid: context.callSid,
    phone_number: context.phoneNumber,
    from: context.from,
    to: context.to,
    user_id: context.userId,
    trigger_context: context.triggerContext,
    tool_call_id: context.toolCallId,
    tool_id: tool.id,
    tool_name: tool.name,
    attempt: input.attempt,
    progress_url: input.links?.progressUrl ?? null,
    progress_token: input.links?.progressToken ?? null,
  };
}

export function templateScope(input: ScopeInput, secrets: Record<string, string>): TemplateScope {
  return {
    call_sid: input.context.callSid,
    phone_number: input.context.phoneNumber,
    parameters: input.parameters,
    context: templateContext(input),
    secrets,
  };
}

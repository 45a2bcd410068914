import type { TemplateScope } from './template.ts';
import type { JsonObject, PreviewInput } from './types.ts';

/** What `${context.*}` offers every templated executor (endpoint URLs/headers/bodies, Lambda payloads). */
export function templateContext(input: PreviewInput): JsonObject {
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
  };
}

export function templateScope(input: PreviewInput, secrets: Record<string, string>): TemplateScope {
  return {
    call_sid: input.context.callSid,
    phone_number: input.context.phoneNumber,
    parameters: input.parameters,
    context: templateContext(input),
    secrets,
  };
}

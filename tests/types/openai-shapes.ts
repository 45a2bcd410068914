/**
 * Switchboard's OpenAI shapes checked against the `openai` package's own types
 * (compiled by tests/unit/openai-shapes.test.ts): what Switchboard answers must
 * be accepted where OpenAI's request types expect it, and the fixtures the
 * integration tests send are typed as OpenAI returns them.
 */
import type {
  ChatCompletionFunctionTool,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionToolMessageParam,
} from 'openai/resources/chat/completions';
import type { FunctionTool, ResponseFunctionToolCall, ResponseInputItem } from 'openai/resources/responses/responses';
import type {
  OpenAIFunctionCallOutput,
  OpenAIResponsesTool,
  OpenAIToolMessage,
} from '../../server/integrations/openai.ts';
import type { OpenAIFunction } from '../../server/integrations/tool-definitions.ts';

export const asChatToolMessage = (message: OpenAIToolMessage): ChatCompletionToolMessageParam => message;
export const asResponsesInputItem = (item: OpenAIFunctionCallOutput): ResponseInputItem => item;
export const asResponsesTool = (tool: OpenAIResponsesTool): FunctionTool => tool;
export const asChatTool = (fn: OpenAIFunction): ChatCompletionFunctionTool => ({ type: 'function', function: fn });

export const chatToolCall = (id: string, orderId: string): ChatCompletionMessageFunctionToolCall => ({
  id,
  type: 'function',
  function: { name: 'lookup_order', arguments: JSON.stringify({ order_id: orderId }) },
});

export const responsesFunctionCall = (callId: string, name: string, args: object): ResponseFunctionToolCall => ({
  type: 'function_call',
  id: `fc_${callId}`,
  call_id: callId,
  name,
  arguments: JSON.stringify(args),
  status: 'completed',
});

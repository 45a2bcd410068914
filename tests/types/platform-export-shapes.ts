/**
 * Switchboard's platform exports checked against each platform's own SDK types
 * (compiled by tests/unit/platform-export-shapes.test.ts): what an export holds
 * must be accepted where the SDK's create-tool request types expect it.
 * ElevenLabs is checked in its wire format (the SDK's serialization `Raw` types),
 * which is what the export renders and ElevenLabs' HTTP API takes.
 */
import type { Vapi } from '@vapi-ai/server-sdk';
import type { LlmCreateParams } from 'retell-sdk/resources/llm';
import type {
  ToolRequestModelToolConfig,
  WebhookToolConfigInput,
} from '@elevenlabs/elevenlabs-js/serialization/index.js';
import type {
  VapiEndCallTool,
  VapiFunctionTool,
  VapiTool,
  VapiToolMessage,
  VapiTransferCallTool,
} from '../../server/integrations/exports/vapi-export.ts';
import type {
  RetellCustomTool,
  RetellEndCallTool,
  RetellTool,
  RetellTransferCallTool,
} from '../../server/integrations/exports/retell-export.ts';
import type {
  ElevenLabsSystemTool,
  ElevenLabsTool,
  ElevenLabsWebhookTool,
} from '../../server/integrations/exports/elevenlabs-export.ts';

type RetellGeneralTool = NonNullable<LlmCreateParams['general_tools']>[number];

export const asVapiCreateRequest = (tool: VapiTool): Vapi.CreateToolsRequest => tool;
export const asVapiFunction = (tool: VapiFunctionTool): Vapi.CreateToolsRequest.Function => tool;
export const asVapiEndCall = (tool: VapiEndCallTool): Vapi.CreateToolsRequest.EndCall => tool;
export const asVapiTransferCall = (tool: VapiTransferCallTool): Vapi.CreateToolsRequest.TransferCall => tool;
export const asVapiMessage = (message: VapiToolMessage): Vapi.CreateFunctionToolDtoMessagesItem => message;

export const asRetellGeneralTool = (tool: RetellTool): RetellGeneralTool => tool;
export const asRetellCustom = (tool: RetellCustomTool): LlmCreateParams.CustomTool => tool;
export const asRetellEndCall = (tool: RetellEndCallTool): LlmCreateParams.EndCallTool => tool;
export const asRetellTransferCall = (tool: RetellTransferCallTool): LlmCreateParams.TransferCallTool => tool;

export const asElevenLabsToolConfig = (tool: ElevenLabsTool): ToolRequestModelToolConfig.Raw => tool;
export const asElevenLabsWebhook = (tool: ElevenLabsWebhookTool): ToolRequestModelToolConfig.Webhook => tool;
export const asElevenLabsSystem = (tool: ElevenLabsSystemTool): ToolRequestModelToolConfig.System => tool;
export const webhookTimeout = (tool: ElevenLabsWebhookTool): WebhookToolConfigInput.Raw['response_timeout_secs'] =>
  tool.response_timeout_secs;

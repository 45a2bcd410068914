/** Tool shapes shared by the library, builder, detail and assistant screens. */
export type ToolType = 'ENDPOINT' | 'CODE' | 'LAMBDA';
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const TOOL_TYPES: Array<{ type: ToolType; label: string; hint: string }> = [
  { type: 'ENDPOINT', label: 'API endpoint', hint: 'Call an HTTP API with templated URL, headers and body.' },
  { type: 'CODE', label: 'Code', hint: 'Run JavaScript or Python in a sandbox.' },
  { type: 'LAMBDA', label: 'AWS Lambda', hint: 'Invoke an AWS Lambda function.' },
];

export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
export const CONTEXTS = ['call', 'sms', 'webhook', 'test'] as const;

export interface ToolSummary {
  id: string;
  name: string;
  displayName: string | null;
  description: string | null;
  type: ToolType;
  isActive: boolean;
  isPublic: boolean;
  isTemplate: boolean;
  executionCount: number | null;
  successRate: number | null;
  assistantCount: number | null;
  lastExecutedAt: string | null;
  updatedAt: string | null;
  version: number;
  errorCount: number | null;
  archivedAt: string | null;
}

export const TOOL_SUMMARY_FIELDS = `
  id name displayName description type isActive isPublic isTemplate
  executionCount successRate assistantCount lastExecutedAt updatedAt version errorCount archivedAt
`;

export interface ToolDefinition extends ToolSummary {
  configuration: JsonObject | null;
  functionDefinition: JsonObject | null;
  allowedContexts: string[] | null;
  requireConfirmation: boolean;
  retryAttempts: number;
  timeoutSeconds: number;
}

export const TOOL_DEFINITION_FIELDS = `
  ${TOOL_SUMMARY_FIELDS}
  configuration functionDefinition allowedContexts requireConfirmation retryAttempts timeoutSeconds
`;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function relativeTime(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${Math.round(rate * 1000) / 10}%`;
}

export function pretty(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2);
}

/** A save-time validation issue placed in the code editor. */
export interface CodeIssue {
  message: string;
  line: number | null;
  column: number | null;
}

/** Limits on everything users control about a tool. */
export const TOOL_LIMITS = {
  nameMaxLength: 64,
  displayNameMaxLength: 200,
  descriptionMaxLength: 4_000,
  configurationMaxBytes: 256 * 1024,
  codeMaxBytes: 256 * 1024,
  functionDefinitionMaxBytes: 64 * 1024,
  customConfigurationMaxBytes: 64 * 1024,
  timeoutSeconds: { min: 1, max: 300 },
  retryAttempts: { min: 0, max: 5 },
  toolsPerOrganization: 1_000,
  assignmentsPerAssistant: 128,
} as const;

export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const TRIGGER_CONTEXTS = ['call', 'sms', 'webhook', 'test'] as const;
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const SECRET_VALUE_MAX_BYTES = 64 * 1024;

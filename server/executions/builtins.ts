/**
 * The built-in `endCall` and `transferCall` tools. They are not stored per
 * organization: their configuration is the assistant's legacy `toolsSettings`
 * section, and their result tells the voice runtime what to do next.
 */
import type { ExecutableTool, Executor, ExecutorOutcome, JsonObject, JsonValue } from '../executors/types.ts';

export const BUILTIN_VERSION = 1;
export type BuiltinName = 'endCall' | 'transferCall';

const SETTINGS_KEY: Record<BuiltinName, 'end_call' | 'transfer_call'> = {
  endCall: 'end_call',
  transferCall: 'transfer_call',
};

const DEFAULT_MESSAGES: Record<BuiltinName, string> = {
  endCall: 'Thank you for calling. Goodbye.',
  transferCall: 'Please hold while I transfer your call.',
};

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Accepts the camelCase names and the legacy snake_case ones. */
export function builtinName(toolName: string): BuiltinName | null {
  if (toolName === 'endCall' || toolName === 'end_call') return 'endCall';
  if (toolName === 'transferCall' || toolName === 'transfer_call') return 'transferCall';
  return null;
}

function section(settings: JsonValue, name: BuiltinName): JsonObject {
  if (!isObject(settings)) return {};
  const value = settings[SETTINGS_KEY[name]];
  return isObject(value) ? value : {};
}

/** Enabled by its own section's `enabled`, or (older assistants) by being listed in `enabled_tools`. */
export function builtinEnabled(settings: JsonValue, name: BuiltinName): boolean {
  const own = section(settings, name).enabled;
  if (typeof own === 'boolean') return own;
  const listed = isObject(settings) && Array.isArray(settings.enabled_tools) ? settings.enabled_tools : [];
  return listed.includes(name) || listed.includes(SETTINGS_KEY[name]);
}

export interface TransferNumber {
  name: string;
  number: string;
  description: string;
}

export function transferNumbers(configuration: JsonObject): TransferNumber[] {
  const list = Array.isArray(configuration.transfer_numbers) ? configuration.transfer_numbers : [];
  return list.flatMap((entry) => {
    if (!isObject(entry)) return [];
    const number = text(entry.number);
    return number ? [{ number, name: text(entry.name) ?? number, description: text(entry.description) ?? '' }] : [];
  });
}

/** The tool as the engine runs it: configuration = the settings section. */
export function builtinTool(name: BuiltinName, settings: JsonValue): ExecutableTool {
  return {
    id: `builtin:${name}`,
    name,
    type: 'BUILTIN',
    version: BUILTIN_VERSION,
    configuration: section(settings, name),
  };
}

/** OpenAI function definitions, with the assistant's scenarios and destinations spelled out for the LLM. */
export function builtinFunctionDefinition(name: BuiltinName, settings: JsonValue): JsonObject {
  const configuration = section(settings, name);
  if (name === 'endCall') {
    const scenarios = Array.isArray(configuration.scenarios)
      ? configuration.scenarios.filter((s) => typeof s === 'string')
      : [];
    return {
      name,
      description: 'End the phone call.' + (scenarios.length ? ` Use it when: ${scenarios.join('; ')}.` : ''),
      parameters: {
        type: 'object',
        properties: {
          reason: { type: 'string', description: 'Why the call is ending.' },
          scenario: { type: 'string', description: 'Which configured scenario applies.' },
        },
        additionalProperties: false,
      },
    };
  }
  const numbers = transferNumbers(configuration);
  return {
    name,
    description:
      'Transfer the caller to a person or department.' +
      (numbers.length
        ? ` Destinations: ${numbers.map((n) => `${n.name}${n.description ? ` (${n.description})` : ''}`).join('; ')}.`
        : ''),
    parameters: {
      type: 'object',
      properties: {
        destination: { type: 'string', description: 'Name or number of a configured destination.' },
        number: { type: 'string', description: 'Phone number of a configured destination.' },
        name: { type: 'string', description: 'Name of a configured destination.' },
        reason: { type: 'string' },
      },
      additionalProperties: false,
    },
  };
}

const digits = (value: string): string => value.replace(/[^\d]/g, '');

function findDestination(numbers: TransferNumber[], wanted: string | undefined): TransferNumber | undefined {
  if (wanted === undefined) return numbers.length === 1 ? numbers[0] : undefined;
  const lower = wanted.toLowerCase();
  const wantedDigits = digits(wanted);
  return numbers.find(
    (entry) => entry.name.toLowerCase() === lower || (wantedDigits !== '' && digits(entry.number) === wantedDigits),
  );
}

function endCall(configuration: JsonObject, parameters: JsonObject): ExecutorOutcome {
  const message = text(configuration.message) ?? DEFAULT_MESSAGES.endCall;
  const data: JsonObject = { action: 'end_call', message };
  const reason = text(parameters.reason);
  const scenario = text(parameters.scenario);
  if (reason) data.reason = reason;
  if (scenario) data.scenario = scenario;
  return { ok: true, result: { success: true, message, data } };
}

function transferCall(configuration: JsonObject, parameters: JsonObject): ExecutorOutcome {
  const numbers = transferNumbers(configuration);
  const wanted = text(parameters.destination) ?? text(parameters.number) ?? text(parameters.name);
  const destination = findDestination(numbers, wanted);
  if (!destination) {
    const allowed = numbers.map((entry) => `${entry.name} (${entry.number})`).join(', ');
    const message = numbers.length
      ? `${wanted === undefined ? 'No destination given' : `"${wanted}" is not a configured transfer destination`}; choose one of: ${allowed}`
      : 'No transfer destinations are configured for this assistant';
    return { ok: false, error: { code: 'INVALID_PARAMETERS', message, retryable: false } };
  }
  const message = text(configuration.message) ?? DEFAULT_MESSAGES.transferCall;
  const data: JsonObject = { action: 'transfer_call', number: destination.number, name: destination.name, message };
  const reason = text(parameters.reason);
  if (reason) data.reason = reason;
  return { ok: true, result: { success: true, message, data } };
}

/** One executor for both built-ins, dispatched by name. */
export function createBuiltinExecutor(): Executor {
  return {
    type: 'BUILTIN',
    async execute({ tool, parameters }) {
      if (tool.name === 'endCall') return endCall(tool.configuration, parameters);
      if (tool.name === 'transferCall') return transferCall(tool.configuration, parameters);
      return {
        ok: false,
        error: { code: 'INVALID_CONFIGURATION', message: `Unknown built-in ${tool.name}`, retryable: false },
      };
    },
    validateConfiguration: () => [],
  };
}

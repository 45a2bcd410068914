/**
 * What a voice runtime says while a tool runs. Stored on tools and on
 * assignments (the assignment's keys win), returned with the definitions:
 * `{ requestStart, requestDelayed: { message, afterMs }, requestComplete, requestFailed }`.
 * `afterMs: "auto"` is resolved from the tool's observed latency when definitions are served (filler-timing.ts).
 */
import { ValidationError, type FieldIssue } from '../errors.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { isJsonObject } from './function-definition.ts';

export const AUTO_DELAY = 'auto';

export type ToolMessages = {
  requestStart?: string;
  requestDelayed?: { message: string; afterMs: number | typeof AUTO_DELAY };
  requestComplete?: string;
  requestFailed?: string;
};

/** What voice platforms receive: `auto` resolved to a delay, or the delayed message left out. */
export type ServedToolMessages = Omit<ToolMessages, 'requestDelayed'> & {
  requestDelayed?: { message: string; afterMs: number };
};

export const MESSAGE_MAX_LENGTH = 500;
/** Past this a caller has long hung up; Vapi's own default delay is a couple of seconds. */
export const DELAY_MAX_MS = 120_000;
const TEXT_KEYS = ['requestStart', 'requestComplete', 'requestFailed'] as const;
const KEYS = new Set<string>([...TEXT_KEYS, 'requestDelayed']);

function text(value: JsonValue | undefined, field: string, issues: FieldIssue[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || value.length > MESSAGE_MAX_LENGTH) {
    issues.push({ field, message: `must be a non-empty string of at most ${MESSAGE_MAX_LENGTH} characters` });
    return undefined;
  }
  return value;
}

/** Validates and normalises; null/undefined means "no messages". Throws ValidationError naming `field.key`. */
export function checkToolMessages(value: JsonValue | null | undefined, field = 'messages'): ToolMessages | null {
  if (value === null || value === undefined) return null;
  if (!isJsonObject(value)) throw new ValidationError([{ field, message: 'must be an object' }]);
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(value)) {
    if (!KEYS.has(key))
      issues.push({ field: `${field}.${key}`, message: `unknown message; use ${[...KEYS].join(', ')}` });
  }
  const messages: ToolMessages = {};
  for (const key of TEXT_KEYS) {
    const item = text(value[key], `${field}.${key}`, issues);
    if (item !== undefined) messages[key] = item;
  }
  const delayed = value.requestDelayed;
  if (delayed !== undefined && delayed !== null) {
    if (!isJsonObject(delayed)) {
      issues.push({ field: `${field}.requestDelayed`, message: 'must be { message, afterMs }' });
    } else {
      const message = text(delayed.message, `${field}.requestDelayed.message`, issues);
      const afterMs = delayed.afterMs;
      const delay =
        afterMs === AUTO_DELAY ||
        (typeof afterMs === 'number' && Number.isInteger(afterMs) && afterMs >= 0 && afterMs <= DELAY_MAX_MS);
      if (!delay) {
        issues.push({
          field: `${field}.requestDelayed.afterMs`,
          message: `must be an integer from 0 to ${DELAY_MAX_MS}, or "${AUTO_DELAY}"`,
        });
      } else if (message !== undefined) {
        messages.requestDelayed = { message, afterMs };
      } else if (delayed.message === undefined) {
        issues.push({ field: `${field}.requestDelayed.message`, message: 'is required' });
      }
    }
  }
  if (issues.length) throw new ValidationError(issues);
  return Object.keys(messages).length ? messages : null;
}

/** Stored values are already checked; anything unreadable counts as absent. */
function stored(value: unknown): ToolMessages {
  try {
    return checkToolMessages(value as JsonValue) ?? {};
  } catch {
    return {};
  }
}

/** The assignment's messages override the tool's key by key. */
export function mergeToolMessages(tool: unknown, assignment: unknown): ToolMessages | null {
  const merged = { ...stored(tool), ...stored(assignment) };
  return Object.keys(merged).length ? merged : null;
}

export function messagesJson(messages: ToolMessages | null): JsonObject | null {
  return messages as JsonObject | null;
}

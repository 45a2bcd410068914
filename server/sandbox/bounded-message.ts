/**
 * The last step before a sandbox worker sends anything: whatever guest code
 * returned, threw or logged is cut to the protocol's bounds here, so the host's
 * strict parser (which replaces a process that breaks them) only ever meets a
 * worker that is itself compromised, never a tool that was merely hostile.
 *
 * Read by sandbox processes at runtime: depends on limits.ts only.
 */
import { MAX_ERROR_MESSAGE_CHARS, MAX_VALIDATION_ISSUES, clipText } from './limits.ts';
import type { SandboxToHost } from './protocol.ts';

interface Positioned {
  message: string;
  line?: number;
  column?: number;
}

function position(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;
}

function bounded<T extends Positioned>(issue: T): T {
  const { line, column, ...rest } = issue;
  const safeLine = position(line);
  const safeColumn = position(column);
  return {
    ...rest,
    message: clipText(String(issue.message), MAX_ERROR_MESSAGE_CHARS),
    ...(safeLine === undefined ? {} : { line: safeLine }),
    ...(safeColumn === undefined ? {} : { column: safeColumn }),
  } as T;
}

export function boundForHost(message: SandboxToHost): SandboxToHost {
  if (message.type === 'result' && !message.ok) return { ...message, error: bounded(message.error) };
  if (message.type === 'validated') {
    return { ...message, errors: message.errors.slice(0, MAX_VALIDATION_ISSUES).map(bounded) };
  }
  return message;
}

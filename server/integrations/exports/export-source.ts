/**
 * What every platform export is rendered from: the assistant's tool
 * definitions (tool-definitions.ts) with what each platform also needs to know
 * per tool (the engine's deadline, sync or async) and the built-ins' settings
 * (end-call message, transfer numbers), plus where the platform must send calls.
 */
import type { Prisma } from '../../db/database.ts';
import { uuidOrNil } from '../../db/json.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { builtinName, builtinTool, transferNumbers, type TransferNumber } from '../../executions/builtins.ts';
import { mergedConfiguration } from '../../executions/deep-merge.ts';
import { executionMode, isObject, type ExecutionMode } from '../../executions/tool-settings.ts';
import type { JsonValue } from '../../executors/types.ts';
import { DELAY_MAX_MS, type ToolMessages } from '../../tools/tool-messages.ts';
import { assistantToolDefinitions, type OpenAIFunction, type ToolDefinition } from '../tool-definitions.ts';

export interface ExportedTool {
  function: OpenAIFunction;
  messages: ToolMessages | null;
  /** The longest the engine may take to answer one call, retries included. */
  answerWithinSeconds: number;
  executionMode: ExecutionMode;
}

export interface ExportedBuiltins {
  endCall: { description: string; message: string | null } | null;
  transferCall: { description: string; message: string | null; numbers: TransferNumber[] } | null;
}

export interface ExportSource {
  assistantId: string;
  /** Scheme, host and optional path prefix under which this Switchboard is reachable, without a trailing slash. */
  baseUrl: string;
  /** Every definition as the LLM sees it, built-ins included (OpenAI and MCP take them as functions). */
  definitions: ToolDefinition[];
  /** The stored tools, for platforms that call Switchboard per tool. */
  tools: ExportedTool[];
  /** The enabled built-ins, for platforms that end and transfer calls themselves. */
  builtins: ExportedBuiltins;
}

/** One platform's rendering: ready-to-send tool objects plus what the integrator must set up around them. */
export interface PlatformExport<T> {
  platform: string;
  assistantId: string;
  /** Where the platform sends tool calls (for per-tool URLs, the common prefix). */
  endpoint: string;
  /** How the platform proves it speaks for the assistant; never the secret itself. */
  authentication: string;
  /** What the platform cannot express and how the export approximated it. */
  notes: string[];
  tools: T[];
}

/** Room for the engine's own work (lookup, recording) and the network around one attempt. */
export const ENGINE_MARGIN_SECONDS = 2;
/** What a voice platform waits before its "still working" line when a tool's delay is not a fixed number. */
export const DEFAULT_DELAYED_AFTER_MS = 2_000;
export const BASE_URL_MAX_LENGTH = 2_048;
/** The `tools.timeout_seconds` default, for a tool whose row went away between the reads. */
const DEFAULT_TIMEOUT_SECONDS = 30;

/** `requestDelayed.afterMs` when it is a usable number of milliseconds; otherwise (e.g. "auto") the default. */
export function delayedAfterMs(delayed: { afterMs: unknown }): number {
  const value = delayed.afterMs;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= DELAY_MAX_MS
    ? value
    : DEFAULT_DELAYED_AFTER_MS;
}

/** For platforms whose transfer tool needs a destination: an enabled transferCall without numbers is left out. */
export function unexportedTransferNote(source: ExportSource): string[] {
  return source.builtins.transferCall && !source.builtins.transferCall.numbers.length
    ? [
        'transferCall is enabled but has no transfer numbers (toolsSettings.transfer_call.transfer_numbers); it is left out.',
      ]
    : [];
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.ceil(value)));
}

/** An absolute http(s) URL without credentials, query or fragment; returned without its trailing slash. */
export function checkBaseUrl(value: string, field = 'baseUrl'): string {
  const invalid = (message: string) => new ValidationError([{ field, message }]);
  if (value.length > BASE_URL_MAX_LENGTH) throw invalid(`must be at most ${BASE_URL_MAX_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('must be an absolute URL such as https://switchboard.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('must be an http or https URL');
  if (url.username || url.password || url.search || url.hash)
    throw invalid('must not carry credentials, a query or a fragment');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** `<base>/<segment>/...`, each segment percent-encoded (tool names may hold characters a path cannot). */
export function endpointUrl(source: Pick<ExportSource, 'baseUrl'>, ...segments: string[]): string {
  return [source.baseUrl, ...segments.map(encodeURIComponent)].join('/');
}

function text(value: JsonValue | undefined): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** The voice tools of the assistant (trigger context `call`); another organization's assistant is a NotFoundError. */
export async function loadExportSource(
  prisma: Prisma,
  organizationId: string,
  assistantId: string,
  baseUrl: string,
): Promise<ExportSource> {
  const base = checkBaseUrl(baseUrl);
  const definitions = await assistantToolDefinitions(prisma, organizationId, assistantId, 'call');
  const assignmentIds = definitions.flatMap((definition) => (definition.assignmentId ? [definition.assignmentId] : []));
  const [assignments, assistant] = await Promise.all([
    prisma.assistantTool.findMany({
      where: { id: { in: assignmentIds }, tool: { organizationId } },
      select: {
        id: true,
        customConfiguration: true,
        tool: { select: { configuration: true, timeoutSeconds: true, retryAttempts: true } },
      },
    }),
    prisma.assistant.findFirst({
      where: { id: uuidOrNil(assistantId), organizationId },
      select: { toolsSettings: true },
    }),
  ]);
  // Deleted between the two reads: the same answer as for any assistant that does not exist.
  if (!assistant) throw new NotFoundError('Assistant');
  const byId = new Map(assignments.map((assignment) => [assignment.id, assignment]));
  const tools: ExportedTool[] = [];
  const builtins: ExportedBuiltins = { endCall: null, transferCall: null };
  const settings = assistant.toolsSettings as JsonValue;
  for (const definition of definitions) {
    const assignment = definition.assignmentId ? byId.get(definition.assignmentId) : undefined;
    const builtin = definition.source === 'BUILTIN' ? builtinName(definition.function.name) : null;
    if (builtin) {
      const configuration = builtinTool(builtin, settings).configuration;
      const entry = { description: definition.function.description, message: text(configuration.message) };
      if (builtin === 'endCall') builtins.endCall = entry;
      else builtins.transferCall = { ...entry, numbers: transferNumbers(configuration) };
      continue;
    }
    const stored = assignment?.tool.configuration as JsonValue | undefined;
    const configuration = mergedConfiguration(
      isObject(stored) ? stored : {},
      assignment?.customConfiguration as JsonValue | undefined,
    );
    const attempts = 1 + (assignment?.tool.retryAttempts ?? 0);
    tools.push({
      function: definition.function,
      messages: definition.messages,
      answerWithinSeconds:
        (assignment?.tool.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * attempts + ENGINE_MARGIN_SECONDS,
      executionMode: executionMode(configuration),
    });
  }
  return { assistantId, baseUrl: base, definitions, tools, builtins };
}

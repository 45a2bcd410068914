/**
 * Runs and validates user JavaScript inside a fresh isolated-vm isolate. Runs
 * in the sandbox process; the host never loads isolated-vm.
 *
 * Every execution gets its own isolate (nothing survives between jobs), a wall
 * clock deadline that disposes the isolate, and a `timeout` on every call into
 * it. Values cross the boundary only as strings and numbers.
 *
 * The isolate comes ready-made with the bootstrap (prepared-isolate.ts); a job
 * claims it, installs its secrets, and only compiles and runs the user's code.
 *
 * Calls into an isolate are synchronous only before any user code has run
 * (bootstrap, `begin`, compile, link): a synchronous call drains the isolate's
 * microtasks on this thread with no timeout, so once user code may have queued
 * some, every call is asynchronous and the wall-clock deadline can dispose it.
 */
import ivm from 'isolated-vm';
import type { JsonObject, JsonValue } from '../../executors/types.ts';
import {
  LOG_TRUNCATED_MARKER,
  MAX_CONCURRENT_FETCHES,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_FETCHES_PER_JOB,
  MAX_LOG_LINES,
  MAX_LOG_LINE_BYTES,
  MAX_PROGRESS_CHARS,
  MAX_PROGRESS_PER_JOB,
  MAX_RESULT_DEPTH,
  MAX_VALIDATION_ISSUES,
  clipText,
  isBoundedJson,
  truncateUtf8,
  utf8Length,
} from '../limits.ts';
import { parseBridgeRequest } from '../parse-message.ts';
import type { BridgeRequest, BridgeResponse, RunLimits, SandboxError, SandboxUsage } from '../protocol.ts';
import { DETACHED, claimIsolate, prepareSpare, retireIsolate } from './prepared-isolate.ts';
import type { PreparedIsolate } from './prepared-isolate.ts';

const FILENAME = 'file:///tool.js';
const ENTRY_ALIAS = '__switchboard_entry';
/** `export default` first, then a top-level `execute_tool` (exported or not), then `export function execute`. */
const ENTRY_NAMES = ['default', ENTRY_ALIAS, 'execute_tool', 'execute'];
const MIN_MEMORY_MB = 8;
const MIB = 1024 * 1024;
const NS_PER_MS = 1_000_000n;
const MAX_MEMORY_MB = 128;
const VALIDATION_MEMORY_MB = 32;
const ENTRY_HINT =
  'define `export default async function execute(parameters, context)` or `function execute_tool(parameters, context)`';

export interface RunRequest {
  code: string;
  parameters: JsonObject;
  context: JsonObject;
  secrets: Record<string, string>;
  limits: RunLimits;
}

export type RunOutcome =
  { ok: true; value: JsonValue; logs: string[] } | { ok: false; error: SandboxError; logs: string[] };

export interface ValidationIssue {
  message: string;
  line?: number;
  column?: number;
}

export interface RunHooks {
  /** Forwards a validated request to the host; resolves with its answer or rejects with a reason. */
  fetch(request: BridgeRequest): Promise<BridgeResponse>;
  /** Sends one bounded progress report to the host (fire-and-forget). */
  progress(message: string): void;
}

export interface RunningJob {
  result: Promise<RunOutcome>;
  /** What the job's isolate used; read once `result` has settled. */
  usage(): SandboxUsage;
  cancel(): void;
}

interface Position {
  line?: number;
  column?: number;
}

function position(text: string, pattern: RegExp): Position {
  const match = pattern.exec(text);
  if (!match) return {};
  return { line: Number(match[1]), column: Number(match[2]) };
}

const SOURCE_POSITION = /file:\/\/\/tool\.js:(\d+):(\d+)/;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function cleanCompileMessage(message: string): string {
  return message.replace(/\s*\[file:\/\/\/tool\.js:\d+:\d+\]\s*$/, '').slice(0, MAX_ERROR_MESSAGE_CHARS);
}

function locate(code: string, needle: string): Position {
  const index = code.indexOf(needle);
  if (index < 0) return {};
  const before = code.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

function clampMemory(memoryMb: number): number {
  if (!Number.isFinite(memoryMb)) return MAX_MEMORY_MB;
  return Math.min(MAX_MEMORY_MB, Math.max(MIN_MEMORY_MB, Math.floor(memoryMb)));
}

class ImportRefused extends Error {
  readonly specifier: string;
  constructor(specifier: string) {
    super(`imports are not available in JavaScript tools (import of "${specifier}")`);
    this.specifier = specifier;
  }
}

type Compiled = { ok: true; module: ivm.Module; declaresExecuteTool: boolean } | { ok: false; error: SandboxError };

/** Source that cannot declare `execute_tool` (no such name, no escaped identifier) skips the alias attempt. */
const MAY_DECLARE_EXECUTE_TOOL = /execute_tool|\\u/;

/**
 * Compiles the user's module (synchronously: compiling runs no user code). A
 * plain `function execute_tool` is reached by first trying the source with an
 * extra `export { execute_tool as … }` line; if that does not compile, the
 * original source decides (and reports the error).
 */
function compileUserModule(isolate: ivm.Isolate, code: string): Compiled {
  if (MAY_DECLARE_EXECUTE_TOOL.test(code)) {
    try {
      const module = isolate.compileModuleSync(`${code}\n;export { execute_tool as ${ENTRY_ALIAS} };`, {
        filename: FILENAME,
      });
      return { ok: true, module, declaresExecuteTool: true };
    } catch {
      // Fall through: the original source reports its own errors.
    }
  }
  try {
    const module = isolate.compileModuleSync(code, { filename: FILENAME });
    return { ok: true, module, declaresExecuteTool: false };
  } catch (error) {
    const message = errorMessage(error);
    return {
      ok: false,
      error: { code: 'FUNCTION_ERROR', message: cleanCompileMessage(message), ...position(message, SOURCE_POSITION) },
    };
  }
}

/** Links without running anything: every import is refused by our own resolver. */
function linkModule(module: ivm.Module, context: ivm.Context, code: string): SandboxError | null {
  try {
    module.instantiateSync(context, (specifier: string) => {
      throw new ImportRefused(specifier);
    });
    return null;
  } catch (error) {
    if (error instanceof ImportRefused) {
      return { code: 'IMPORT_NOT_ALLOWED', message: error.message, ...locate(code, error.specifier) };
    }
    return { code: 'FUNCTION_ERROR', message: cleanCompileMessage(errorMessage(error)) };
  }
}

class LogBuffer {
  readonly lines: string[] = [];
  private bytes = 0;
  private full = false;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Returns false once the buffer is full, so the guest stops calling. */
  add(text: unknown): boolean {
    if (this.full) return false;
    const line = truncateUtf8(
      typeof text === 'string' ? text : String(text),
      Math.min(MAX_LOG_LINE_BYTES, this.maxBytes),
    );
    const size = utf8Length(line);
    if (this.lines.length >= MAX_LOG_LINES || this.bytes + size > this.maxBytes) {
      this.full = true;
      this.lines.push(LOG_TRUNCATED_MARKER);
      return false;
    }
    this.bytes += size;
    this.lines.push(line);
    return true;
  }
}

function runtimeError(raw: string): SandboxError {
  let message = 'Uncaught exception';
  let stack = '';
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null) {
      const fields = parsed as { message?: unknown; stack?: unknown };
      if (typeof fields.message === 'string') message = fields.message;
      if (typeof fields.stack === 'string') stack = fields.stack;
    }
  } catch {
    // Keep the generic message.
  }
  return {
    code: 'FUNCTION_ERROR',
    message: message.slice(0, MAX_ERROR_MESSAGE_CHARS),
    ...position(stack, SOURCE_POSITION),
  };
}

function decodeRunResult(
  tagged: unknown,
  limits: RunLimits,
): { ok: true; value: JsonValue } | { ok: false; error: SandboxError } {
  if (typeof tagged !== 'string' || tagged.length === 0) {
    return { ok: false, error: { code: 'INVALID_RESULT', message: 'the sandbox produced no result' } };
  }
  const tag = tagged[0];
  const body = tagged.slice(1);
  if (tag === 'E') return { ok: false, error: runtimeError(body) };
  if (tag === 'C')
    return { ok: false, error: { code: 'INVALID_CONFIGURATION', message: `No entry function: ${ENTRY_HINT}` } };
  if (tag === 'I')
    return { ok: false, error: { code: 'INVALID_RESULT', message: body.slice(0, MAX_ERROR_MESSAGE_CHARS) } };
  if (utf8Length(body) > limits.maxResultBytes) {
    return {
      ok: false,
      error: { code: 'INVALID_RESULT', message: `the result is larger than ${limits.maxResultBytes} bytes` },
    };
  }
  const parsed = JSON.parse(body) as { value?: unknown };
  const value = 'value' in parsed ? parsed.value : null;
  if (!isBoundedJson(value, MAX_RESULT_DEPTH)) {
    return {
      ok: false,
      error: { code: 'INVALID_RESULT', message: `the result is nested deeper than ${MAX_RESULT_DEPTH} levels` },
    };
  }
  const json = JSON.stringify(value);
  if (utf8Length(json) > limits.maxResultBytes) {
    return {
      ok: false,
      error: { code: 'INVALID_RESULT', message: `the result is larger than ${limits.maxResultBytes} bytes` },
    };
  }
  return { ok: true, value: value as JsonValue };
}

/** Size of the first prepared isolate: the CODE executor's default `memory_limit_mb`. */
const FIRST_SPARE_MEMORY_MB = 64;
/** Most tools keep the default limit, so the next job most likely wants the last one's. */
let lastMemoryMb = FIRST_SPARE_MEMORY_MB;

/**
 * Prepares the isolate the next job will claim (sized like the last job's), so
 * that job only compiles and runs the user's code. Call it when idle.
 */
export function prepareNextIsolate(): void {
  prepareSpare(lastMemoryMb);
}

/** Starts one execution in a fresh isolate; `cancel()` disposes it. */
export function startRun(request: RunRequest, hooks: RunHooks): RunningJob {
  const { limits } = request;
  const startedAt = Date.now();
  const deadline = startedAt + limits.timeoutMs;
  let ended: 'timeout' | 'cancelled' | null = null;
  const memoryMb = clampMemory(limits.memoryMb);
  lastMemoryMb = memoryMb;
  const claimed = claimIsolate(memoryMb);
  let prepared: PreparedIsolate | null = null;
  const logs = new LogBuffer(limits.maxLogBytes);
  const remaining = (): number => Math.max(1, deadline - Date.now());
  // CPU since the job claimed its isolate (the bootstrap ran before); heap as total + external at the last sample.
  let cpuAtClaim = 0n;
  const usage: SandboxUsage = { cpuTimeMs: 0, peakMemoryBytes: 0 };
  const sampleUsage = (): void => {
    if (!prepared || prepared.isolate.isDisposed) return;
    try {
      const { isolate } = prepared;
      usage.cpuTimeMs = Number((isolate.cpuTime - cpuAtClaim) / NS_PER_MS);
      const heap = isolate.getHeapStatisticsSync();
      usage.peakMemoryBytes = Math.max(usage.peakMemoryBytes, heap.total_heap_size + heap.externally_allocated_size);
    } catch {
      // Disposed between the check and the read: keep the last sample.
    }
  };
  const dispose = (): void => {
    sampleUsage();
    if (prepared && !prepared.isolate.isDisposed) prepared.isolate.dispose();
  };
  const wallClock = setTimeout(() => {
    ended ??= 'timeout';
    dispose();
  }, limits.timeoutMs);

  let nextTicket = 0;
  let inFlight = 0;
  let finished = false;

  const deliverToGuest = (ticket: number, ok: boolean, payload: string): void => {
    if (finished || !prepared || prepared.isolate.isDisposed) return;
    // Guest continuations run inside this call; a failure here (timeout, disposal) ends the run elsewhere.
    prepared.deliver.apply(undefined, [ticket, ok, payload], { timeout: remaining() }).catch(() => undefined);
  };

  const submitFetch = (requestJson: unknown): number | string => {
    if (nextTicket >= MAX_FETCHES_PER_JOB) return `fetch: at most ${MAX_FETCHES_PER_JOB} requests per execution`;
    if (inFlight >= MAX_CONCURRENT_FETCHES) return `fetch: at most ${MAX_CONCURRENT_FETCHES} requests at a time`;
    let parsed: unknown;
    try {
      parsed = typeof requestJson === 'string' ? JSON.parse(requestJson) : null;
    } catch {
      parsed = null;
    }
    const bridged = parseBridgeRequest(parsed);
    if (!bridged) return 'fetch: invalid request (bad method, header, or oversized url/body)';
    nextTicket += 1;
    inFlight += 1;
    const ticket = nextTicket;
    hooks.fetch(bridged).then(
      (response) => {
        inFlight -= 1;
        deliverToGuest(ticket, true, JSON.stringify({ url: bridged.url, ...response }));
      },
      (reason: unknown) => {
        inFlight -= 1;
        deliverToGuest(ticket, false, errorMessage(reason).slice(0, MAX_ERROR_MESSAGE_CHARS));
      },
    );
    return ticket;
  };

  let progressSent = 0;
  const sendProgress = (text: unknown): void => {
    if (finished || typeof text !== 'string' || progressSent >= MAX_PROGRESS_PER_JOB) return;
    progressSent += 1;
    hooks.progress(clipText(text, MAX_PROGRESS_CHARS));
  };

  const execute = async (): Promise<RunOutcome> => {
    prepared = await claimed;
    if (ended) throw new Error('the execution ended before it started');
    const { isolate, context } = prepared;
    cpuAtClaim = isolate.cpuTime;
    prepared.link.hooks = { log: (text) => logs.add(text), submitFetch, progress: sendProgress };
    prepared.begin.applySync(undefined, [JSON.stringify(request.secrets), limits.maxResultBytes], {
      timeout: remaining(),
    });
    const compiled = compileUserModule(isolate, request.code);
    if (!compiled.ok) return { ok: false, error: compiled.error, logs: logs.lines };
    const linkError = linkModule(compiled.module, context, request.code);
    if (linkError) return { ok: false, error: linkError, logs: logs.lines };
    try {
      await compiled.module.evaluate({ timeout: remaining() });
    } catch (error) {
      if (ended || isolate.isDisposed) throw error;
      const message = errorMessage(error);
      if (message.includes('timed out')) throw error;
      const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : message;
      return {
        ok: false,
        error: {
          code: 'FUNCTION_ERROR',
          message: message.slice(0, MAX_ERROR_MESSAGE_CHARS),
          ...position(stack, SOURCE_POSITION),
        },
        logs: logs.lines,
      };
    }
    const tagged: unknown = await prepared.run.apply(
      undefined,
      [
        compiled.module.namespace.derefInto(),
        JSON.stringify(request.parameters),
        JSON.stringify(request.context),
        new ivm.ExternalCopy(ENTRY_NAMES).copyInto(),
      ],
      { result: { promise: true, copy: true }, timeout: remaining() },
    );
    const decoded = decodeRunResult(tagged, limits);
    return { ...decoded, logs: logs.lines };
  };

  const classify = (error: unknown): RunOutcome => {
    const message = errorMessage(error);
    if (ended === 'cancelled')
      return { ok: false, error: { code: 'TIMEOUT', message: 'the execution was cancelled' }, logs: logs.lines };
    if (message.includes('memory limit') || (prepared?.isolate.isDisposed === true && ended === null)) {
      // V8 disposed the isolate at its limit, so it cannot be read any more: it reached the limit.
      usage.peakMemoryBytes = Math.max(usage.peakMemoryBytes, memoryMb * MIB);
      return {
        ok: false,
        error: { code: 'MEMORY_LIMIT', message: 'the code exceeded its memory limit' },
        logs: logs.lines,
      };
    }
    if (ended === 'timeout' || message.includes('timed out') || Date.now() >= deadline) {
      return {
        ok: false,
        error: { code: 'TIMEOUT', message: `the code did not finish within ${limits.timeoutMs} ms` },
        logs: logs.lines,
      };
    }
    if (prepared?.link.catastrophic)
      return { ok: false, error: { code: 'MEMORY_LIMIT', message: 'the isolate failed' }, logs: logs.lines };
    return {
      ok: false,
      error: { code: 'FUNCTION_ERROR', message: message.slice(0, MAX_ERROR_MESSAGE_CHARS) },
      logs: logs.lines,
    };
  };

  const result = execute()
    .catch(classify)
    .finally(() => {
      finished = true;
      clearTimeout(wallClock);
      sampleUsage();
      if (prepared) {
        // Nothing the guest still has queued reaches this job or the host any more.
        prepared.link.hooks = DETACHED;
        retireIsolate(prepared.isolate);
      } else {
        // It ended (deadline, cancel) before its isolate was ready: that isolate never runs anything.
        claimed.then((unused) => retireIsolate(unused.isolate)).catch(() => undefined);
      }
    });
  return {
    result,
    usage: () => ({ ...usage }),
    cancel: () => {
      ended ??= 'cancelled';
      dispose();
    },
  };
}

/**
 * Whether the (already compiling) module exports `name`, found without linking or
 * running it: re-exporting the name again is a duplicate-export syntax error.
 */
async function hasExport(isolate: ivm.Isolate, code: string, name: string): Promise<boolean> {
  try {
    await isolate.compileModule(`${code}\n;export { __switchboard_probe as ${name} };`, { filename: FILENAME });
    return false;
  } catch (error) {
    return errorMessage(error).includes('Duplicate export');
  }
}

/** Compiles the module and checks that an entry function is declared, without running any user code. */
export async function validateCode(code: string): Promise<ValidationIssue[]> {
  const isolate = new ivm.Isolate({ memoryLimit: VALIDATION_MEMORY_MB });
  try {
    const context = await isolate.createContext();
    const compiled = compileUserModule(isolate, code);
    if (!compiled.ok) {
      const { message, line, column } = compiled.error;
      return [{ message, ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) }];
    }
    const linkError = linkModule(compiled.module, context, code);
    if (linkError) {
      const { message, line, column } = linkError;
      return [{ message, ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) }];
    }
    if (compiled.declaresExecuteTool) return [];
    const exported = await Promise.all(['default', 'execute'].map((name) => hasExport(isolate, code, name)));
    if (!exported.includes(true)) return [{ message: `No entry function: ${ENTRY_HINT}` }];
    return [];
  } catch (error) {
    return [{ message: cleanCompileMessage(errorMessage(error)) }].slice(0, MAX_VALIDATION_ISSUES);
  } finally {
    if (!isolate.isDisposed) isolate.dispose();
  }
}

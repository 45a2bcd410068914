/**
 * Entry of a Python sandbox process (started by the pool with the flags from
 * launch.ts). Loads Pyodide once, closes the routes from Python to JavaScript,
 * then runs one job at a time over IPC (protocol.ts).
 *
 * Python and this file exchange only strings: user code never receives a
 * JsProxy, and the `js` global namespace Pyodide sees is an empty null-prototype
 * object, so the only JavaScript Python can touch is Pyodide's own runtime.
 */
import fs from 'node:fs';
import type { PyodideAPI } from 'pyodide';
import type { PyCallable } from 'pyodide/ffi';
import type { JsonObject, JsonValue } from '../../executors/types.ts';
import {
  LOG_TRUNCATED_MARKER,
  MAX_CODE_CHARS,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_FETCHES_PER_JOB,
  MAX_LOG_LINE_BYTES,
  MAX_LOG_LINES,
  MAX_RESULT_DEPTH,
  isBoundedJson,
} from '../limits.ts';
import { parseBridgeRequest } from '../parse-message.ts';
import type { HostToSandbox, RunLimits, SandboxError, SandboxToHost } from '../protocol.ts';
import { DictWatch, WATCH_GROUPS, type DictListing, type WatchGroup } from './dict-watch.ts';
import { PRELUDE } from './prelude.py.ts';
import { StateWatch, type StateListing } from './state-watch.ts';

type RunMessage = Extract<HostToSandbox, { type: 'run' }>;
type FetchReply = Extract<HostToSandbox, { type: 'fetch-result' }>;

const MIB = 1024 * 1024;
const SIGINT = 2;
/**
 * Past the deadline Python gets KeyboardInterrupt; a tool that swallows it is
 * stopped this much later by exiting (before the pool's own kill grace, so the
 * host sees TIMEOUT rather than a crash).
 */
const HARD_EXIT_GRACE_MS = 250;
const HARD_EXIT_CODE = 124;
const VALIDATE_TIMEOUT_MS = 3000;
/** Wasm memory never shrinks: a heap this far above the warm baseline is retired after the job. */
const RECYCLE_HEAP_GROWTH_MB = 96;
const RECYCLE_RSS_MB = 768;
const LOAD_HEAP_LIMIT_MB = 512;
/**
 * Cleanup passes after the first: putting shared state back releases what a job
 * left in it, and releasing can change more (a weak reference's callback).
 */
const MAX_CLEANUP_PASSES = 3;

interface Guard {
  deadlineAt: number;
  hardExitAt: number;
  heapLimitBytes: number;
  growRefused: boolean;
  onHardExit: (() => void) | null;
}

const guard: Guard = {
  deadlineAt: Number.POSITIVE_INFINITY,
  hardExitAt: Number.POSITIVE_INFINITY,
  heapLimitBytes: LOAD_HEAP_LIMIT_MB * MIB,
  growRefused: false,
  onHardExit: null,
};

let heap: WebAssembly.Memory | null = null;
/** The heap's size as Pyodide's module sees it, for before it first grows (set at boot). */
let moduleHeapBytes: () => number = () => 0;

/**
 * Emscripten grows the heap through `WebAssembly.Memory#grow` and turns a throw
 * into a failed malloc, so refusing growth here surfaces as a real Python
 * MemoryError at the job's limit.
 */
function limitMemoryGrowth(): void {
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function limitedGrow(this: WebAssembly.Memory, delta: number): number {
    if (!(this.buffer instanceof SharedArrayBuffer)) {
      // Remember Pyodide's heap to report its size; this is the only place it is visible.
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      heap = this;
      if (this.buffer.byteLength + delta * 65536 > guard.heapLimitBytes) {
        guard.growRefused = true;
        throw new RangeError('sandbox memory limit reached');
      }
    }
    return grow.call(this, delta);
  };
}

function heapBytes(): number {
  return heap ? heap.buffer.byteLength : moduleHeapBytes();
}

/**
 * Pyodide polls `Py_EmscriptenSignalBuffer[0]` from the interpreter loop (every
 * 50 eval-breaker ticks and inside regex matching). Browsers write to a
 * SharedArrayBuffer from another thread; here the "buffer" is a clock, so the
 * running interpreter interrupts itself at the deadline without a second thread.
 */
function clockInterruptBuffer(): Int32Array {
  const clock = {
    get 0(): number {
      const now = Date.now();
      if (now < guard.deadlineAt) return 0;
      if (now >= guard.hardExitAt) guard.onHardExit?.();
      return SIGINT;
    },
    set 0(_value: number) {},
  };
  // setInterruptBuffer only ever indexes [0]; a getter is what makes it a clock.
  return clock as unknown as Int32Array;
}

/** Pyodide's NODEFS asks for `process.binding('constants')`, which the permission model forbids. */
function shimProcessBinding(): void {
  const host = process as unknown as { binding: (name: string) => unknown };
  const original = host.binding.bind(process);
  host.binding = (name: string): unknown => (name === 'constants' ? { fs: fs.constants } : original(name));
}

function send(message: SandboxToHost): void {
  if (process.connected) process.send?.(message);
}

interface PythonEntry {
  start: PyCallable;
  resume: PyCallable;
  finish: PyCallable;
  abandon: PyCallable;
  endJob: PyCallable;
  cleanup: PyCallable;
  validate: PyCallable;
}

/** Proves the shared module and class dicts untouched without walking them in Python (null: Python checks alone). */
let watch: DictWatch | null = null;
/** Names the other shared objects a job changed (null: Python checks them all, and cannot prove C-level ones). */
let stateWatch: StateWatch | null = null;

async function boot(): Promise<{ entry: PythonEntry; baseline: number }> {
  shimProcessBinding();
  limitMemoryGrowth();
  const { loadPyodide } = await import('pyodide');
  const pyodide: PyodideAPI = await loadPyodide({
    jsglobals: Object.create(null) as object,
    env: { HOME: '/home/tool' },
    stdout: () => {},
    stderr: () => {},
    checkAPIVersion: true,
  });
  pyodide.setStdout({ batched: () => {} });
  pyodide.setStderr({ batched: () => {} });
  const namespace = pyodide.globals.get('dict')() as ReturnType<typeof pyodide.toPy>;
  pyodide.runPython(PRELUDE, { globals: namespace, filename: '<sandbox>' });
  const get = (name: string): PyCallable => namespace.get(name) as PyCallable;
  get('sb_warm_up')();
  get('sb_snapshot')();
  // Nothing below needs Pyodide's JavaScript API from Python again.
  pyodide.unregisterJsModule('js');
  pyodide.unregisterJsModule('pyodide_js');
  pyodide.setInterruptBuffer(clockInterruptBuffer());
  // Pyodide's initial heap is often large enough to load without growing, so the grow hook
  // has not seen it yet: read its size from the module (private API), or every job's limit
  // would be measured from zero and the warm heap would eat into it.
  const module = (pyodide as unknown as { _module?: { HEAPU8?: Uint8Array } })._module;
  moduleHeapBytes = () => module?.HEAPU8?.buffer.byteLength ?? 0;
  const heapBuffer = (): ArrayBuffer => (heap?.buffer ?? module?.HEAPU8?.buffer ?? new ArrayBuffer(0)) as ArrayBuffer;
  const listing = JSON.parse(String(get('sb_dict_listing')())) as DictListing | null;
  watch = listing ? DictWatch.start(heapBuffer, listing) : null;
  if (!watch) process.stderr.write('python sandbox: the dict watch is off; every job runs the slower Python checks\n');
  stateWatch = StateWatch.start(heapBuffer, JSON.parse(String(get('sb_state_listing')())) as StateListing);
  if (!stateWatch) {
    process.stderr.write(
      'python sandbox: the state watch is off; C-level state cannot be proven, so after every job its process serves that tool alone until replaced\n',
    );
  }
  const entry: PythonEntry = {
    start: get('sb_start'),
    resume: get('sb_resume'),
    finish: get('sb_finish'),
    abandon: get('sb_abandon'),
    endJob: get('sb_end_job'),
    cleanup: get('sb_cleanup'),
    validate: get('sb_validate'),
  };
  return { entry, baseline: heapBytes() };
}

// ------------------------------------------------------------------ jobs

interface DoneReply {
  state: 'done';
  ok: boolean;
  value_json?: string;
  error?: SandboxError;
  logs: string[];
  interrupted?: boolean;
}
interface FetchAsk {
  state: 'fetch';
  request: unknown;
}
/** The tool returned; sb_finish encodes its value. */
interface Returned {
  state: 'returned';
}
type PythonReply = DoneReply | FetchAsk | Returned;

class PythonCrash extends Error {}

interface ActiveJob {
  id: string;
  nextCallId: number;
  pending: Map<number, (reply: FetchReply) => void>;
  abort: AbortController;
}

let active: ActiveJob | null = null;
let fatal = false;

function parseReply(text: unknown): PythonReply {
  if (typeof text !== 'string') throw new PythonCrash('the sandbox runtime returned a non-string');
  return JSON.parse(text) as PythonReply;
}

function clip(message: string): string {
  return message.length > MAX_ERROR_MESSAGE_CHARS ? `${message.slice(0, MAX_ERROR_MESSAGE_CHARS - 1)}…` : message;
}

/** The groups of shared dicts the watch proves untouched, in the form the prelude takes them. */
function proven(groups: readonly WatchGroup[]): string {
  return groups.filter((group) => watch?.unchanged(group)).join(' ');
}

function callPython(fn: PyCallable, ...args: string[]): unknown {
  try {
    return fn(...args);
  } catch (error) {
    // A KeyboardInterrupt that escaped the prelude's own handlers, or a fatal runtime error.
    const name = error instanceof Error ? error.constructor.name : 'Error';
    if (name !== 'PythonError') fatal = true;
    const detail = error instanceof Error ? error.message.split('\n').slice(-2).join(' ') : String(error);
    throw new PythonCrash(fatal ? `the Python runtime crashed (${detail}); the process is replaced` : detail);
  }
}

function arm(timeoutMs: number, memoryMb: number, baseline: number): void {
  guard.deadlineAt = Date.now() + timeoutMs;
  guard.hardExitAt = guard.deadlineAt + HARD_EXIT_GRACE_MS;
  guard.heapLimitBytes = baseline + memoryMb * MIB;
  guard.growRefused = false;
}

function disarm(): void {
  guard.deadlineAt = Number.POSITIVE_INFINITY;
  guard.hardExitAt = Number.POSITIVE_INFINITY;
}

function timedOut(): boolean {
  return Date.now() >= guard.deadlineAt;
}

function waitForHost(job: ActiveJob, request: unknown): Promise<FetchReply | 'timeout' | 'cancelled'> {
  const bridged = parseBridgeRequest(request);
  if (!bridged) {
    return Promise.resolve({
      type: 'fetch-result',
      id: job.id,
      callId: -1,
      error: 'the request is malformed or exceeds the bridge limits',
    });
  }
  const callId = job.nextCallId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish('timeout'), Math.max(0, guard.deadlineAt - Date.now()));
    const onAbort = (): void => finish('cancelled');
    function finish(outcome: FetchReply | 'timeout' | 'cancelled'): void {
      clearTimeout(timer);
      job.abort.signal.removeEventListener('abort', onAbort);
      job.pending.delete(callId);
      resolve(outcome);
    }
    job.abort.signal.addEventListener('abort', onAbort);
    job.pending.set(callId, finish);
    send({ type: 'fetch', id: job.id, callId, request: bridged });
  });
}

function toResult(id: string, reply: DoneReply, limits: RunLimits): SandboxToHost {
  const logs = Array.isArray(reply.logs) ? reply.logs : [];
  if (reply.ok && typeof reply.value_json === 'string') {
    let value: JsonValue;
    try {
      value = JSON.parse(reply.value_json) as JsonValue;
    } catch {
      return failure(id, { code: 'INVALID_RESULT', message: 'the result did not encode to valid JSON' }, logs);
    }
    if (!isBoundedJson(value, MAX_RESULT_DEPTH)) {
      return failure(
        id,
        { code: 'INVALID_RESULT', message: `the result is nested deeper than ${MAX_RESULT_DEPTH} levels` },
        logs,
      );
    }
    return { type: 'result', id, ok: true, value, logs };
  }
  const error = reply.error ?? { code: 'FUNCTION_ERROR', message: 'the tool failed' };
  if (error.code === 'TIMEOUT' && !timedOut()) {
    // The tool raised KeyboardInterrupt itself.
    return failure(
      id,
      { code: 'FUNCTION_ERROR', message: 'KeyboardInterrupt', ...(error.line ? { line: error.line } : {}) },
      logs,
    );
  }
  if (error.code === 'TIMEOUT') error.message = `the tool ran past its ${limits.timeoutMs} ms deadline`;
  if (error.code === 'MEMORY_LIMIT') error.message = `the tool exceeded its ${limits.memoryMb} MB memory limit`;
  return failure(id, { ...error, message: clip(error.message) }, logs);
}

function failure(id: string, error: SandboxError, logs: string[]): SandboxToHost {
  return { type: 'result', id, ok: false, error, logs };
}

async function runJob(message: RunMessage, entry: PythonEntry, baseline: number): Promise<void> {
  const { id, limits } = message;
  const job: ActiveJob = { id, nextCallId: 1, pending: new Map(), abort: new AbortController() };
  active = job;
  let recycle = false;
  let result: SandboxToHost;
  const spec: JsonObject = {
    code: message.code,
    parameters: message.parameters,
    context: message.context,
    secrets: message.secrets,
    allowedImports: message.allowedImports,
    maxLogLines: MAX_LOG_LINES,
    maxLogBytes: limits.maxLogBytes,
    maxLogLineBytes: MAX_LOG_LINE_BYTES,
    logTruncatedMarker: LOG_TRUNCATED_MARKER,
    maxResultBytes: limits.maxResultBytes,
    maxResultDepth: MAX_RESULT_DEPTH,
    maxFetches: MAX_FETCHES_PER_JOB,
  };
  guard.onHardExit = (): void => {
    send(
      failure(
        id,
        { code: 'TIMEOUT', message: `the tool ran past its ${limits.timeoutMs} ms deadline and ignored the interrupt` },
        [],
      ),
    );
    process.exit(HARD_EXIT_CODE);
  };
  arm(limits.timeoutMs, limits.memoryMb, baseline);
  spec.deadline = guard.deadlineAt;
  try {
    if (message.code.length > MAX_CODE_CHARS) throw new PythonCrash('the code is too large');
    let reply = parseReply(callPython(entry.start, JSON.stringify(spec)));
    while (reply.state === 'fetch') {
      const answer = await waitForHost(job, reply.request);
      if (answer === 'timeout' || answer === 'cancelled') {
        // The coroutine is dropped mid-await; its frames stay on the heap, so retire the process.
        callPython(entry.abandon);
        recycle = true;
        reply = {
          state: 'done',
          ok: false,
          error: { code: 'TIMEOUT', message: answer === 'cancelled' ? 'the job was cancelled' : 'deadline' },
          logs: [],
        };
        break;
      }
      const payload = answer.response
        ? { response: answer.response }
        : { error: answer.error ?? 'the host refused the request' };
      reply = parseReply(callPython(entry.resume, JSON.stringify(payload)));
    }
    if (reply.state === 'returned') reply = parseReply(callPython(entry.finish, proven(['classes'])));
    if (reply.state !== 'done') throw new PythonCrash('the sandbox runtime answered out of turn');
    if (reply.interrupted) recycle = true;
    result = toResult(id, reply, limits);
    // The job's own code may still run (finalizers, suspended generators): now, within its deadline.
    if (!recycle) {
      try {
        callPython(entry.endJob);
      } catch {
        recycle = true;
      }
    }
  } catch (error) {
    recycle = true;
    result = timedOut()
      ? failure(id, { code: 'TIMEOUT', message: `the tool ran past its ${limits.timeoutMs} ms deadline` }, [])
      : failure(
          id,
          {
            code: 'FUNCTION_ERROR',
            message: clip(`sandbox runtime error: ${error instanceof Error ? error.message : String(error)}`),
          },
          [],
        );
  } finally {
    disarm();
    guard.onHardExit = null;
    active = null;
  }
  if (guard.growRefused) recycle = true;
  if (heapBytes() > baseline + RECYCLE_HEAP_GROWTH_MB * MIB) recycle = true;
  if (process.memoryUsage().rss > RECYCLE_RSS_MB * MIB) recycle = true;
  // A process already marked for recycling is never used again: restoring it would only delay the answer.
  if (recycle || fatal) {
    send({ ...result, memoryPressure: true } as SandboxToHost);
    if (fatal) process.exit(1);
    return;
  }
  // The caller has its answer while the interpreter is put back; the host sends no other job until `cleaned`.
  send({ ...result, cleaning: true } as SandboxToHost);
  await new Promise((resolve) => setImmediate(resolve));
  let clean: boolean;
  try {
    clean = cleanUp(entry);
  } catch {
    // A cleanup that failed part-way left no state this can vouch for, not even for the same tool.
    fatal = true;
    clean = false;
  }
  // What the cleanup could not prove was left by this job's tool: it may run again here, no other.
  send({ type: 'cleaned', id, ...(fatal ? { memoryPressure: true } : clean ? {} : { dirty: true }) });
  if (fatal) process.exit(1);
}

/**
 * Puts the interpreter back to its snapshot after a job: the prelude restores
 * what the watches saw change (or checks everything they cannot prove), then the
 * watches take what it restored as their record. False when the prelude could
 * not restore or prove something, or when state kept changing.
 */
function cleanUp(entry: PythonEntry): boolean {
  let changed = stateWatch ? stateWatch.changed() : null;
  for (let pass = 0; pass < MAX_CLEANUP_PASSES; pass += 1) {
    const untouched = proven(WATCH_GROUPS);
    const objects = changed === null ? '*' : changed.join(' ');
    const reply = JSON.parse(String(callPython(entry.cleanup, untouched, objects))) as {
      clean: boolean;
      recheck: boolean;
    };
    if (!reply.clean) return false;
    // Python just walked what the watch could not prove and found it pristine: that is the new reference.
    if (watch && untouched !== WATCH_GROUPS.join(' ') && !watch.record()) watch = null;
    if (!stateWatch || changed === null) return true;
    if (!stateWatch.record(changed)) {
      stateWatch = null;
      process.stderr.write(
        'python sandbox: the state watch lost an object; from now on every job leaves its process to its tool alone\n',
      );
      return true;
    }
    if (!reply.recheck) return true;
    changed = stateWatch.changed();
    if (changed.length === 0) return true;
  }
  return false;
}

function validate(id: string, code: string, entry: PythonEntry): void {
  if (code.length > MAX_CODE_CHARS) {
    send({ type: 'validated', id, errors: [{ message: `the code exceeds ${MAX_CODE_CHARS} characters` }] });
    return;
  }
  guard.deadlineAt = Date.now() + VALIDATE_TIMEOUT_MS;
  guard.hardExitAt = guard.deadlineAt + HARD_EXIT_GRACE_MS;
  guard.onHardExit = (): void => process.exit(HARD_EXIT_CODE);
  let errors: Array<{ message: string; line?: number; column?: number }>;
  try {
    errors = JSON.parse(String(callPython(entry.validate, code))) as typeof errors;
  } catch {
    errors = [{ message: timedOut() ? 'the code took too long to compile' : 'the code could not be compiled' }];
  } finally {
    disarm();
    guard.onHardExit = null;
  }
  send({ type: 'validated', id, errors: errors.map((issue) => ({ ...issue, message: clip(issue.message) })) });
  if (fatal) process.exit(1);
}

async function main(): Promise<void> {
  const { entry, baseline } = await boot();
  let queue = Promise.resolve();
  process.on('message', (raw: HostToSandbox) => {
    switch (raw.type) {
      case 'run':
        queue = queue.then(() => runJob(raw, entry, baseline));
        break;
      case 'validate':
        queue = queue.then(() => validate(raw.id, raw.code, entry));
        break;
      case 'fetch-result':
        if (active?.id === raw.id) active.pending.get(raw.callId)?.(raw);
        break;
      case 'cancel':
        if (active?.id === raw.id) active.abort.abort();
        break;
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', runtime: 'python' });
}

await main();

/**
 * Entry of a Python sandbox process (started with the flags from launch.ts).
 *
 * `snapshot <file>`: loads Pyodide, runs the prelude (our code only), writes a
 * memory snapshot to <file> and exits. `serve <file>`: restores a pristine
 * interpreter from that snapshot (a fraction of a cold load), seals it, then
 * runs one job at a time over IPC (protocol.ts).
 *
 * The pool gives a serving process the jobs of one tool only, so nothing a job
 * leaves in the interpreter can reach another tool's job. Python and this file
 * exchange only strings: user code never receives a JsProxy, and the `js`
 * global namespace Pyodide sees is an empty null-prototype object.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PyodideAPI } from 'pyodide';
import type { PyCallable, PyProxy } from 'pyodide/ffi';
import type { JsonObject, JsonValue } from '../../executors/types.ts';
import { boundForHost } from '../bounded-message.ts';
import {
  MAX_CODE_CHARS,
  MAX_FETCHES_PER_JOB,
  MAX_LOG_LINE_BYTES,
  MAX_LOG_LINES,
  MAX_PROGRESS_CHARS,
  MAX_PROGRESS_PER_JOB,
  LOG_TRUNCATED_MARKER,
} from '../limits.ts';
import { MAX_RESULT_DEPTH, isBoundedJson } from '../limits.ts';
import { parseBridgeRequest } from '../parse-message.ts';
import type { HostToSandbox, RunLimits, SandboxError, SandboxToHost, SandboxUsage } from '../protocol.ts';

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
/** The one writable directory: emptied after every job; the host counts it in the job's memory. */
const SCRATCH_DIR = '/tmp/job';
const NAMESPACE_GLOBAL = '__sb_namespace__';
const PRELUDE_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'prelude.py');

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
  if (process.connected) process.send?.(boundForHost(message));
}

async function load(options: { snapshot?: Buffer; makeSnapshot?: boolean }): Promise<PyodideAPI> {
  shimProcessBinding();
  limitMemoryGrowth();
  const { loadPyodide } = await import('pyodide');
  const pyodide = await loadPyodide({
    jsglobals: Object.create(null) as object,
    env: { HOME: SCRATCH_DIR },
    stdout: () => {},
    stderr: () => {},
    checkAPIVersion: true,
    ...(options.makeSnapshot ? { _makeSnapshot: true } : {}),
    ...(options.snapshot ? { _loadSnapshot: options.snapshot } : {}),
  });
  pyodide.setStdout({ batched: () => {} });
  pyodide.setStderr({ batched: () => {} });
  return pyodide;
}

/** Snapshot mode: the prelude, warmed up, frozen into a file every serving process starts from. */
async function makeSnapshot(file: string): Promise<void> {
  const pyodide = await load({ makeSnapshot: true });
  const namespace = pyodide.globals.get('dict')() as PyProxy;
  pyodide.runPython(fs.readFileSync(PRELUDE_FILE, 'utf8'), { globals: namespace, filename: '<sandbox>' });
  (namespace.get('sb_warm_up') as PyCallable)();
  pyodide.globals.set(NAMESPACE_GLOBAL, namespace);
  namespace.destroy();
  fs.writeFileSync(file, pyodide.makeMemorySnapshot());
}

type FileSystem = PyodideAPI['FS'];

/**
 * Everything but the scratch directory becomes read-only, and modes can no longer
 * be changed from Python: a job's files live only where they are wiped and counted.
 */
function lockFileSystem(FS: FileSystem): void {
  const lock = (at: string): void => {
    const { mode } = FS.stat(at) as { mode: number };
    if (FS.isDir(mode)) {
      for (const name of FS.readdir(at) as string[]) {
        if (name === '.' || name === '..' || (at === '/' && (name === 'dev' || name === 'proc'))) continue;
        lock(`${at === '/' ? '' : at}/${name}`);
      }
    }
    FS.chmod(at, FS.isDir(mode) ? 0o555 : 0o444);
  };
  FS.mkdirTree(SCRATCH_DIR);
  lock('/');
  FS.chmod(SCRATCH_DIR, 0o777);
  // Python's own chmod (and open, which sets the mode of what it creates) only works inside scratch.
  const chmod = FS.chmod.bind(FS) as (target: unknown, mode: number, dontFollow?: boolean) => void;
  const inScratch = (target: unknown): boolean => {
    try {
      const node = typeof target === 'string' ? FS.lookupPath(target, { follow: true }).node : target;
      const at = FS.getPath(node as Parameters<FileSystem['getPath']>[0]);
      return at === SCRATCH_DIR || at.startsWith(`${SCRATCH_DIR}/`);
    } catch {
      return false;
    }
  };
  (FS as unknown as { chmod: typeof chmod }).chmod = (target, mode, dontFollow) => {
    if (!inScratch(target)) throw new FS.ErrnoError(63 /* EPERM */);
    chmod(target, mode, dontFollow);
  };
}

/** Empties the scratch directory; false when something in it could not be removed. */
function wipeScratch(FS: FileSystem): boolean {
  const remove = (at: string): void => {
    for (const name of FS.readdir(at) as string[]) {
      if (name === '.' || name === '..') continue;
      const entry = `${at}/${name}`;
      const { mode } = FS.lstat(entry) as { mode: number };
      if (FS.isDir(mode)) {
        remove(entry);
        FS.rmdir(entry);
      } else FS.unlink(entry);
    }
  };
  try {
    remove(SCRATCH_DIR);
    return (FS.readdir(SCRATCH_DIR) as string[]).length <= 2;
  } catch {
    return false;
  }
}

interface PythonEntry {
  start: PyCallable;
  resume: PyCallable;
  finish: PyCallable;
  abandon: PyCallable;
  validate: PyCallable;
  takeProgress: PyCallable;
}

interface Interpreter {
  entry: PythonEntry;
  baseline: number;
  FS: FileSystem;
}

/** Serve mode: a pristine interpreter from the snapshot, sealed before any job. */
async function restore(file: string): Promise<Interpreter> {
  const snapshot = fs.readFileSync(file);
  const pyodide = await load({ snapshot });
  // The snapshot now lives in the interpreter's heap: release the 30 MB read from the file at once
  // (transferring to an empty buffer frees the old backing store without waiting for a collection).
  snapshot.buffer.transfer(0);
  const namespace = pyodide.globals.get(NAMESPACE_GLOBAL) as PyProxy;
  pyodide.globals.delete(NAMESPACE_GLOBAL);
  for (const name of ['js', 'pyodide_js']) {
    try {
      pyodide.unregisterJsModule(name);
    } catch {
      // Not registered in a restored interpreter.
    }
  }
  lockFileSystem(pyodide.FS);
  const get = (name: string): PyCallable => namespace.get(name) as PyCallable;
  get('sb_seal')(SCRATCH_DIR);
  pyodide.setInterruptBuffer(clockInterruptBuffer());
  // The restored heap may be large enough not to grow, so the grow hook has not seen it yet:
  // read its size from the module (private API), or every job's limit would start from zero.
  const module = (pyodide as unknown as { _module?: { HEAPU8?: Uint8Array } })._module;
  moduleHeapBytes = () => module?.HEAPU8?.buffer.byteLength ?? 0;
  const entry: PythonEntry = {
    start: get('sb_start'),
    resume: get('sb_resume'),
    finish: get('sb_finish'),
    abandon: get('sb_abandon'),
    validate: get('sb_validate'),
    takeProgress: get('sb_take_progress'),
  };
  return { entry, baseline: heapBytes(), FS: pyodide.FS };
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
/** The tool awaits `context.progress(...)`: its reports go out now, then it resumes. */
interface ProgressFlush {
  state: 'progress';
}
type PythonReply = DoneReply | FetchAsk | Returned | ProgressFlush;

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

/** Sends the reports the tool made since the last step (the prelude already capped their count and length). */
function sendProgress(id: string, pendingJson: unknown): void {
  if (typeof pendingJson !== 'string') return;
  const pending: unknown = JSON.parse(pendingJson);
  if (!Array.isArray(pending)) return;
  for (const message of pending.slice(0, MAX_PROGRESS_PER_JOB)) {
    if (typeof message === 'string') send({ type: 'progress', id, message: message.slice(0, MAX_PROGRESS_CHARS) });
  }
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
      return failure(id, { code: 'INVALID_RESULT', message: 'the result is not plain JSON data' }, logs);
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
  return failure(id, error, logs);
}

function failure(id: string, error: SandboxError, logs: string[]): SandboxToHost {
  return { type: 'result', id, ok: false, error, logs };
}

/**
 * CPU of this process since `since` (the interpreter runs the job on this thread; other
 * threads are Node's own and idle meanwhile), and the wasm heap's size: it never shrinks,
 * so it is the interpreter's high-water mark, earlier jobs of this process included.
 * (`resourceUsage().maxRSS` would be the process's lifetime peak, Node's own heap included.)
 */
function jobUsage(since: NodeJS.CpuUsage): SandboxUsage {
  const spent = process.cpuUsage(since);
  return { cpuTimeMs: Math.round((spent.user + spent.system) / 1000), peakMemoryBytes: heapBytes() };
}

async function runJob(message: RunMessage, interpreter: Interpreter): Promise<void> {
  const { entry, baseline } = interpreter;
  const { id, limits } = message;
  const cpuAtStart = process.cpuUsage();
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
    maxProgress: MAX_PROGRESS_PER_JOB,
    maxProgressChars: MAX_PROGRESS_CHARS,
  };
  guard.onHardExit = (): void => {
    send({
      ...failure(
        id,
        { code: 'TIMEOUT', message: `the tool ran past its ${limits.timeoutMs} ms deadline and ignored the interrupt` },
        [],
      ),
      usage: jobUsage(cpuAtStart),
    } as SandboxToHost);
    process.exit(HARD_EXIT_CODE);
  };
  arm(limits.timeoutMs, limits.memoryMb, baseline);
  spec.deadline = guard.deadlineAt;
  try {
    if (message.code.length > MAX_CODE_CHARS) throw new PythonCrash('the code is too large');
    const step = (fn: PyCallable, ...args: string[]): PythonReply => {
      const reply = parseReply(callPython(fn, ...args));
      sendProgress(id, callPython(entry.takeProgress));
      return reply;
    };
    let reply = step(entry.start, JSON.stringify(spec));
    while (reply.state === 'fetch' || reply.state === 'progress') {
      if (reply.state === 'progress') {
        reply = step(entry.resume, JSON.stringify({ progress: true }));
        continue;
      }
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
      reply = step(entry.resume, JSON.stringify(payload));
    }
    if (reply.state === 'returned') reply = step(entry.finish);
    if (reply.state !== 'done') throw new PythonCrash('the sandbox runtime answered out of turn');
    if (reply.interrupted) recycle = true;
    result = toResult(id, reply, limits);
  } catch (error) {
    recycle = true;
    result = timedOut()
      ? failure(id, { code: 'TIMEOUT', message: `the tool ran past its ${limits.timeoutMs} ms deadline` }, [])
      : failure(
          id,
          {
            code: 'FUNCTION_ERROR',
            message: `sandbox runtime error: ${error instanceof Error ? error.message : String(error)}`,
          },
          [],
        );
  } finally {
    disarm();
    guard.onHardExit = null;
    active = null;
  }
  if (!wipeScratch(interpreter.FS)) recycle = true;
  if (guard.growRefused) recycle = true;
  if (heapBytes() > baseline + RECYCLE_HEAP_GROWTH_MB * MIB) recycle = true;
  if (process.memoryUsage().rss > RECYCLE_RSS_MB * MIB) recycle = true;
  const measured = { ...result, usage: jobUsage(cpuAtStart) } as SandboxToHost;
  send(recycle || fatal ? ({ ...measured, memoryPressure: true } as SandboxToHost) : measured);
  if (fatal) process.exit(1);
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
  send({ type: 'validated', id, errors });
  if (fatal) process.exit(1);
}

async function serve(file: string): Promise<void> {
  const interpreter = await restore(file);
  let queue = Promise.resolve();
  process.on('message', (raw: HostToSandbox) => {
    switch (raw.type) {
      case 'run':
        queue = queue.then(() => runJob(raw, interpreter));
        break;
      case 'validate':
        queue = queue.then(() => validate(raw.id, raw.code, interpreter.entry));
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

const [mode, file] = process.argv.slice(2);
if (mode === 'snapshot' && file) await makeSnapshot(file);
else if (mode === 'serve' && file) await serve(file);
else {
  process.stderr.write('usage: worker.ts snapshot|serve <file>\n');
  process.exit(2);
}

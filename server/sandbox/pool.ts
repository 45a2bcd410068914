/**
 * A pool of warm sandbox processes for one runtime. One job per process; a
 * bounded queue in front. The host owns every deadline: a process that does
 * not answer in time, crashes, or says anything malformed is killed and
 * replaced, and only the job it held fails. Every bridged `fetch` goes through
 * the caller's `onFetch` with its own deadline inside the job's.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { JsonValue } from '../executors/types.ts';
import {
  MAX_CONCURRENT_FETCHES,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_FETCHES_PER_JOB,
  MAX_FETCH_HEADER_CHARS,
  MAX_FETCH_HEADERS,
  MAX_FETCH_RESPONSE_CHARS,
} from './limits.ts';
import { parseSandboxMessage } from './parse-message.ts';
import type { MessageCaps } from './parse-message.ts';
import type { BridgeRequest, BridgeResponse, HostToSandbox, Runtime, SandboxError, SandboxToHost } from './protocol.ts';
import { spawnWorker } from './worker-process.ts';
import type { WorkerLaunch, WorkerProcess } from './worker-process.ts';

export type { WorkerLaunch } from './worker-process.ts';

export type RunJob = Omit<Extract<HostToSandbox, { type: 'run' }>, 'type' | 'id'>;

export type PoolFailureCode = 'TIMEOUT' | 'CANCELLED' | 'SANDBOX_CRASHED' | 'SANDBOX_UNAVAILABLE';

export interface PoolFailure {
  code: PoolFailureCode;
  message: string;
}

/** Every outcome of `run`, including the pool's own failures: `run` never rejects. */
export type SandboxRunResult =
  { ok: true; value: JsonValue; logs: string[] } | { ok: false; error: SandboxError | PoolFailure; logs: string[] };

export interface ValidationIssue {
  message: string;
  line?: number;
  column?: number;
}

export interface RunHooks {
  signal: AbortSignal;
  onFetch(request: BridgeRequest, signal: AbortSignal): Promise<BridgeResponse>;
}

/** Thrown by `start` and `validate` when no sandbox could answer. */
export class SandboxPoolError extends Error {
  readonly code: PoolFailureCode;
  constructor(code: PoolFailureCode, message: string) {
    super(message);
    this.name = 'SandboxPoolError';
    this.code = code;
  }
}

export interface SandboxPoolOptions {
  runtime: Runtime;
  size: number;
  launch: WorkerLaunch;
  /** Replace a process after this many jobs (default 100). */
  maxJobsPerWorker?: number;
  /** Time a new process has to say `ready` (default 10 s). */
  startTimeoutMs?: number;
  /** Jobs waiting for a free process beyond this are refused (default 4 × size). */
  maxQueue?: number;
  /** Longest wait for a free process (default 5 s, never beyond the job's own timeout). */
  queueTimeoutMs?: number;
  /** How long past its timeout a job may stay silent before its process is killed (default 500 ms). */
  killGraceMs?: number;
  /** Deadline of one bridged fetch (default 10 s, never beyond the job's deadline). */
  fetchTimeoutMs?: number;
  /** Deadline of one `validate` (default 5 s). */
  validateTimeoutMs?: number;
  /** How long a process that answered may take to clean up before it is replaced (default 5 s). */
  cleanupTimeoutMs?: number;
  logger?: { warn(obj: object, msg: string): void };
}

export interface SandboxPoolStats {
  size: number;
  /** Processes free for any job. */
  idle: number;
  /** Free processes kept for one tool only (see `cleaned` with `dirty`) until their successor is ready. */
  reserved: number;
  busy: number;
  queued: number;
  restarts: number;
  /** Operating-system ids of the live sandbox processes (for operators and tests). */
  pids: number[];
}

export interface SandboxPool {
  start(): Promise<void>;
  run(job: RunJob, hooks: RunHooks): Promise<SandboxRunResult>;
  validate(code: string, signal?: AbortSignal): Promise<ValidationIssue[]>;
  stats(): SandboxPoolStats;
  stop(): Promise<void>;
}

const DEFAULT_MAX_JOBS_PER_WORKER = 100;
const DEFAULT_START_TIMEOUT_MS = 10_000;
const DEFAULT_QUEUE_TIMEOUT_MS = 5_000;
const DEFAULT_KILL_GRACE_MS = 500;
const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
const DEFAULT_VALIDATE_TIMEOUT_MS = 5_000;
const DEFAULT_CLEANUP_TIMEOUT_MS = 5_000;
const MAX_RESTART_BACKOFF_MS = 5_000;
const RESTART_BACKOFF_BASE_MS = 100;
const NO_OUTPUT_CAPS: MessageCaps = { maxLogBytes: 0, maxResultBytes: 0 };

type Task =
  | {
      kind: 'run';
      job: RunJob;
      /** The tool the job runs, as far as the sandbox can tell: its code, imports and organization. */
      tool: string;
      hooks: RunHooks;
      enqueuedAt: number;
      settle(result: SandboxRunResult): void;
    }
  | {
      kind: 'validate';
      code: string;
      signal: AbortSignal | undefined;
      enqueuedAt: number;
      settle(result: ValidationIssue[] | PoolFailure): void;
    };

interface Active {
  id: string;
  task: Task;
  /** Epoch ms when the job's own budget ends (fetch deadlines never pass it). */
  budgetEndsAt: number;
  timer: NodeJS.Timeout;
  fetches: Map<number, AbortController>;
  fetchCount: number;
  lastCallId: number;
  detachAbort: () => void;
  settled: boolean;
}

interface Slot {
  process: WorkerProcess | null;
  state: 'starting' | 'idle' | 'busy' | 'retiring';
  jobs: number;
  active: Active | null;
  startTimer: NodeJS.Timeout | undefined;
  ready: (ok: boolean) => void;
  exited: Promise<void>;
  /** Its successor was started when it was retired; its exit starts nothing. */
  succeeded: boolean;
  /** Past its job count, it serves until its successor is ready, then retires once idle. */
  handover: 'none' | 'waiting' | 'due';
  /** Answered job `id` and is cleaning up after it: busy until it says `cleaned`. */
  cleaning: { id: string; timer: NodeJS.Timeout } | null;
  /** The tool of the last job it ran. */
  lastTool: string | null;
  /** Set when a cleanup came back dirty: it runs this tool's jobs only, until its successor is ready. */
  reservedFor: string | null;
}

interface Waiting {
  task: Task;
  timer: NodeJS.Timeout;
  detachAbort: () => void;
}

/** What tells one tool's jobs from another's inside a sandbox: the same code, imports and organization. */
function toolOf(job: RunJob): string {
  const organization = (job.context as { organizationId?: unknown }).organizationId;
  return createHash('sha256')
    .update(JSON.stringify([job.code, [...job.allowedImports].sort(), organization ?? null]))
    .digest('base64');
}

function failure(code: PoolFailureCode, message: string): PoolFailure {
  return { code, message };
}

function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (!signal) return () => undefined;
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return (typeof code === 'string' ? `${code}: ${error.message}` : error.message).slice(0, MAX_ERROR_MESSAGE_CHARS);
  }
  return 'request failed';
}

/** A bridged response is host data, but it comes from the network: cap it before the sandbox sees it. */
function checkBridgeResponse(response: BridgeResponse): BridgeResponse | string {
  const { status, headers, body } = response;
  if (!Number.isInteger(status) || status < 100 || status > 599) return 'invalid response status';
  if (typeof body !== 'string') return 'invalid response body';
  if (body.length > MAX_FETCH_RESPONSE_CHARS) return `response larger than ${MAX_FETCH_RESPONSE_CHARS} characters`;
  const clean: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== 'string' || name.length + value.length > MAX_FETCH_HEADER_CHARS) continue;
    if (++count > MAX_FETCH_HEADERS) break;
    clean[name] = value;
  }
  return { status, headers: clean, body };
}

export function createSandboxPool(options: SandboxPoolOptions): SandboxPool {
  const size = Math.max(1, Math.floor(options.size));
  const maxJobsPerWorker = options.maxJobsPerWorker ?? DEFAULT_MAX_JOBS_PER_WORKER;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const maxQueue = options.maxQueue ?? size * 4;
  const queueTimeoutMs = options.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const validateTimeoutMs = options.validateTimeoutMs ?? DEFAULT_VALIDATE_TIMEOUT_MS;
  const cleanupTimeoutMs = options.cleanupTimeoutMs ?? DEFAULT_CLEANUP_TIMEOUT_MS;
  const logger = options.logger;

  const slots = new Set<Slot>();
  const queue: Waiting[] = [];
  let started = false;
  let stopping = false;
  let restarts = 0;
  let startFailures = 0;

  function warn(slot: Slot, reason: string): void {
    logger?.warn(
      { runtime: options.runtime, pid: slot.process?.pid, reason, stderr: slot.process?.stderrTail() },
      'sandbox process replaced',
    );
  }

  function spawnSlot(): Slot {
    let resolveExit: () => void = () => undefined;
    const slot: Slot = {
      process: null,
      state: 'starting',
      jobs: 0,
      active: null,
      startTimer: undefined,
      succeeded: false,
      handover: 'none',
      cleaning: null,
      lastTool: null,
      reservedFor: null,
      ready: () => undefined,
      exited: new Promise((resolve) => {
        resolveExit = resolve;
      }),
    };
    slots.add(slot);
    slot.startTimer = setTimeout(() => {
      warn(slot, 'did not start in time');
      retire(slot);
    }, startTimeoutMs);
    slot.process = spawnWorker(options.launch, {
      message: (raw) => onMessage(slot, raw),
      exit: (info) => {
        onExit(slot, info);
        resolveExit();
      },
    });
    return slot;
  }

  function whenReady(slot: Slot): Promise<boolean> {
    return new Promise((resolve) => {
      slot.ready = resolve;
    });
  }

  function retire(slot: Slot): void {
    if (slot.state === 'retiring') return;
    const wasStarting = slot.state === 'starting';
    slot.state = 'retiring';
    slot.process?.kill();
    // Start the successor now, not after the exit: a planned retirement (memory pressure, a
    // timeout) must never leave the next caller waiting longer than a cold start.
    // A process that failed to start is replaced on exit instead, with backoff.
    if (started && !stopping && !wasStarting && !slot.succeeded) {
      slot.succeeded = true;
      restarts += 1;
      // Forking takes milliseconds: let the caller whose job just settled have its answer first.
      setImmediate(() => {
        if (!stopping) spawnSlot();
      });
    }
  }

  /** Kills a process that broke the protocol; its job fails as a crash. */
  function reject(slot: Slot, reason: string): void {
    warn(slot, reason);
    if (slot.active) settle(slot.active, failure('SANDBOX_CRASHED', 'the sandbox misbehaved and was replaced'));
    retire(slot);
  }

  function onExit(slot: Slot, info: { code: number | null; signal: string | null }): void {
    clearTimeout(slot.startTimer);
    clearTimeout(slot.cleaning?.timer);
    const wasStarting = slot.state === 'starting';
    slots.delete(slot);
    slot.ready(false);
    if (slot.active && !slot.active.settled) {
      warn(slot, `exited during a job (code ${info.code}, signal ${info.signal})`);
      settle(slot.active, failure('SANDBOX_CRASHED', 'the sandbox process crashed'));
    }
    slot.active = null;
    if (!started || stopping || slot.succeeded) return;
    startFailures = wasStarting ? startFailures + 1 : 0;
    restarts += 1;
    const delay =
      startFailures === 0 ? 0 : Math.min(MAX_RESTART_BACKOFF_MS, RESTART_BACKOFF_BASE_MS * 2 ** startFailures);
    setTimeout(() => {
      if (stopping) return;
      const replacement = spawnSlot();
      void whenReady(replacement).then((ok) => {
        if (ok) startFailures = 0;
      });
    }, delay).unref();
  }

  function callerCaps(slot: Slot): MessageCaps {
    const task = slot.active?.task;
    if (task?.kind !== 'run') return NO_OUTPUT_CAPS;
    return { maxLogBytes: task.job.limits.maxLogBytes, maxResultBytes: task.job.limits.maxResultBytes };
  }

  function onMessage(slot: Slot, raw: unknown): void {
    if (slot.state === 'retiring') return;
    const message = parseSandboxMessage(raw, callerCaps(slot));
    if (!message) return reject(slot, 'sent a malformed or oversized message');
    switch (message.type) {
      case 'ready':
        if (slot.state !== 'starting' || message.runtime !== options.runtime) return reject(slot, 'unexpected ready');
        clearTimeout(slot.startTimer);
        slot.state = 'idle';
        slot.ready(true);
        dispatch();
        return;
      case 'fetch':
        return onFetch(slot, message);
      case 'result': {
        const active = slot.active;
        if (!active || active.task.kind !== 'run' || active.id !== message.id)
          return reject(slot, 'result for a job it does not hold');
        const { ok } = message;
        settle(
          active,
          ok ? { ok, value: message.value, logs: message.logs } : { ok, error: message.error, logs: message.logs },
        );
        if (message.cleaning === true && message.memoryPressure !== true) return awaitCleanup(slot, active.id);
        return release(slot, message.memoryPressure === true ? 'retire' : 'reuse');
      }
      case 'cleaned': {
        if (!slot.cleaning || slot.cleaning.id !== message.id)
          return reject(slot, 'cleaned up after a job it does not hold');
        clearTimeout(slot.cleaning.timer);
        slot.cleaning = null;
        return release(
          slot,
          message.memoryPressure === true ? 'retire' : message.dirty === true ? 'same-tool' : 'reuse',
        );
      }
      case 'validated': {
        const active = slot.active;
        if (!active || active.task.kind !== 'validate' || active.id !== message.id)
          return reject(slot, 'validation for a job it does not hold');
        settle(active, message.errors);
        return release(slot, 'reuse');
      }
    }
  }

  function onFetch(slot: Slot, message: Extract<SandboxToHost, { type: 'fetch' }>): void {
    const active = slot.active;
    if (!active || active.settled || active.task.kind !== 'run' || active.id !== message.id)
      return reject(slot, 'fetch outside its job');
    if (message.callId <= active.lastCallId) return reject(slot, 'reused a fetch call id');
    if (active.fetchCount >= MAX_FETCHES_PER_JOB || active.fetches.size >= MAX_CONCURRENT_FETCHES) {
      return reject(slot, 'exceeded the fetch limits');
    }
    active.lastCallId = message.callId;
    active.fetchCount += 1;
    const { hooks } = active.task;
    const controller = new AbortController();
    active.fetches.set(message.callId, controller);
    const jobLeft = Math.max(0, active.budgetEndsAt - Date.now());
    // When the job's own deadline comes first, the job ends as a TIMEOUT rather than the guest seeing a failed fetch.
    const endsWithJob = jobLeft <= fetchTimeoutMs;
    const budget = Math.min(fetchTimeoutMs, jobLeft);
    const timer = setTimeout(() => controller.abort(new Error(`request timed out after ${budget} ms`)), budget);
    const aborted = new Promise<never>((_, fail) => {
      controller.signal.addEventListener('abort', () => fail(controller.signal.reason), { once: true });
    });
    const signal = AbortSignal.any([controller.signal, hooks.signal]);
    const reply = (fields: { response: BridgeResponse } | { error: string }): void => {
      clearTimeout(timer);
      active.fetches.delete(message.callId);
      if (active.settled || slot.active !== active) return;
      if (endsWithJob && controller.signal.aborted && Date.now() >= active.budgetEndsAt) return;
      slot.process?.send({ type: 'fetch-result', id: active.id, callId: message.callId, ...fields });
    };
    Promise.race([Promise.resolve().then(() => hooks.onFetch(message.request, signal)), aborted]).then(
      (response) => {
        const checked = checkBridgeResponse(response);
        reply(typeof checked === 'string' ? { error: checked } : { response: checked });
      },
      (error: unknown) => reply({ error: describeFetchError(error) }),
    );
  }

  function settle(active: Active, result: SandboxRunResult | ValidationIssue[] | PoolFailure): void {
    if (active.settled) return;
    active.settled = true;
    clearTimeout(active.timer);
    active.detachAbort();
    for (const controller of active.fetches.values()) controller.abort(new Error('execution ended'));
    active.fetches.clear();
    const { task } = active;
    if ('code' in result) failTask(task, result);
    else if (task.kind === 'run' && !Array.isArray(result)) task.settle(result);
    else if (task.kind === 'validate' && Array.isArray(result)) task.settle(result);
    else failTask(task, failure('SANDBOX_CRASHED', 'the sandbox answered the wrong kind of job'));
  }

  /**
   * The caller has its answer; the process stays busy until it has cleaned up
   * (so no job meets what the last one left) and is replaced if that takes too long.
   */
  function awaitCleanup(slot: Slot, id: string): void {
    slot.active = null;
    slot.cleaning = {
      id,
      timer: setTimeout(() => {
        warn(slot, 'did not finish cleaning up in time');
        retire(slot);
      }, cleanupTimeoutMs),
    };
  }

  /**
   * After a job: `reuse` the process, keep it for the `same-tool` only (its state
   * may not be the shared baseline any more) until a successor is ready, or `retire` it.
   */
  function release(slot: Slot, next: 'reuse' | 'same-tool' | 'retire'): void {
    slot.active = null;
    slot.jobs += 1;
    if (next === 'retire' || slot.handover === 'due' || (next === 'same-tool' && slot.lastTool === null)) {
      retire(slot);
      return;
    }
    if (next === 'same-tool' && slot.reservedFor === null) {
      slot.reservedFor = slot.lastTool;
      if (slot.handover === 'none') handOver(slot);
    }
    if (slot.jobs >= maxJobsPerWorker && slot.handover === 'none') handOver(slot);
    slot.state = 'idle';
    dispatch();
  }

  /**
   * A process that reached its job count keeps serving while its successor
   * starts, and retires (once idle) when the successor is ready or has failed,
   * so routine recycling never puts a cold start on a caller's path. A successor
   * that fails to start is replaced on its exit, with backoff. A reserved process
   * does the same, for its one tool.
   */
  function handOver(slot: Slot): void {
    slot.handover = 'waiting';
    // The successor replaces it, however this process ends.
    slot.succeeded = true;
    restarts += 1;
    // After the caller whose job just settled has its answer, as in retire().
    setImmediate(() => {
      if (stopping) return;
      void whenReady(spawnSlot()).then(() => {
        slot.handover = 'due';
        if (slot.state === 'idle') retire(slot);
      });
    });
  }

  function begin(slot: Slot, task: Task): void {
    const id = randomUUID();
    const now = Date.now();
    let message: HostToSandbox;
    let budgetMs: number;
    if (task.kind === 'run') {
      // Time spent queued comes out of the job's budget.
      budgetMs = Math.max(1, task.job.limits.timeoutMs - (now - task.enqueuedAt));
      message = { type: 'run', id, ...task.job, limits: { ...task.job.limits, timeoutMs: budgetMs } };
      slot.lastTool = task.tool;
    } else {
      budgetMs = validateTimeoutMs;
      message = { type: 'validate', id, code: task.code };
    }
    const signal = task.kind === 'run' ? task.hooks.signal : task.signal;
    const active: Active = {
      id,
      task,
      budgetEndsAt: now + budgetMs,
      timer: setTimeout(() => {
        settle(active, failure('TIMEOUT', `the code did not finish within ${budgetMs} ms`));
        warn(slot, 'missed its deadline');
        retire(slot);
      }, budgetMs + killGraceMs),
      fetches: new Map(),
      fetchCount: 0,
      lastCallId: 0,
      detachAbort: () => undefined,
      settled: false,
    };
    active.detachAbort = onAbort(signal, () => {
      settle(active, failure('CANCELLED', 'the execution was cancelled'));
      retire(slot);
    });
    slot.state = 'busy';
    slot.active = active;
    if (!slot.process?.send(message)) {
      settle(active, failure('SANDBOX_CRASHED', 'the sandbox process is gone'));
      retire(slot);
    }
  }

  function dispatch(): void {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.state !== 'idle') continue;
      const reservedFor = slot.reservedFor;
      const index =
        reservedFor === null ? 0 : queue.findIndex(({ task }) => task.kind === 'run' && task.tool === reservedFor);
      if (index < 0) continue;
      const [waiting] = queue.splice(index, 1);
      if (!waiting) return;
      clearTimeout(waiting.timer);
      waiting.detachAbort();
      begin(slot, waiting.task);
    }
  }

  function submit(task: Task, signal: AbortSignal | undefined, waitLimitMs: number): void {
    if (stopping || !started)
      return void failTask(task, failure('SANDBOX_UNAVAILABLE', 'the sandbox pool is not running'));
    if (signal?.aborted) return void failTask(task, failure('CANCELLED', 'the execution was cancelled'));
    if (queue.length >= maxQueue) return void failTask(task, failure('SANDBOX_UNAVAILABLE', 'all sandboxes are busy'));
    const waiting: Waiting = {
      task,
      timer: setTimeout(() => {
        remove(waiting);
        failTask(task, failure('SANDBOX_UNAVAILABLE', `no sandbox became free within ${waitLimitMs} ms`));
      }, waitLimitMs),
      detachAbort: () => undefined,
    };
    waiting.detachAbort = onAbort(signal, () => {
      remove(waiting);
      failTask(task, failure('CANCELLED', 'the execution was cancelled'));
    });
    queue.push(waiting);
    dispatch();
  }

  function remove(waiting: Waiting): void {
    const index = queue.indexOf(waiting);
    if (index >= 0) queue.splice(index, 1);
    clearTimeout(waiting.timer);
    waiting.detachAbort();
  }

  function failTask(task: Task, reason: PoolFailure): void {
    if (task.kind === 'run') task.settle({ ok: false, error: reason, logs: [] });
    else task.settle(reason);
  }

  return {
    async start() {
      if (started) return;
      started = true;
      const fresh = Array.from({ length: size }, () => spawnSlot());
      const results = await Promise.all(fresh.map(whenReady));
      if (results.every(Boolean)) return;
      const tail = fresh.map((slot) => slot.process?.stderrTail() ?? '').find((text) => text !== '') ?? '';
      await this.stop();
      throw new SandboxPoolError(
        'SANDBOX_UNAVAILABLE',
        `the ${options.runtime} sandbox failed to start${tail ? `: ${tail.slice(-500)}` : ''}`,
      );
    },

    run(job, hooks) {
      return new Promise<SandboxRunResult>((resolve) => {
        const waitLimitMs = Math.max(1, Math.min(queueTimeoutMs, job.limits.timeoutMs));
        submit(
          { kind: 'run', job, tool: toolOf(job), hooks, enqueuedAt: Date.now(), settle: resolve },
          hooks.signal,
          waitLimitMs,
        );
      });
    },

    async validate(code, signal) {
      const outcome = await new Promise<ValidationIssue[] | PoolFailure>((resolve) => {
        submit({ kind: 'validate', code, signal, enqueuedAt: Date.now(), settle: resolve }, signal, queueTimeoutMs);
      });
      if (Array.isArray(outcome)) return outcome;
      throw new SandboxPoolError(outcome.code, outcome.message);
    },

    stats() {
      let idle = 0;
      let reserved = 0;
      let busy = 0;
      for (const slot of slots) {
        if (slot.state === 'idle' && slot.reservedFor !== null) reserved += 1;
        else if (slot.state === 'idle') idle += 1;
        else if (slot.state === 'busy') busy += 1;
      }
      const pids = [...slots].flatMap((slot) =>
        slot.state !== 'retiring' && slot.process?.pid ? [slot.process.pid] : [],
      );
      return { size, idle, reserved, busy, queued: queue.length, restarts, pids };
    },

    async stop() {
      stopping = true;
      for (const waiting of queue.splice(0)) {
        clearTimeout(waiting.timer);
        waiting.detachAbort();
        failTask(waiting.task, failure('SANDBOX_UNAVAILABLE', 'the sandbox pool stopped'));
      }
      const exits: Promise<void>[] = [];
      for (const slot of slots) {
        if (slot.active) settle(slot.active, failure('SANDBOX_UNAVAILABLE', 'the sandbox pool stopped'));
        exits.push(slot.exited);
        retire(slot);
      }
      await Promise.all(exits);
    },
  };
}

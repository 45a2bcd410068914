/**
 * Sandbox processes for one runtime, shared fairly between organizations.
 *
 * The process is the boundary between tenants: after its first job a process is
 * bound to that job's organization (JavaScript, where every job gets a fresh
 * isolate) or to that job's tool (Python, where the interpreter lives as long as
 * its process), and never runs anything else. Warm spares bound to nothing take
 * the next organization or tool; a global cap bounds how many processes exist,
 * idle bound processes are evicted when another tenant needs room, and one
 * organization may hold only `maxPerOrganization` busy processes, so it can
 * never fill them all. Waiting jobs are served round-robin by organization.
 * Checking code at save has processes of its own.
 *
 * The host owns every limit: a process that misses its deadline, outgrows its
 * job's memory (watched from outside, while the job runs), crashes or says
 * anything malformed is killed, and only the job it held fails. Every bridged
 * `fetch` goes through the caller's `onFetch` with its own deadline inside the job's.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JsonValue } from '../executors/types.ts';
import { NO_SECURITY_EVENTS, type SecurityEventSink } from '../security/security-events.ts';
import {
  recordToolSecurityEvent,
  type ToolSecurityKind,
  type ToolSecurityOrigin,
} from '../security/tool-security-events.ts';
import { FairQueue } from './fair-queue.ts';
import {
  MAX_CONCURRENT_FETCHES,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_FETCHES_PER_JOB,
  MAX_FETCH_HEADER_CHARS,
  MAX_FETCH_HEADERS,
  MAX_FETCH_RESPONSE_CHARS,
  MAX_PROGRESS_PER_JOB,
} from './limits.ts';
import { parseSandboxMessage } from './parse-message.ts';
import type { MessageCaps } from './parse-message.ts';
import type {
  BridgeRequest,
  BridgeResponse,
  HostToSandbox,
  Runtime,
  SandboxError,
  SandboxToHost,
  SandboxUsage,
} from './protocol.ts';
import { spawnWorker } from './worker-process.ts';
import type { WorkerLaunch, WorkerProcess } from './worker-process.ts';

export type { WorkerLaunch } from './worker-process.ts';

export type RunJob = Omit<Extract<HostToSandbox, { type: 'run' }>, 'type' | 'id'>;

export type PoolFailureCode = 'TIMEOUT' | 'CANCELLED' | 'SANDBOX_CRASHED' | 'SANDBOX_UNAVAILABLE' | 'MEMORY_LIMIT';

export interface PoolFailure {
  code: PoolFailureCode;
  message: string;
}

/**
 * Every outcome of `run`, including the pool's own failures: `run` never rejects.
 * `pid` is the sandbox process that ran the job, when one did (for logs and tests).
 */
export type SandboxRunResult = (
  { ok: true; value: JsonValue; logs: string[] } | { ok: false; error: SandboxError | PoolFailure; logs: string[] }
) & { pid?: number; usage?: SandboxUsage };

export interface ValidationIssue {
  message: string;
  line?: number;
  column?: number;
}

export interface RunHooks {
  signal: AbortSignal;
  onFetch(request: BridgeRequest, signal: AbortSignal): Promise<BridgeResponse>;
  /** `context.progress(message)` from the job (already bounded); must not throw. */
  onProgress?(message: string): void;
  /** The execution the job serves: a permission denial or a memory or time kill is recorded against it. */
  origin?: ToolSecurityOrigin;
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

/** What a process may serve after its first job. */
export type Affinity = 'organization' | 'tool';

export interface SandboxPoolOptions {
  runtime: Runtime;
  /** Warm processes bound to nothing, ready for the next organization or tool (at least 1). */
  size: number;
  /** How to start a process; a function is called once, at `start` (e.g. to make a snapshot first). */
  launch: WorkerLaunch | (() => Promise<WorkerLaunch>);
  /** Default `organization`. */
  affinity?: Affinity;
  /** Most job processes alive at once, bound or spare (default size + 2). */
  maxProcesses?: number;
  /** Most busy processes one organization may hold (default half of maxProcesses, at least 1). */
  maxPerOrganization?: number;
  /** Processes that only check code at save (default 1). */
  validators?: number;
  /** Replace a process after this many jobs (default 100). */
  maxJobsPerWorker?: number;
  /** Time a new process has to say `ready` (default 10 s). */
  startTimeoutMs?: number;
  /** Jobs one organization may have waiting; beyond it they are refused (default 4 × maxPerOrganization). */
  maxQueue?: number;
  /** Longest wait for a process (default 5 s, never beyond the job's own timeout). */
  queueTimeoutMs?: number;
  /** How long past its timeout a job may stay silent before its process is killed (default 500 ms). */
  killGraceMs?: number;
  /** Deadline of one bridged fetch (default 10 s, never beyond the job's deadline). */
  fetchTimeoutMs?: number;
  /** Deadline of one `validate` (default 5 s). */
  validateTimeoutMs?: number;
  /** A bound process idle this long is retired (default 60 s). */
  idleTimeoutMs?: number;
  /**
   * The resident memory a job may add to its process beyond its `memoryMb`, and how
   * often it is read (default 64 MB every 25 ms). `null` turns the watch off.
   */
  memoryWatch?: { slackMb: number; intervalMs: number } | null;
  logger?: { warn(obj: object, msg: string): void };
  /** Where permission denials and memory and time kills are recorded as security events (default: nowhere). */
  securityEvents?: SecurityEventSink;
}

export interface SandboxPoolStats {
  /** Warm spares kept. */
  size: number;
  /** Job processes alive (spare, bound, busy or starting). */
  processes: number;
  /** Spares free for any organization or tool. */
  idle: number;
  /** Free processes bound to one organization or tool. */
  bound: number;
  busy: number;
  queued: number;
  restarts: number;
  /** Operating-system ids of the live job processes (for operators and tests). */
  pids: number[];
  /** Operating-system ids of the processes that check code at save. */
  validatorPids: number[];
}

export interface SandboxPool {
  start(): Promise<void>;
  run(job: RunJob, hooks: RunHooks): Promise<SandboxRunResult>;
  /** `organizationId` queues the check fairly among organizations. */
  validate(code: string, signal?: AbortSignal, organizationId?: string): Promise<ValidationIssue[]>;
  stats(): SandboxPoolStats;
  stop(): Promise<void>;
}

const MIB = 1024 * 1024;
const DEFAULT_MAX_JOBS_PER_WORKER = 100;
const DEFAULT_START_TIMEOUT_MS = 10_000;
const DEFAULT_QUEUE_TIMEOUT_MS = 5_000;
const DEFAULT_KILL_GRACE_MS = 500;
const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
const DEFAULT_VALIDATE_TIMEOUT_MS = 5_000;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const DEFAULT_MEMORY_WATCH = { slackMb: 64, intervalMs: 25 };
const MAX_RESTART_BACKOFF_MS = 5_000;
const RESTART_BACKOFF_BASE_MS = 100;
const NO_OUTPUT_CAPS: MessageCaps = { maxLogBytes: 0, maxResultBytes: 0 };

type Task =
  | {
      kind: 'run';
      job: RunJob;
      organization: string;
      /** What a process that runs it is bound to from then on. */
      key: string;
      hooks: RunHooks;
      enqueuedAt: number;
      settle(result: SandboxRunResult): void;
    }
  | {
      kind: 'validate';
      code: string;
      organization: string;
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
  progressCount: number;
  lastCallId: number;
  detachAbort: () => void;
  settled: boolean;
  /** Resident bytes above which the job is stopped for MEMORY_LIMIT (run jobs only). */
  memoryCeiling: number | null;
}

interface Slot {
  role: 'run' | 'validate';
  process: WorkerProcess | null;
  state: 'starting' | 'idle' | 'busy' | 'retiring';
  /** Set by its first job: the organization or tool it serves from then on. */
  key: string | null;
  organization: string | null;
  jobs: number;
  active: Active | null;
  startTimer: NodeJS.Timeout | undefined;
  ready: (ok: boolean) => void;
  started: Promise<boolean>;
  exited: Promise<void>;
  idleSince: number;
  /** Said `ready` once: its exit is no start failure. */
  wasReady: boolean;
}

interface Waiting {
  task: Task;
  timer: NodeJS.Timeout;
  detachAbort: () => void;
}

function organizationOf(job: RunJob): string {
  const organization = (job.context as { organizationId?: unknown }).organizationId;
  return typeof organization === 'string' ? organization : '';
}

/**
 * For `tool` affinity: the tool as the sandbox sees it. Its id and version, code,
 * imports and secret names: two tools of one organization with the same code
 * still get separate processes, since each may be given different secrets.
 */
function affinityKey(job: RunJob, affinity: Affinity): string {
  const organization = organizationOf(job);
  if (affinity === 'organization') return organization;
  const { toolId, toolVersion } = job.context as { toolId?: unknown; toolVersion?: unknown };
  return createHash('sha256')
    .update(
      JSON.stringify([
        organization,
        toolId ?? null,
        toolVersion ?? null,
        job.code,
        [...job.allowedImports].sort(),
        Object.keys(job.secrets).sort(),
      ]),
    )
    .digest('base64');
}

/** Job failures that are the sandbox enforcing a limit, as the security events they are. */
const SECURITY_KINDS: Partial<Record<string, ToolSecurityKind>> = {
  IMPORT_NOT_ALLOWED: 'SANDBOX_PERMISSION_DENIED',
  MEMORY_LIMIT: 'SANDBOX_MEMORY_KILL',
  TIMEOUT: 'SANDBOX_TIME_KILL',
};

/** Whether `signal` was aborted by a deadline (AbortSignal.timeout, the engine's TimeoutError) rather than a cancel. */
function isDeadline(signal: AbortSignal | undefined): boolean {
  const reason: unknown = signal?.reason;
  return reason instanceof Error && reason.name === 'TimeoutError';
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

/** Resident memory of a process in bytes (Linux), or null when it cannot be read. */
function residentBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function createSandboxPool(options: SandboxPoolOptions): SandboxPool {
  const size = Math.max(1, Math.floor(options.size));
  const affinity = options.affinity ?? 'organization';
  const maxProcesses = Math.max(size, Math.floor(options.maxProcesses ?? size + 2));
  const maxPerOrganization = Math.max(1, Math.floor(options.maxPerOrganization ?? maxProcesses / 2));
  const validators = Math.max(1, Math.floor(options.validators ?? 1));
  const maxJobsPerWorker = options.maxJobsPerWorker ?? DEFAULT_MAX_JOBS_PER_WORKER;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const maxQueue = options.maxQueue ?? maxPerOrganization * 4;
  const queueTimeoutMs = options.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const validateTimeoutMs = options.validateTimeoutMs ?? DEFAULT_VALIDATE_TIMEOUT_MS;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const memoryWatch = options.memoryWatch === undefined ? DEFAULT_MEMORY_WATCH : options.memoryWatch;
  const logger = options.logger;
  const securityEvents = options.securityEvents ?? NO_SECURITY_EVENTS;

  const slots = new Set<Slot>();
  const runQueue = new FairQueue<Waiting>();
  const validateQueue = new FairQueue<Waiting>();
  let launch: WorkerLaunch | null = null;
  let started = false;
  let stopping = false;
  let restarts = 0;
  let startFailures = 0;
  let spawnNotBefore = 0;
  let spawnTimer: NodeJS.Timeout | undefined;
  let dispatchScheduled = false;
  let watchTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  function warn(slot: Slot, reason: string): void {
    logger?.warn(
      { runtime: options.runtime, pid: slot.process?.pid, reason, stderr: slot.process?.stderrTail() },
      'sandbox process replaced',
    );
  }

  function live(role: Slot['role']): Slot[] {
    return [...slots].filter((slot) => slot.role === role && slot.state !== 'retiring');
  }

  function busyOf(organization: string): number {
    let busy = 0;
    for (const slot of slots)
      if (slot.state === 'busy' && slot.role === 'run' && slot.organization === organization) busy += 1;
    return busy;
  }

  function spawnSlot(role: Slot['role']): Slot {
    let resolveExit: () => void = () => undefined;
    let resolveReady: (ok: boolean) => void = () => undefined;
    const slot: Slot = {
      role,
      process: null,
      state: 'starting',
      key: null,
      organization: null,
      jobs: 0,
      active: null,
      startTimer: undefined,
      idleSince: Date.now(),
      wasReady: false,
      ready: (ok) => resolveReady(ok),
      started: new Promise((resolve) => {
        resolveReady = resolve;
      }),
      exited: new Promise((resolve) => {
        resolveExit = resolve;
      }),
    };
    slots.add(slot);
    slot.startTimer = setTimeout(() => {
      warn(slot, 'did not start in time');
      retire(slot);
    }, startTimeoutMs);
    slot.process = spawnWorker(launch as WorkerLaunch, {
      message: (raw) => onMessage(slot, raw),
      exit: (info) => {
        onExit(slot, info);
        resolveExit();
      },
    });
    return slot;
  }

  function retire(slot: Slot): void {
    if (slot.state === 'retiring') return;
    slot.state = 'retiring';
    slot.process?.kill();
    // The caller whose job just settled gets its answer before a replacement is forked.
    scheduleDispatch();
  }

  /** Kills a process that broke the protocol; its job fails as a crash. */
  function reject(slot: Slot, reason: string): void {
    warn(slot, reason);
    if (slot.active) settle(slot.active, failure('SANDBOX_CRASHED', 'the sandbox misbehaved and was replaced'));
    retire(slot);
  }

  function onExit(slot: Slot, info: { code: number | null; signal: string | null }): void {
    clearTimeout(slot.startTimer);
    slots.delete(slot);
    slot.ready(false);
    if (slot.active && !slot.active.settled) {
      warn(slot, `exited during a job (code ${info.code}, signal ${info.signal})`);
      settle(slot.active, failure('SANDBOX_CRASHED', 'the sandbox process crashed'));
    }
    slot.active = null;
    if (!started || stopping) return;
    restarts += 1;
    startFailures = slot.wasReady ? 0 : startFailures + 1;
    if (startFailures > 0) {
      spawnNotBefore = Date.now() + Math.min(MAX_RESTART_BACKOFF_MS, RESTART_BACKOFF_BASE_MS * 2 ** startFailures);
    }
    scheduleDispatch();
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
        startFailures = 0;
        slot.wasReady = true;
        slot.state = 'idle';
        slot.idleSince = Date.now();
        slot.ready(true);
        dispatch();
        return;
      case 'fetch':
        return onFetch(slot, message);
      case 'progress':
        return onProgress(slot, message);
      case 'result': {
        const active = slot.active;
        if (!active || active.task.kind !== 'run' || active.id !== message.id)
          return reject(slot, 'result for a job it does not hold');
        const { ok } = message;
        const pid = slot.process?.pid;
        const usage = message.usage ? { usage: message.usage } : {};
        settle(
          active,
          ok
            ? { ok, value: message.value, logs: message.logs, pid, ...usage }
            : { ok, error: message.error, logs: message.logs, pid, ...usage },
        );
        return release(slot, message.memoryPressure === true ? 'retire' : 'reuse');
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

  function onProgress(slot: Slot, message: Extract<SandboxToHost, { type: 'progress' }>): void {
    const active = slot.active;
    if (!active || active.task.kind !== 'run' || active.id !== message.id)
      return reject(slot, 'progress outside its job');
    if (active.settled) return;
    // A worker drops reports beyond the cap itself: one that sends more is not the worker we started.
    active.progressCount += 1;
    if (active.progressCount > MAX_PROGRESS_PER_JOB) return reject(slot, 'exceeded the progress limit');
    try {
      active.task.hooks.onProgress?.(message.message);
    } catch {
      // Progress is best effort: a failing report must never touch the job or its process.
    }
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

  function release(slot: Slot, next: 'reuse' | 'retire'): void {
    slot.active = null;
    slot.jobs += 1;
    if (next === 'retire' || slot.jobs >= maxJobsPerWorker) {
      retire(slot);
      return;
    }
    slot.state = 'idle';
    slot.idleSince = Date.now();
    dispatch();
  }

  function begin(slot: Slot, task: Task): void {
    const id = randomUUID();
    const now = Date.now();
    let message: HostToSandbox;
    let budgetMs: number;
    let memoryCeiling: number | null = null;
    if (task.kind === 'run') {
      // Time spent queued comes out of the job's budget.
      budgetMs = Math.max(1, task.job.limits.timeoutMs - (now - task.enqueuedAt));
      message = { type: 'run', id, ...task.job, limits: { ...task.job.limits, timeoutMs: budgetMs } };
      slot.key = task.key;
      slot.organization = task.organization;
      const resident = memoryWatch && slot.process?.pid ? residentBytes(slot.process.pid) : null;
      if (memoryWatch && resident !== null) {
        memoryCeiling = resident + (task.job.limits.memoryMb + memoryWatch.slackMb) * MIB;
      }
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
      progressCount: 0,
      lastCallId: 0,
      detachAbort: () => undefined,
      settled: false,
      memoryCeiling,
    };
    active.detachAbort = onAbort(signal, () => {
      // The execution's deadline passed while the code ran: its process is killed for time, as by our own timer.
      if (task.kind === 'run' && task.hooks.origin && isDeadline(signal)) {
        recordToolSecurityEvent(securityEvents, task.hooks.origin, 'SANDBOX_TIME_KILL', 'TIMEOUT');
      }
      settle(active, failure('CANCELLED', 'the execution was cancelled'));
      retire(slot);
    });
    slot.state = 'busy';
    slot.active = active;
    if (!slot.process?.send(message)) {
      settle(active, failure('SANDBOX_CRASHED', 'the sandbox process is gone'));
      retire(slot);
      return;
    }
    if (memoryCeiling !== null) watchMemory();
  }

  /** Reads the resident memory of busy processes while their jobs run; one over its ceiling is killed. */
  function watchMemory(): void {
    if (watchTimer || !memoryWatch) return;
    watchTimer = setInterval(() => {
      let watching = false;
      for (const slot of slots) {
        const active = slot.active;
        if (slot.state !== 'busy' || !active || active.settled || active.memoryCeiling === null) continue;
        watching = true;
        const resident = slot.process?.pid ? residentBytes(slot.process.pid) : null;
        if (resident === null || resident <= active.memoryCeiling) continue;
        const memoryMb = active.task.kind === 'run' ? active.task.job.limits.memoryMb : 0;
        settle(active, failure('MEMORY_LIMIT', `the tool exceeded its ${memoryMb} MB memory limit`));
        warn(slot, `outgrew its job's memory limit (${Math.round(resident / MIB)} MB resident)`);
        retire(slot);
      }
      if (!watching) {
        clearInterval(watchTimer);
        watchTimer = undefined;
      }
    }, memoryWatch.intervalMs);
    watchTimer.unref();
  }

  function scheduleDispatch(): void {
    if (dispatchScheduled) return;
    dispatchScheduled = true;
    setImmediate(() => {
      dispatchScheduled = false;
      dispatch();
    });
  }

  function idleSlot(role: Slot['role'], key: string | null): Slot | undefined {
    let spare: Slot | undefined;
    for (const slot of slots) {
      if (slot.role !== role || slot.state !== 'idle') continue;
      if (role === 'validate' || slot.key === key) return slot;
      if (slot.key === null) spare ??= slot;
    }
    return spare;
  }

  function dispatch(): void {
    if (!started || stopping) return;
    for (;;) {
      const slot = idleSlot('validate', null);
      const waiting = slot ? validateQueue.take(() => true) : undefined;
      if (!slot || !waiting) break;
      start(slot, waiting);
    }
    for (;;) {
      let chosen: Slot | undefined;
      const waiting = runQueue.take(({ task }, organization) => {
        if (task.kind !== 'run' || busyOf(organization) >= maxPerOrganization) return false;
        chosen = idleSlot('run', task.key);
        return chosen !== undefined;
      });
      if (!waiting || !chosen) break;
      start(chosen, waiting);
    }
    replenish();
  }

  function start(slot: Slot, waiting: Waiting): void {
    clearTimeout(waiting.timer);
    waiting.detachAbort();
    begin(slot, waiting.task);
  }

  /**
   * Keeps `size` spares and the validators, and makes room for waiting jobs that
   * only lack a process: a new spare while under the cap, else the least recently
   * used idle process bound to another organization or tool is evicted for one.
   */
  function replenish(): void {
    if (!started || stopping) return;
    const now = Date.now();
    if (now < spawnNotBefore) {
      spawnTimer ??= setTimeout(() => {
        spawnTimer = undefined;
        dispatch();
      }, spawnNotBefore - now);
      return;
    }
    for (let count = live('validate').length; count < validators; count += 1) spawnSlot('validate');
    const running = live('run');
    let spares = running.filter((slot) => slot.key === null).length;
    let total = running.length;
    let needing = 0;
    for (const { task } of runQueue.items()) {
      if (task.kind === 'run' && busyOf(task.organization) < maxPerOrganization) needing += 1;
    }
    const wanted = Math.max(size, needing);
    while (spares < wanted && total < maxProcesses) {
      spawnSlot('run');
      spares += 1;
      total += 1;
    }
    if (spares >= wanted) return;
    // At the cap, a warm spare for the next organization or tool is worth more than the
    // least recently used idle process of another one.
    const evictable = running
      .filter((slot) => slot.state === 'idle' && slot.key !== null)
      .sort((a, b) => a.idleSince - b.idleSince);
    for (const slot of evictable.slice(0, wanted - spares)) {
      retire(slot);
      spawnSlot('run');
    }
  }

  function evictIdle(): void {
    const cutoff = Date.now() - idleTimeoutMs;
    for (const slot of live('run')) {
      if (slot.state === 'idle' && slot.key !== null && slot.idleSince < cutoff) retire(slot);
    }
  }

  function submit(task: Task, queue: FairQueue<Waiting>, signal: AbortSignal | undefined, waitLimitMs: number): void {
    if (stopping || !started)
      return void failTask(task, failure('SANDBOX_UNAVAILABLE', 'the sandbox pool is not running'));
    if (signal?.aborted) return void failTask(task, failure('CANCELLED', 'the execution was cancelled'));
    const group = task.organization;
    if (queue.sizeOf(group) >= maxQueue) {
      return void failTask(
        task,
        failure('SANDBOX_UNAVAILABLE', `this organization already has ${maxQueue} ${options.runtime} jobs waiting`),
      );
    }
    const waiting: Waiting = {
      task,
      timer: setTimeout(() => {
        queue.remove(group, waiting);
        failTask(task, failure('SANDBOX_UNAVAILABLE', `no sandbox became free within ${waitLimitMs} ms`));
      }, waitLimitMs),
      detachAbort: () => undefined,
    };
    waiting.detachAbort = onAbort(signal, () => {
      queue.remove(group, waiting);
      clearTimeout(waiting.timer);
      failTask(task, failure('CANCELLED', 'the execution was cancelled'));
    });
    queue.push(group, waiting);
    dispatch();
  }

  function failTask(task: Task, reason: PoolFailure): void {
    if (task.kind === 'run') task.settle({ ok: false, error: reason, logs: [] });
    else task.settle(reason);
  }

  return {
    async start() {
      if (started) return;
      launch = typeof options.launch === 'function' ? await options.launch() : options.launch;
      started = true;
      const fresh = [
        ...Array.from({ length: validators }, () => spawnSlot('validate')),
        ...Array.from({ length: size }, () => spawnSlot('run')),
      ];
      idleTimer = setInterval(evictIdle, Math.max(1000, idleTimeoutMs / 2));
      idleTimer.unref();
      const results = await Promise.all(fresh.map((slot) => slot.started));
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
        const task: Task = {
          kind: 'run',
          job,
          organization: organizationOf(job),
          key: affinityKey(job, affinity),
          hooks,
          enqueuedAt: Date.now(),
          settle(result) {
            // Every way a job ends passes here once: the sandbox's own verdicts and the host's kills alike.
            if (!result.ok && hooks.origin) {
              const kind = SECURITY_KINDS[result.error.code];
              if (kind) recordToolSecurityEvent(securityEvents, hooks.origin, kind, result.error.code);
            }
            resolve(result);
          },
        };
        submit(task, runQueue, hooks.signal, waitLimitMs);
      });
    },

    async validate(code, signal, organizationId = '') {
      const outcome = await new Promise<ValidationIssue[] | PoolFailure>((resolve) => {
        const task: Task = {
          kind: 'validate',
          code,
          organization: organizationId,
          signal,
          enqueuedAt: Date.now(),
          settle: resolve,
        };
        submit(task, validateQueue, signal, queueTimeoutMs);
      });
      if (Array.isArray(outcome)) return outcome;
      throw new SandboxPoolError(outcome.code, outcome.message);
    },

    stats() {
      let idle = 0;
      let bound = 0;
      let busy = 0;
      let processes = 0;
      const pids: number[] = [];
      const validatorPids: number[] = [];
      for (const slot of slots) {
        if (slot.state === 'retiring') continue;
        if (slot.process?.pid) (slot.role === 'run' ? pids : validatorPids).push(slot.process.pid);
        if (slot.role !== 'run') continue;
        processes += 1;
        if (slot.state === 'idle' && slot.key === null) idle += 1;
        else if (slot.state === 'idle') bound += 1;
        else if (slot.state === 'busy') busy += 1;
      }
      return { size, processes, idle, bound, busy, queued: runQueue.size, restarts, pids, validatorPids };
    },

    async stop() {
      stopping = true;
      clearTimeout(spawnTimer);
      clearInterval(watchTimer);
      clearInterval(idleTimer);
      for (const waiting of [...runQueue.drain(), ...validateQueue.drain()]) {
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

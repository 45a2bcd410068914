/**
 * Fresh isolates with the bootstrap applied, made ahead of the job that uses
 * them. Making one (a V8 isolate, a context, the bootstrap) costs several times
 * what running a small tool does, so the worker prepares the next job's isolate
 * while it is idle and a job only compiles and runs the user's code.
 *
 * A prepared isolate holds our bootstrap and nothing else: no secrets, no job,
 * no user code. Its host callbacks reach nothing until a job claims it
 * (`link.hooks`); each one serves exactly one job and is then disposed.
 */
import ivm from 'isolated-vm';
import { MAX_LOG_LINE_BYTES, MAX_PROGRESS_CHARS } from '../limits.ts';
import { BOOTSTRAP_SOURCE } from './bootstrap.ts';

/** What the guest's host callbacks reach: the job that claimed the isolate, or nothing. */
export interface GuestHooks {
  log(text: unknown): boolean;
  submitFetch(requestJson: unknown): number | string;
  progress(text: unknown): void;
}

export const DETACHED: GuestHooks = {
  log: () => false,
  progress: () => undefined,
  submitFetch: () => 'fetch: the execution has ended',
};

/** The mutable side of a prepared isolate: which job its callbacks reach, and whether V8 gave up on it. */
export interface GuestLink {
  hooks: GuestHooks;
  catastrophic: boolean;
}

export interface PreparedIsolate {
  isolate: ivm.Isolate;
  context: ivm.Context;
  memoryMb: number;
  link: GuestLink;
  /** `begin(secretsJson, maxResultChars)`, see bootstrap.ts. */
  begin: ivm.Reference;
  run: ivm.Reference;
  deliver: ivm.Reference;
}

/** Bootstrap calls run only our own code; this bounds them anyway. */
const BOOTSTRAP_TIMEOUT_MS = 1_000;

/** V8's code cache for BOOTSTRAP_SOURCE, produced in this process from our own source only. */
let bootstrapCache: ivm.ExternalCopy<ArrayBuffer> | undefined;
let spare: { memoryMb: number; ready: Promise<PreparedIsolate> } | null = null;

async function compileBootstrap(isolate: ivm.Isolate): Promise<ivm.Script> {
  if (bootstrapCache) {
    const script = await isolate.compileScript(BOOTSTRAP_SOURCE, { cachedData: bootstrapCache });
    if (!(script as { cachedDataRejected?: boolean }).cachedDataRejected) return script;
  }
  const script = await isolate.compileScript(BOOTSTRAP_SOURCE, { produceCachedData: true });
  bootstrapCache = (script as { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
  return script;
}

async function prepare(memoryMb: number): Promise<PreparedIsolate> {
  const link: GuestLink = { hooks: DETACHED, catastrophic: false };
  const isolate = new ivm.Isolate({
    memoryLimit: memoryMb,
    onCatastrophicError: () => {
      link.catastrophic = true;
      process.abort();
    },
  });
  try {
    // Asynchronous steps run on the isolate's own thread, leaving this event loop free.
    const context = await isolate.createContext();
    const script = await compileBootstrap(isolate);
    const bootstrap = (await script.run(context, {
      reference: true,
      timeout: BOOTSTRAP_TIMEOUT_MS,
    })) as ivm.Reference;
    const api = (await bootstrap.apply(
      undefined,
      [
        new ivm.Callback((text: unknown) => link.hooks.log(text)),
        new ivm.Callback((requestJson: unknown) => link.hooks.submitFetch(requestJson)),
        new ivm.Callback((text: unknown) => link.hooks.progress(text)),
        MAX_LOG_LINE_BYTES,
        MAX_PROGRESS_CHARS,
      ],
      { result: { reference: true }, timeout: BOOTSTRAP_TIMEOUT_MS },
    )) as ivm.Reference;
    // Synchronous from here: only our bootstrap has run in this isolate, nothing is queued in it.
    return {
      isolate,
      context,
      memoryMb,
      link,
      begin: api.getSync(0, { reference: true }) as ivm.Reference,
      run: api.getSync(1, { reference: true }) as ivm.Reference,
      deliver: api.getSync(2, { reference: true }) as ivm.Reference,
    };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

/**
 * Disposes the isolate of a job that is over, once its answer is on its way
 * (disposing costs about as much as running a small tool). Deadlines and
 * cancellations dispose at once instead.
 */
export function retireIsolate(isolate: ivm.Isolate): void {
  setImmediate(() => {
    if (!isolate.isDisposed) isolate.dispose();
  });
}

/**
 * Starts preparing the isolate the next job will claim, with `memoryMb` as its
 * limit (the last job's: most tools keep theirs). Does nothing if one with
 * that limit is already there or on its way.
 */
export function prepareSpare(memoryMb: number): void {
  if (spare?.memoryMb === memoryMb) return;
  discardSpare();
  const ready = prepare(memoryMb);
  // A failed spare is reported by the job that claims it.
  ready.catch(() => undefined);
  spare = { memoryMb, ready };
}

function discardSpare(): void {
  if (!spare) return;
  void spare.ready.then(
    (prepared) => retireIsolate(prepared.isolate),
    () => undefined,
  );
  spare = null;
}

/** The spare if it fits `memoryMb` (waiting for it if it is still being made), otherwise a new one. */
export function claimIsolate(memoryMb: number): Promise<PreparedIsolate> {
  const fitting = spare?.memoryMb === memoryMb ? spare : null;
  if (!fitting) discardSpare();
  // Each prepared isolate serves exactly one job.
  spare = null;
  return fitting ? fitting.ready : prepare(memoryMb);
}

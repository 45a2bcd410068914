/**
 * Entry point of a JavaScript sandbox process (see launch.ts for how it is
 * started). Speaks protocol.ts over the IPC channel: one job at a time, each in
 * a fresh isolate. Exits when the host disconnects.
 */
import { boundForHost } from '../bounded-message.ts';
import { MAX_CODE_CHARS, MAX_ERROR_MESSAGE_CHARS } from '../limits.ts';
import type { BridgeRequest, BridgeResponse, HostToSandbox, SandboxToHost } from '../protocol.ts';
import { prepareNextIsolate, startRun, validateCode } from './isolate-runner.ts';
import type { RunningJob } from './isolate-runner.ts';

/** Above this resident size the host is asked to replace the process after the job. */
const MEMORY_PRESSURE_RSS_BYTES = 384 * 1024 * 1024;

interface PendingFetch {
  resolve(response: BridgeResponse): void;
  reject(reason: Error): void;
}

let current: { id: string; job: RunningJob; fetches: Map<number, PendingFetch> } | null = null;

function send(message: SandboxToHost): void {
  process.send?.(boundForHost(message));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function handleRun(message: Extract<HostToSandbox, { type: 'run' }>): Promise<void> {
  const { id } = message;
  if (current) {
    send({ type: 'result', id, ok: false, error: { code: 'FUNCTION_ERROR', message: 'sandbox busy' }, logs: [] });
    return;
  }
  if (message.code.length > MAX_CODE_CHARS) {
    send({
      type: 'result',
      id,
      ok: false,
      error: { code: 'INVALID_CONFIGURATION', message: 'code too large' },
      logs: [],
    });
    return;
  }
  const fetches = new Map<number, PendingFetch>();
  let nextCallId = 0;
  const fetchThroughHost = (request: BridgeRequest): Promise<BridgeResponse> =>
    new Promise((resolve, reject) => {
      nextCallId += 1;
      const callId = nextCallId;
      fetches.set(callId, { resolve, reject });
      send({ type: 'fetch', id, callId, request });
    });
  const job = startRun(
    {
      code: message.code,
      parameters: message.parameters,
      context: message.context,
      secrets: message.secrets,
      limits: message.limits,
    },
    { fetch: fetchThroughHost, progress: (text) => send({ type: 'progress', id, message: text }) },
  );
  current = { id, job, fetches };
  const outcome = await job.result;
  current = null;
  for (const pending of fetches.values()) pending.reject(new Error('execution ended'));
  const memoryPressure = process.memoryUsage().rss > MEMORY_PRESSURE_RSS_BYTES;
  send({ type: 'result', id, ...outcome, ...(memoryPressure ? { memoryPressure } : {}), usage: job.usage() });
  // The next job's isolate is made now, while the host reads this result, not on its caller's path.
  if (!memoryPressure) prepareNextIsolate();
}

function handleFetchResult(message: Extract<HostToSandbox, { type: 'fetch-result' }>): void {
  if (!current || current.id !== message.id) return;
  const pending = current.fetches.get(message.callId);
  if (!pending) return;
  current.fetches.delete(message.callId);
  if (message.response) pending.resolve(message.response);
  else pending.reject(new Error((message.error ?? 'request failed').slice(0, MAX_ERROR_MESSAGE_CHARS)));
}

async function handleValidate(message: Extract<HostToSandbox, { type: 'validate' }>): Promise<void> {
  if (message.code.length > MAX_CODE_CHARS) {
    send({ type: 'validated', id: message.id, errors: [{ message: 'code too large' }] });
    return;
  }
  const errors = await validateCode(message.code);
  send({ type: 'validated', id: message.id, errors });
}

function handle(raw: unknown): void {
  if (!isRecord(raw) || typeof raw.type !== 'string' || typeof raw.id !== 'string') return;
  const message = raw as HostToSandbox;
  switch (message.type) {
    case 'run':
      void handleRun(message);
      break;
    case 'validate':
      void handleValidate(message);
      break;
    case 'fetch-result':
      handleFetchResult(message);
      break;
    case 'cancel':
      if (current?.id === message.id) current.job.cancel();
      break;
  }
}

process.on('message', handle);
process.on('disconnect', () => process.exit(0));
prepareNextIsolate();
send({ type: 'ready', runtime: 'javascript' });

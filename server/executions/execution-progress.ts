/**
 * Progress a running tool reports ("Looking up your order…"): cleaned to one
 * storable line, limited per execution (a count, and a burst then a steady
 * rate), published as a `progress` execution event, remembered for the
 * execution's logs, and handed to the optional `onProgress` hook (the delivery
 * outbox), whose failures are logged and never reach the tool.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { storableText } from '../db/storable-text.ts';
import { MAX_PROGRESS_CHARS, clipText } from '../sandbox/limits.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import type { SwitchboardPubSub } from '../realtime/pubsub.ts';
import { publishEvent } from './execution-recorder.ts';

export { MAX_PROGRESS_CHARS };
export const MAX_PROGRESS_MESSAGES = 20;
/** Reports accepted at once; after that one per PROGRESS_REFILL_MS (a tool looping on progress is throttled, not fatal). */
export const PROGRESS_BURST = 5;
export const PROGRESS_REFILL_MS = 1_000;
/** Executions whose counters are kept; each entry holds at most MAX_PROGRESS_MESSAGES lines of MAX_PROGRESS_CHARS. */
const TRACKED_EXECUTIONS = 10_000;

export type ProgressHook = (row: ToolExecution, message: string, sequence: number) => Promise<void>;

interface Tracked {
  accepted: number;
  dropped: number;
  tokens: number;
  refilledAt: number;
  lines: string[];
}

export interface ProgressTracker {
  /** Publishes and records `raw` for `row` unless a limit drops it. Never throws. */
  report(row: ToolExecution, raw: string): 'accepted' | 'dropped';
  /** The execution's progress log lines not taken yet (with a count of the reports dropped meanwhile). */
  take(executionId: string): string[];
}

/** One line, storable, at most MAX_PROGRESS_CHARS; empty when nothing is left. */
export function cleanProgressMessage(raw: string): string {
  // Controls go before storableText, which would keep a NUL as visible escaped text.
  const line = storableText(raw.replace(/[\p{Cc}\u2028\u2029]+/gu, ' '))
    .replace(/\s+/g, ' ')
    .trim();
  return clipText(line, MAX_PROGRESS_CHARS);
}

export function createProgressTracker(deps: {
  pubsub: SwitchboardPubSub;
  logger: Logger;
  clock: () => number;
  onProgress?: ProgressHook;
}): ProgressTracker {
  const { pubsub, logger, clock, onProgress } = deps;
  const tracked = new LRUCache<string, Tracked>({ max: TRACKED_EXECUTIONS });

  function stateOf(executionId: string): Tracked {
    let state = tracked.get(executionId);
    if (!state) {
      state = { accepted: 0, dropped: 0, tokens: PROGRESS_BURST, refilledAt: clock(), lines: [] };
      tracked.set(executionId, state);
    }
    return state;
  }

  function admit(state: Tracked): boolean {
    const now = clock();
    const earned = Math.floor((now - state.refilledAt) / PROGRESS_REFILL_MS);
    if (earned > 0) {
      state.tokens = Math.min(PROGRESS_BURST, state.tokens + earned);
      state.refilledAt += earned * PROGRESS_REFILL_MS;
    }
    if (state.accepted >= MAX_PROGRESS_MESSAGES || state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  }

  return {
    report(row, raw) {
      const message = cleanProgressMessage(raw);
      if (message === '') return 'dropped';
      const state = stateOf(row.id);
      if (!admit(state)) {
        state.dropped += 1;
        return 'dropped';
      }
      state.accepted += 1;
      const sequence = state.accepted;
      state.lines.push(`[progress ${sequence}] ${message}`);
      publishEvent(pubsub, 'progress', row, new Date(clock()), { message, sequence });
      if (onProgress) {
        void Promise.resolve()
          .then(() => onProgress(row, message, sequence))
          .catch((error: unknown) => logger.warn({ err: error, executionId: row.id }, 'the progress hook failed'));
      }
      return 'accepted';
    },
    take(executionId) {
      const state = tracked.get(executionId);
      if (!state) return [];
      // The counters stay: an execution awaiting its callback goes on reporting after its first log is written.
      const lines = state.lines;
      state.lines = [];
      if (state.dropped > 0) {
        lines.push(
          `[progress] ${state.dropped} report(s) dropped: at most ${MAX_PROGRESS_MESSAGES} per execution, ` +
            `${PROGRESS_BURST} at once, then one per ${PROGRESS_REFILL_MS / 1000} s`,
        );
        state.dropped = 0;
      }
      return lines;
    },
  };
}

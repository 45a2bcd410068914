/**
 * What running tools report back through their per-execution URLs: progress
 * (for an execution running here, or one awaiting its callback anywhere) and an
 * Event invocation's result; plus the two ways an awaited callback ends
 * without one (its deadline, its call's hangup). The HTTP routes check the
 * token first; this is the engine's side.
 */
import type { Logger } from 'pino';
import type { Prisma } from '../db/database.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { JsonValue } from '../executors/types.ts';
import type { SwitchboardPubSub } from '../realtime/pubsub.ts';
import type { InFlight } from './attempt-loop.ts';
import {
  appendAwaitingLogs,
  cancelAwaitingCallbacks,
  expireCallbacks,
  NotAwaitingYetError,
  parseCallbackReport,
  settleCallback,
} from './execution-callbacks.ts';
import type { ProgressTracker } from './execution-progress.ts';
import type { OutputLimits } from './result-normalizer.ts';

/**
 * How long a callback that arrives before its invocation's answer is recorded waits for it (the answer is
 * written milliseconds after the invoke returns, on whichever instance made it), and how often it looks.
 */
const CALLBACK_PARK_WAIT_MS = 5_000;
const CALLBACK_PARK_POLL_MS = 25;

export interface ExecutionReports {
  /** NotFoundError; ConflictError when the execution is not RUNNING; `dropped` when over the limits. */
  reportProgress(executionId: string, message: string): Promise<'accepted' | 'dropped'>;
  /** ConflictError unless the execution awaits its callback (a second callback changes nothing). */
  completeCallback(executionId: string, body: JsonValue): Promise<ToolExecution>;
  /** Awaited callbacks past their deadline end TIMEOUT (the periodic sweep). */
  expireOverdue(): Promise<void>;
  /** Awaited callbacks of an ended call end CANCELLED / CALL_ENDED, unless their tool continues after hangup. */
  cancelForCall(callId: string): Promise<void>;
}

export function createExecutionReports(deps: {
  prisma: Prisma;
  pubsub: SwitchboardPubSub;
  logger: Logger;
  clock: () => number;
  output: OutputLimits;
  progress: ProgressTracker;
  inFlight: ReadonlyMap<string, InFlight>;
  onCallbackSettled?: (row: ToolExecution) => Promise<void>;
}): ExecutionReports {
  const { prisma, pubsub, logger, clock, progress, inFlight } = deps;
  const now = (): Date => new Date(clock());
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

  /** Hands rows that stopped awaiting their callback to the hook; its failures are logged. */
  async function settled(rows: ToolExecution[]): Promise<void> {
    const hook = deps.onCallbackSettled;
    if (!hook) return;
    await Promise.all(
      rows.map((row) =>
        hook(row).catch((error: unknown) =>
          logger.warn({ err: error, executionId: row.id }, 'the callback-settled hook failed'),
        ),
      ),
    );
  }

  return {
    async reportProgress(executionId, message) {
      const running = inFlight.get(executionId);
      if (running) return progress.report(running.row, message);
      const row = await prisma.toolExecution.findUnique({ where: { id: executionId } });
      if (!row) throw new NotFoundError('Execution');
      if (row.status !== 'RUNNING') throw new ConflictError('the execution is not running', 'status');
      const verdict = progress.report(row, message);
      // Running on another instance, its log is that instance's to write; awaiting a callback, nobody else writes it.
      if (row.awaitingCallbackUntil !== null) await appendAwaitingLogs(prisma, executionId, progress.take(executionId));
      return verdict;
    },

    async completeCallback(executionId, body) {
      const report = parseCallbackReport(body);
      const waitUntil = clock() + CALLBACK_PARK_WAIT_MS;
      for (;;) {
        try {
          const finished = await settleCallback({ prisma, pubsub, output: deps.output, now }, executionId, report, () =>
            progress.take(executionId),
          );
          await settled([finished]);
          return finished;
        } catch (error) {
          // A function can call back before its invocation's answer has been recorded: wait for that, briefly.
          if (!(error instanceof NotAwaitingYetError) || clock() >= waitUntil) throw error;
          const running = inFlight.get(executionId);
          await (running
            ? Promise.race([running.promise.catch(() => undefined), sleep(waitUntil - clock())])
            : sleep(CALLBACK_PARK_POLL_MS));
        }
      }
    },

    async expireOverdue() {
      await settled(await expireCallbacks({ prisma, pubsub }, now()));
    },

    async cancelForCall(callId) {
      await settled(await cancelAwaitingCallbacks({ prisma, pubsub }, callId, now()));
    },
  };
}

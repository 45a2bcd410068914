/**
 * A tool call that resolved its call just before hangup, and is written just
 * after it, is settled too: the engine is paused between the two (in the rate
 * limiter, which runs in between) while the call ends.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { endCall } from '../../server/calls/call-sessions.ts';
import { createMemoryRateLimiter, type RateLimiter } from '../../server/executions/rate-limiter.ts';
import { startEngineHarness, type EngineHarness } from '../helpers/engine-harness.ts';

let h: EngineHarness;
/** The request the rate limiter holds next: it signals `entered`, then waits for `opened`. */
let pending: { entered: () => void; opened: Promise<void> } | null = null;
let releaseHeld: (() => void) | null = null;

/** Holds the next request between resolving its call and writing its row. */
function holdNext(): { entered: Promise<void>; release(): void } {
  let entered!: () => void;
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  const held = { entered: new Promise<void>((resolve) => (entered = resolve)), release };
  pending = { entered, opened };
  releaseHeld = release;
  return held;
}

beforeAll(async () => {
  const inner = createMemoryRateLimiter();
  const limiter: RateLimiter = {
    kind: 'memory',
    async take(buckets) {
      const current = pending;
      pending = null;
      if (current) {
        current.entered();
        await current.opened;
      }
      return inner.take(buckets);
    },
    connected: () => true,
    close: () => inner.close(),
  };
  h = await startEngineHarness({ rateLimiter: limiter });
});
afterAll(async () => {
  releaseHeld?.();
  await h?.close();
});

async function runAcrossHangup(toolId: string, callSid: string) {
  const held = holdNext();
  const run = h.run({ toolId, parameters: { order_id: 'A-1' }, context: { triggerContext: 'call', callSid } });
  await held.entered;
  await endCall(
    { prisma: h.db.database.prisma, engine: h.engine },
    { organizationId: h.org.id, externalId: callSid, reason: 'hung up' },
  );
  held.release();
  await run;
  return h.db.database.prisma.toolExecution.findFirstOrThrow({
    where: { organizationId: h.org.id, call: { callSid } },
  });
}

test('a running execution written just after hangup ends CANCELLED / CALL_ENDED', async () => {
  const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/slow/20000`, method: 'GET' } });
  const row = await runAcrossHangup(toolId, 'race-running');
  expect(row).toMatchObject({ status: 'CANCELLED', errorCode: 'CALL_ENDED' });
});

test('an approval requested just after hangup ends CANCELLED / CALL_ENDED', async () => {
  const toolId = await h.createTool({ requireConfirmation: true });
  const row = await runAcrossHangup(toolId, 'race-approval');
  expect(row).toMatchObject({ status: 'CANCELLED', errorCode: 'CALL_ENDED' });
});

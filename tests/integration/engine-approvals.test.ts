import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { flush, startEngineHarness, type EngineHarness } from '../helpers/engine-harness.ts';

let h: EngineHarness;

beforeAll(async () => {
  h = await startEngineHarness();
});

afterAll(async () => {
  await h?.close();
});

describe('approvals', () => {
  it('PENDING_APPROVAL waits; approve runs it once', async () => {
    const toolId = await h.createTool({
      requireConfirmation: true,
      configuration: { url: `${h.upstream.base}/echo?approve=1`, method: 'POST' },
    });
    const pending = await h.run({ toolId, parameters: { order_id: 'P-1' } });
    expect(pending.status).toBe('PENDING_APPROVAL');
    const waited = pending.approvalDeadline!.getTime() - pending.startedAt.getTime();
    expect(waited).toBeGreaterThanOrEqual(119_000);
    expect(waited).toBeLessThanOrEqual(121_000);
    expect(h.upstream.hits('/echo?approve=1')).toHaveLength(0);

    const approved = await h.engine.approve(h.actor, pending.id);
    expect(approved).toMatchObject({ id: pending.id, status: 'SUCCESS', decidedById: h.actor.userId });
    // The tool's own time: the wait for the approver is completedAt - startedAt, not its duration.
    expect(approved.durationMs).toBeLessThan(approved.completedAt!.getTime() - approved.startedAt.getTime() + 1);
    expect(h.upstream.hits('/echo?approve=1')).toHaveLength(1);
    expect(JSON.parse(h.upstream.hits('/echo?approve=1')[0]!.body)).toEqual({ order_id: 'P-1' });
    await expect(h.engine.approve(h.actor, pending.id)).rejects.toMatchObject({ name: 'ConflictError' });
    await flush();
    expect(h.events.filter((event) => event.executionId === pending.id).map((event) => event.kind)).toEqual([
      'created',
      'pending_approval',
      'running',
      'finished',
    ]);
  });

  it('reject makes it REJECTED and nothing is sent', async () => {
    const toolId = await h.createTool({
      requireConfirmation: true,
      configuration: { url: `${h.upstream.base}/echo?reject=1`, method: 'POST' },
    });
    const pending = await h.run({ toolId });
    const rejected = await h.engine.reject(h.actor, pending.id, 'not today');
    // Never ran: no duration, so a long wait for a decision never shows as the tool's latency.
    expect(rejected).toMatchObject({ status: 'REJECTED', errorCode: 'REJECTED', durationMs: null });
    expect(rejected.errorMessage).toContain('not today');
    await expect(h.engine.reject(h.actor, pending.id)).rejects.toMatchObject({ name: 'ConflictError' });
    await expect(h.engine.approve(h.actor, pending.id)).rejects.toMatchObject({ name: 'ConflictError' });
    expect(h.upstream.hits('/echo?reject=1')).toHaveLength(0);
  });

  it('no answer before the per-tool approval timeout means REJECTED / APPROVAL_TIMEOUT', async () => {
    const toolId = await h.createTool({
      requireConfirmation: true,
      configuration: { url: `${h.upstream.base}/echo?timeout=1`, method: 'POST', approval_timeout_seconds: 0.3 },
    });
    const pending = await h.run({ toolId });
    expect(pending.approvalDeadline!.getTime() - pending.startedAt.getTime()).toBe(300);
    // The deadline timer fires on its own; wait for its write rather than for a fixed time.
    await vi.waitFor(
      async () => {
        const row = await h.db.database.prisma.toolExecution.findUniqueOrThrow({ where: { id: pending.id } });
        expect(row).toMatchObject({ status: 'REJECTED', errorCode: 'APPROVAL_TIMEOUT', durationMs: null });
      },
      { timeout: 10_000, interval: 50 },
    );
    await expect(h.engine.approve(h.actor, pending.id)).rejects.toMatchObject({ name: 'ConflictError' });
  });

  it('an expiry timer that fires before the deadline by the engine clock waits for it', async () => {
    // A busy event loop runs timers on a cached clock behind the wall clock; here the engine's clock runs
    // at half speed, so every timer fires early by its measure.
    const started = Date.now();
    const slow = h.restart({}, { clock: () => started + (Date.now() - started) / 2 });
    const toolId = await h.createTool({
      requireConfirmation: true,
      configuration: { url: `${h.upstream.base}/echo?slow-clock=1`, method: 'POST', approval_timeout_seconds: 0.2 },
    });
    const pending = await slow.run({
      organizationId: h.actor.organizationId,
      toolId,
      parameters: { order_id: 'A-1' },
      context: { triggerContext: 'call' },
      actor: { userId: h.actor.userId, apiKeyId: null },
    });
    expect(pending.status, pending.errorMessage ?? '').toBe('PENDING_APPROVAL');
    await vi.waitFor(
      async () => {
        const row = await h.db.database.prisma.toolExecution.findUniqueOrThrow({ where: { id: pending.id } });
        expect(row).toMatchObject({ status: 'REJECTED', errorCode: 'APPROVAL_TIMEOUT', durationMs: null });
      },
      { timeout: 10_000, interval: 50 },
    );
  });

  it('a restart does not lose an approval deadline: the start-up sweep expires it', async () => {
    const toolId = await h.createTool({ requireConfirmation: true });
    const overdue = await h.db.database.prisma.toolExecution.create({
      data: {
        organizationId: h.org.id,
        toolId,
        toolName: 'overdue',
        toolVersion: 1,
        inputParameters: {},
        status: 'PENDING_APPROVAL',
        triggerContext: 'call',
        approvalDeadline: new Date(Date.now() - 1_000),
      },
    });
    await h.restart().recoverInterrupted();
    const row = await h.db.database.prisma.toolExecution.findUniqueOrThrow({ where: { id: overdue.id } });
    expect(row).toMatchObject({ status: 'REJECTED', errorCode: 'APPROVAL_TIMEOUT', durationMs: null });
  });

  it('cancelling a pending execution', async () => {
    const toolId = await h.createTool({ requireConfirmation: true });
    const pending = await h.run({ toolId });
    const cancelled = await h.engine.cancel(h.actor, pending.id);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', durationMs: null });
    await expect(h.engine.approve(h.actor, pending.id)).rejects.toMatchObject({ name: 'ConflictError' });
  });

  it('concurrent approvals run the tool once', async () => {
    const toolId = await h.createTool({
      requireConfirmation: true,
      configuration: { url: `${h.upstream.base}/echo?race=1`, method: 'POST' },
    });
    const pending = await h.run({ toolId });
    const results = await Promise.allSettled([
      h.engine.approve(h.actor, pending.id),
      h.engine.approve(h.actor, pending.id),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(h.upstream.hits('/echo?race=1')).toHaveLength(1);
  });
});

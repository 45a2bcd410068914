/**
 * Two engines (instances) on one PostgreSQL database: starting one never
 * touches the other's live executions; one that stops heartbeating has its
 * RUNNING rows taken over within the lease, with a reason that says so, and
 * its own finish, if it comes after all, replaces that guess with the truth.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { INTERRUPTION_MESSAGES } from '../../server/executions/execution-sweeps.ts';
import { TEST_MASTER_KEY } from '../helpers/app.ts';
import { startEngineHarness, type EngineHarness } from '../helpers/engine-harness.ts';

const LEASE_MS = 1_500;
const HEARTBEAT_MS = 200;

let h: EngineHarness;

beforeAll(async () => {
  h = await startEngineHarness({
    database: 'postgresql',
    engine: { exclusive: false, leaseMs: LEASE_MS, heartbeatMs: HEARTBEAT_MS },
  });
  await h.engine.recoverInterrupted();
});

afterAll(async () => {
  await h?.close();
});

describe('instance leases', () => {
  it("starting another instance leaves this instance's RUNNING executions alone", async () => {
    const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/slow/1200`, method: 'GET' } });
    const running = h.run({ toolId });
    await vi.waitUntil(() => h.upstream.hits('/slow/1200').length === 1, { timeout: 10_000, interval: 5 });
    const other = h.restart({ exclusive: false, leaseMs: LEASE_MS, heartbeatMs: HEARTBEAT_MS });
    await other.recoverInterrupted();
    const during = await h.db.database.prisma.toolExecution.findFirstOrThrow({ where: { toolId } });
    expect(during.status).toBe('RUNNING');
    expect(during.instanceId).toBe(h.engine.instanceId);
    const row = await running;
    expect(row.status).toBe('SUCCESS');
    // Nothing but this instance's own finish ever finished it.
    expect(h.events.filter((event) => event.executionId === row.id && event.kind === 'finished')).toEqual([
      expect.objectContaining({ status: 'SUCCESS' }),
    ]);
    await other.close();
  });

  it('a whole app starting on the same PostgreSQL database without Redis leaves them alone too', async () => {
    const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/slow/1500`, method: 'GET' } });
    const running = h.run({ toolId });
    await vi.waitUntil(() => h.upstream.hits('/slow/1500').length === 1, { timeout: 10_000, interval: 5 });
    const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-lease-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_MASTER_KEY: TEST_MASTER_KEY,
      SWITCHBOARD_JS_POOL_SIZE: '0',
      SWITCHBOARD_PYTHON_POOL_SIZE: '0',
    });
    const app = await buildApp(config, { database: h.db.database, logger: pino({ level: 'silent' }) });
    try {
      const during = await h.db.database.prisma.toolExecution.findFirstOrThrow({ where: { toolId } });
      expect(during.status).toBe('RUNNING');
      const row = await running;
      expect(h.events.filter((event) => event.executionId === row.id && event.kind === 'finished')).toEqual([
        expect.objectContaining({ status: 'SUCCESS' }),
      ]);
    } finally {
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('an instance that stops heartbeating has its RUNNING rows taken over within the lease', async () => {
    const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/slow/6000`, method: 'GET' } });
    // Registers, then never heartbeats again: to the others it is a process that died.
    const silent = h.restart({ exclusive: false, leaseMs: LEASE_MS, heartbeatMs: 600_000 });
    await silent.recoverInterrupted();
    const lastHeard = Date.now();
    const running = silent.run({
      organizationId: h.org.id,
      toolId,
      parameters: { order_id: 'A-1' },
      context: { triggerContext: 'call' },
      actor: { userId: h.actor.userId, apiKeyId: null },
    });
    await vi.waitUntil(() => h.upstream.hits('/slow/6000').length === 1, { timeout: 10_000, interval: 5 });
    const taken = await vi.waitUntil(
      async () => {
        const row = await h.db.database.prisma.toolExecution.findFirst({ where: { toolId } });
        return row?.status === 'ERROR' ? row : null;
      },
      { timeout: 10_000, interval: 50 },
    );
    const tookMs = Date.now() - lastHeard;
    expect(taken).toMatchObject({ errorCode: 'INTERRUPTED', errorMessage: INTERRUPTION_MESSAGES.lapsed });
    expect(tookMs).toBeGreaterThanOrEqual(LEASE_MS);
    expect(tookMs).toBeLessThan(LEASE_MS + 3 * HEARTBEAT_MS + 1_000);
    const instance = await h.db.database.prisma.instance.findUniqueOrThrow({ where: { id: silent.instanceId } });
    expect(instance.stoppedAt).not.toBeNull();

    // It was only paused after all: its finish records what really happened.
    const row = await running;
    expect(row.status).toBe('SUCCESS');
    const stored = await h.db.database.prisma.toolExecution.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored).toMatchObject({ status: 'SUCCESS', errorCode: null });
    await silent.close();
  });

  it('an approved execution runs on the approving instance, whichever instance created it', async () => {
    const toolId = await h.createTool({
      requireConfirmation: true,
      configuration: { url: `${h.upstream.base}/slow/700`, method: 'GET' },
    });
    const creator = h.restart({ exclusive: false, leaseMs: LEASE_MS, heartbeatMs: HEARTBEAT_MS });
    await creator.recoverInterrupted();
    const pending = await creator.run({
      organizationId: h.org.id,
      toolId,
      parameters: { order_id: 'A-1' },
      context: { triggerContext: 'call' },
      actor: { userId: h.actor.userId, apiKeyId: null },
    });
    expect(pending.status).toBe('PENDING_APPROVAL');
    await creator.close();
    const approved = h.engine.approve(h.actor, pending.id);
    await vi.waitUntil(() => h.upstream.hits('/slow/700').length === 1, { timeout: 10_000, interval: 5 });
    const third = h.restart({ exclusive: false, leaseMs: LEASE_MS, heartbeatMs: HEARTBEAT_MS });
    await third.sweep();
    const during = await h.db.database.prisma.toolExecution.findUniqueOrThrow({ where: { id: pending.id } });
    expect(during).toMatchObject({ status: 'RUNNING', instanceId: h.engine.instanceId });
    expect((await approved).status).toBe('SUCCESS');
    await third.close();
  });

  it('an instance that stopped with executions still RUNNING has them taken over at once', async () => {
    const prisma = h.db.database.prisma;
    const toolId = await h.createTool();
    const gone = await prisma.instance.create({
      data: { id: crypto.randomUUID(), hostname: 'gone', pid: 1, stoppedAt: new Date() },
    });
    const orphan = await prisma.toolExecution.create({
      data: {
        organizationId: h.org.id,
        toolId,
        toolName: 'orphan',
        toolVersion: 1,
        inputParameters: {},
        status: 'RUNNING',
        triggerContext: 'call',
        instanceId: gone.id,
      },
    });
    await h.engine.sweep();
    expect(await prisma.toolExecution.findUniqueOrThrow({ where: { id: orphan.id } })).toMatchObject({
      status: 'ERROR',
      errorCode: 'INTERRUPTED',
      errorMessage: INTERRUPTION_MESSAGES.stopped,
    });
  });
});

/**
 * This process's identity and lease. Every execution row it inserts carries
 * its id; it heartbeats in PostgreSQL every `heartbeatMs`. Another instance
 * takes over its RUNNING rows (execution-sweeps.ts) only once the lease
 * lapsed (no heartbeat for `leaseMs`) or it stopped, so a rolling deploy never
 * interrupts live executions of its neighbours, with or without Redis.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Prisma } from '../db/database.ts';

export interface InstanceLease {
  readonly id: string;
  /** Registers the instance (or renews it) and starts heartbeating; `onBeat` runs after each heartbeat. */
  start(onBeat: () => Promise<void>): Promise<void>;
  /** Stops heartbeating and records the stop, so others take over what is left at once. */
  stop(): Promise<void>;
}

export function createInstanceLease(input: { prisma: Prisma; logger: Logger; heartbeatMs: number }): InstanceLease {
  const { prisma, logger, heartbeatMs } = input;
  const id = randomUUID();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let beating: Promise<void> = Promise.resolve();

  async function register(): Promise<void> {
    // Database time throughout: instances' clocks may disagree, the database's is one clock.
    await prisma.$executeRaw`
      INSERT INTO "instances" ("id", "hostname", "pid", "started_at", "heartbeat_at")
      VALUES (${id}::uuid, ${hostname()}, ${process.pid}, clock_timestamp(), clock_timestamp())
      ON CONFLICT ("id") DO UPDATE SET "heartbeat_at" = clock_timestamp(), "stopped_at" = NULL`;
  }

  async function heartbeat(): Promise<void> {
    const renewed = await prisma.$executeRaw`
      UPDATE "instances" SET "heartbeat_at" = clock_timestamp() WHERE "id" = ${id}::uuid AND "stopped_at" IS NULL`;
    if (renewed === 0) {
      // Paused past the lease (or the row was removed): others took over what was RUNNING here.
      logger.error({ instance: id }, 'this instance lost its lease; its running executions were taken over');
      await register();
    }
  }

  return {
    id,
    async start(onBeat) {
      if (timer || stopped) return;
      await register();
      timer = setInterval(() => {
        beating = heartbeat()
          .then(onBeat)
          .catch((error: unknown) => logger.warn({ err: error }, 'instance heartbeat failed'));
      }, heartbeatMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await beating;
      await prisma.$executeRaw`UPDATE "instances" SET "stopped_at" = clock_timestamp() WHERE "id" = ${id}::uuid`;
    },
  };
}

/**
 * Hangup → settled: a call with running endpoint executions (held by the
 * upstream) and a pending approval ends; timed from endCall until every
 * execution of the call is final (aborted CANCELLED, approval CANCELLED
 * CALL_ENDED) and verified so in the database. Baseline beside it, in the
 * same run: ending a call that has no executions. Figures only, no pass/fail.
 *
 * BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is
 * where a scratch database is created and dropped. BENCH_HANGUP_CALLS (default
 * 100) calls of BENCH_HANGUP_RUNNING (default 4) running executions each.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../server/app.ts';
import { endCall, startCall } from '../server/calls/call-sessions.ts';
import { openDatabase } from '../server/db/database.ts';
import { benchConfig } from './bench-config.ts';
import { postgresAdmin } from './postgres-admin.ts';
import { loadAverage, machineLine, percentile } from './report.ts';

const CALLS = Number(process.env.BENCH_HANGUP_CALLS ?? 100);
const RUNNING_PER_CALL = Number(process.env.BENCH_HANGUP_RUNNING ?? 4);
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const UNLIMITED = { capacity: 1e9, refillPerSecond: 1e9 };
const FINAL = ['SUCCESS', 'ERROR', 'TIMEOUT', 'CANCELLED', 'RATE_LIMITED', 'REJECTED'] as const;

/** Holds every request; `arrived(n)` resolves once n requests are being held. */
async function startHeldUpstream() {
  const held = new Set<ServerResponse>();
  let count = 0;
  let waiter: { target: number; resolve: () => void } | null = null;
  const server = createServer((req, res) => {
    req.resume();
    held.add(res);
    res.on('close', () => held.delete(res));
    count += 1;
    if (waiter && count >= waiter.target) waiter.resolve();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    arrived: (target: number) =>
      count >= target ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { target, resolve })),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function row(label: string, samples: number[], baselineP50: number, baselineP99: number): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  return `| ${label} | ${sorted.length} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${(p50 / baselineP50).toFixed(1)}× | ${(p99 / baselineP99).toFixed(1)}× |`;
}

export async function runHangupSettle(): Promise<void> {
  const name = `sb_bench_${randomBytes(5).toString('hex')}`;
  await postgresAdmin(ADMIN_URL, `CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const upstream = await startHeldUpstream();
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory://', poolSize: 10 });
  const config = benchConfig(`127.0.0.1:${upstream.port}`);
  const app = await buildApp(config, {
    database,
    engine: { rateLimits: { tool: UNLIMITED, assistant: UNLIMITED, perCall: 1e9 } },
  });
  const { prisma, engine } = app.services;
  try {
    const organization = await prisma.organization.create({
      data: { name: 'Bench', slug: `bench-${randomBytes(4).toString('hex')}` },
    });
    const assistant = await prisma.assistant.create({ data: { organizationId: organization.id, name: 'Bench' } });
    const tool = (toolName: string, requireConfirmation: boolean) =>
      prisma.tool.create({
        data: {
          organizationId: organization.id,
          name: toolName,
          displayName: toolName,
          type: 'ENDPOINT',
          requireConfirmation,
          timeoutSeconds: 300,
          configuration: { url: `http://127.0.0.1:${upstream.port}/hold`, method: 'POST' },
          functionDefinition: { name: toolName, parameters: { type: 'object', properties: {} } },
        },
      });
    const slow = await tool('slow_booking', false);
    const approval = await tool('refund', true);
    await prisma.assistantTool.createMany({
      data: [slow, approval].map((assigned) => ({ assistantId: assistant.id, toolId: assigned.id })),
    });
    const actor = { userId: null, apiKeyId: null };
    const deps = { prisma, engine };
    const run = (toolId: string, callSid: string) =>
      engine.run({
        organizationId: organization.id,
        toolId,
        assistantId: assistant.id,
        parameters: {},
        context: { callSid, triggerContext: 'call' },
        actor,
      });

    const baseline: number[] = [];
    const loaded: number[] = [];
    let held = 0;
    for (let i = 0; i < CALLS; i += 1) {
      // Baseline: a call without executions.
      const empty = `bench-empty-${i}`;
      await startCall(deps, { organizationId: organization.id, externalId: empty, platform: 'API' });
      const emptyStarted = performance.now();
      await endCall(deps, { organizationId: organization.id, externalId: empty });
      baseline.push(performance.now() - emptyStarted);

      const callSid = `bench-call-${i}`;
      const pending = await run(approval.id, callSid);
      if (pending.status !== 'PENDING_APPROVAL') throw new Error(`the approval is ${pending.status}`);
      const running = Array.from({ length: RUNNING_PER_CALL }, () => run(slow.id, callSid));
      held += RUNNING_PER_CALL;
      await upstream.arrived(held);
      const started = performance.now();
      await endCall(deps, { organizationId: organization.id, externalId: callSid });
      const settled = await Promise.all(running);
      const open = await prisma.toolExecution.count({
        where: { organizationId: organization.id, call: { callSid }, status: { notIn: [...FINAL] } },
      });
      loaded.push(performance.now() - started);
      if (open > 0 || settled.some((execution) => execution.status !== 'CANCELLED'))
        throw new Error(`call ${callSid} did not settle`);
    }

    const base = [...baseline].sort((a, b) => a - b);
    const baseP50 = percentile(base, 50);
    const baseP99 = percentile(base, 99);
    const version = await database.sql.query<{ server_version: string }>('SHOW server_version');
    console.log(
      `## Hangup → settled (${CALLS} calls, ${RUNNING_PER_CALL} running endpoint executions + 1 pending approval each)`,
    );
    console.log(machineLine());
    console.log(
      `node:     ${process.version}; database: PostgreSQL ${version[0]?.server_version}; load ${loadAverage()}`,
    );
    console.log('timed: endCall until every execution of the call is final and counted so in the database');
    console.log('');
    console.log('| call ended | calls | p50 ms | p99 ms | p50 / baseline | p99 / baseline |');
    console.log('|---|---|---|---|---|---|');
    console.log(row('no executions (baseline)', baseline, baseP50, baseP99));
    console.log(row(`${RUNNING_PER_CALL} running + 1 pending approval`, loaded, baseP50, baseP99));
    console.log('');
  } finally {
    await app.stop();
    await database.close();
    await upstream.close();
    await postgresAdmin(ADMIN_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

if (import.meta.main) await runHangupSettle();

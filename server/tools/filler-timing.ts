/**
 * `requestDelayed.afterMs: "auto"`: when (and whether) a tool's filler is spoken,
 * from its observed latency.
 *
 * Evidence: across languages the typical gap between conversational turns is
 * about 200 ms, most within 0–700 ms (Stivers et al. 2009, PNAS 106(26)); a
 * silence approaching one second is where speakers start treating it as
 * trouble (Jefferson 1989's "standard maximum" of ~1 s; Roberts, Francis &
 * Morgan 2006 found listeners judge silences from ~600–700 ms on as a sign of
 * trouble), and past ~2 s a voice agent sounds broken. A voice platform adds its
 * own LLM and TTS time on top of the tool's, so:
 *
 * - p95 under NOTICE_THRESHOLD_MS (1 s): callers do not notice the tool; no filler.
 * - otherwise the filler comes at clamp(p50, 1000, 2000) ms: not before the wait
 *   is noticeable, at the median when that is within the tolerable range (so half
 *   of the calls end before it and skip it), and never later than the 2 s mark.
 * - fewer than MIN_OBSERVATIONS recent runs: DEFAULT_AUTO_DELAY_MS (1 s), the
 *   point where any wait starts to be noticed.
 */
import { LRUCache } from 'lru-cache';
import type { Prisma } from '../db/database.ts';
import { AUTO_DELAY, type ServedToolMessages, type ToolMessages } from './tool-messages.ts';

export const NOTICE_THRESHOLD_MS = 1_000;
export const MIN_AUTO_DELAY_MS = 1_000;
export const MAX_AUTO_DELAY_MS = 2_000;
export const DEFAULT_AUTO_DELAY_MS = 1_000;
export const MIN_OBSERVATIONS = 20;
/** The latency looked at: the latest runs of the last week, at most this many. */
export const LATENCY_WINDOW_DAYS = 7;
export const LATENCY_SAMPLE_LIMIT = 500;
const CACHE_TTL_MS = 60_000;
/** Entries are a few numbers keyed by a UUID, so the count bounds the bytes. */
const CACHE_MAX_TOOLS = 10_000;

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? 0;
}

export function summarizeLatency(durationsMs: number[]): LatencySummary {
  const sorted = [...durationsMs].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
}

/** The delay in ms for `auto`, or null when no filler should be spoken. */
export function autoDelayMs(latency: LatencySummary): number | null {
  if (latency.count < MIN_OBSERVATIONS) return DEFAULT_AUTO_DELAY_MS;
  if (latency.p95 < NOTICE_THRESHOLD_MS) return null;
  return Math.round(Math.min(MAX_AUTO_DELAY_MS, Math.max(MIN_AUTO_DELAY_MS, latency.p50)));
}

/** Latency of a tool's recent finished runs (SUCCESS and ERROR: what the caller waited through). */
export function createLatencyStats(prisma: Prisma, clock: () => number = Date.now) {
  const cache = new LRUCache<string, LatencySummary>({ max: CACHE_MAX_TOOLS, ttl: CACHE_TTL_MS });
  return async function latencyOf(toolId: string): Promise<LatencySummary> {
    const cached = cache.get(toolId);
    if (cached) return cached;
    const rows = await prisma.toolExecution.findMany({
      where: {
        toolId,
        status: { in: ['SUCCESS', 'ERROR'] },
        startedAt: { gte: new Date(clock() - LATENCY_WINDOW_DAYS * 86_400_000) },
        durationMs: { not: null },
      },
      orderBy: { startedAt: 'desc' },
      take: LATENCY_SAMPLE_LIMIT,
      select: { durationMs: true },
    });
    const summary = summarizeLatency(rows.flatMap((row) => (row.durationMs === null ? [] : [row.durationMs])));
    cache.set(toolId, summary);
    return summary;
  };
}

export type LatencyOf = ReturnType<typeof createLatencyStats>;

/** The messages as served: an `auto` delay resolved, or the delayed message dropped when nobody would wait for it. */
export async function servedMessages(
  messages: ToolMessages | null,
  toolId: string | null,
  latencyOf: LatencyOf,
): Promise<ServedToolMessages | null> {
  if (!messages) return null;
  const { requestDelayed, ...rest } = messages;
  if (!requestDelayed) return rest;
  if (requestDelayed.afterMs !== AUTO_DELAY)
    return { ...rest, requestDelayed: { ...requestDelayed, afterMs: requestDelayed.afterMs } };
  const afterMs = toolId ? autoDelayMs(await latencyOf(toolId)) : DEFAULT_AUTO_DELAY_MS;
  const served: ServedToolMessages =
    afterMs === null ? rest : { ...rest, requestDelayed: { ...requestDelayed, afterMs } };
  return Object.keys(served).length ? served : null;
}

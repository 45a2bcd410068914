/**
 * The REPORT line Lambda appends to an invocation's log tail, and the price of
 * the invocation it describes. Pure: logs in, numbers out; anything that does
 * not read as a real REPORT line gives null rather than a guess.
 *
 * Format (tab-separated): `REPORT RequestId: <id>	Duration: 12.34 ms	Billed Duration: 13 ms
 * Memory Size: 128 MB	Max Memory Used: 70 MB	Init Duration: 150.12 ms`, Init Duration only on
 * a cold start; SnapStart functions add `Restore Duration` and `Billed Restore Duration`.
 */
import type { ResourceUsage } from './types.ts';

export interface LambdaReport {
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  initDurationMs?: number;
  restoreDurationMs?: number;
  billedRestoreDurationMs?: number;
}

export interface LambdaPrices {
  /** US dollars per GB-second (GB = 1024 MB, as AWS bills). */
  perGbSecond: number;
  /** US dollars per invocation. */
  perRequest: number;
}

/** AWS's public x86 prices (us-east-1, first tier). */
export const DEFAULT_LAMBDA_PRICES: LambdaPrices = { perGbSecond: 0.0000166667, perRequest: 0.0000002 };

/** A longer line is not Lambda's (the whole tail is at most 4 KB); it is not scanned. */
const MAX_REPORT_LINE_CHARS = 1024;
/** Lambda's own limits: 15 minutes, 10 240 MB; beyond them the line is not believed. */
const MAX_DURATION_MS = 15 * 60 * 1000;
const MAX_INIT_MS = 15 * 60 * 1000;
const MAX_MEMORY_MB = 10_240;
const NANO_PER_USD = 1e9;

const NUMBER = String.raw`(\d{1,9}(?:\.\d{1,6})?)`;

function field(line: string, name: string, unit: 'ms' | 'MB'): number | undefined {
  const match = new RegExp(String.raw`(?:^|\t)${name}: ${NUMBER} ${unit}(?=\s|$)`).exec(line);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function within(value: number | undefined, max: number): value is number {
  return value !== undefined && Number.isFinite(value) && value >= 0 && value <= max;
}

/** The last REPORT line of a log tail, or null when there is none or it does not parse. */
export function parseLambdaReport(lines: readonly string[] | undefined): LambdaReport | null {
  if (!lines) return null;
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const line = lines[index] ?? '';
    if (!line.startsWith('REPORT RequestId: ')) continue;
    if (line.length > MAX_REPORT_LINE_CHARS) return null;
    const durationMs = field(line, 'Duration', 'ms');
    const billedDurationMs = field(line, 'Billed Duration', 'ms');
    const memorySizeMb = field(line, 'Memory Size', 'MB');
    const maxMemoryUsedMb = field(line, 'Max Memory Used', 'MB');
    if (
      !within(durationMs, MAX_DURATION_MS) ||
      !within(billedDurationMs, MAX_DURATION_MS) ||
      !within(memorySizeMb, MAX_MEMORY_MB) ||
      !within(maxMemoryUsedMb, MAX_MEMORY_MB)
    ) {
      return null;
    }
    const initDurationMs = field(line, 'Init Duration', 'ms');
    const restoreDurationMs = field(line, 'Restore Duration', 'ms');
    const billedRestoreDurationMs = field(line, 'Billed Restore Duration', 'ms');
    return {
      durationMs,
      billedDurationMs,
      memorySizeMb,
      maxMemoryUsedMb,
      ...(within(initDurationMs, MAX_INIT_MS) && { initDurationMs }),
      ...(within(restoreDurationMs, MAX_INIT_MS) && { restoreDurationMs }),
      ...(within(billedRestoreDurationMs, MAX_INIT_MS) && { billedRestoreDurationMs }),
    };
  }
  return null;
}

/** GB-seconds billed (restore time of SnapStart included) × price, plus the request price, in nano-dollars. */
export function estimateCostNanoUsd(report: LambdaReport, prices: LambdaPrices): number {
  const billedSeconds = (report.billedDurationMs + (report.billedRestoreDurationMs ?? 0)) / 1000;
  const gigabytes = report.memorySizeMb / 1024;
  return Math.round((billedSeconds * gigabytes * prices.perGbSecond + prices.perRequest) * NANO_PER_USD);
}

/** What the execution records from a REPORT line. */
export function reportUsage(report: LambdaReport, prices: LambdaPrices): ResourceUsage {
  return {
    billedDurationMs: Math.round(report.billedDurationMs),
    memorySizeMb: Math.round(report.memorySizeMb),
    maxMemoryUsedMb: Math.round(report.maxMemoryUsedMb),
    ...(report.initDurationMs !== undefined && { initDurationMs: Math.round(report.initDurationMs) }),
    estimatedCostNanoUsd: estimateCostNanoUsd(report, prices),
  };
}

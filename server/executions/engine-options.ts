/**
 * The engine's tunables and their defaults. Defaults stop runaway loops
 * without throttling normal traffic: an assistant serves many concurrent
 * calls, but one call needs a tool only a few times.
 */
import { DEFAULT_CIRCUIT_BREAKER, type CircuitBreakerOptions } from './circuit-breaker.ts';
import { DEFAULT_OUTPUT_LIMITS, type OutputLimits } from './result-normalizer.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from './retry.ts';

export interface BucketDefaults {
  capacity: number;
  refillPerSecond: number;
}

export interface EngineOptions {
  approvalTimeoutSeconds: number;
  /** How often pending approvals past their deadline and abandoned RUNNING rows are swept. */
  sweepIntervalMs: number;
  /**
   * This process is the only one writing executions (embedded PGlite): at start-up
   * every RUNNING row of another instance is an orphan. When false, only rows of
   * instances that stopped or whose lease lapsed are (instance-lease.ts).
   */
  exclusive: boolean;
  /** An instance without a heartbeat for this long has lapsed: another takes over its RUNNING rows. */
  leaseMs: number;
  /** How often this instance renews its lease and looks for lapsed ones. */
  heartbeatMs: number;
  /** Extra time beyond a tool's timeout before a row whose instance is unknown is called abandoned. */
  staleGraceMs: number;
  /**
   * How long a caller waits for its finished execution to be stored while the
   * database refuses it; the write is retried beyond that, the caller gets an error.
   */
  finishAnswerMs: number;
  rateLimits: { tool: BucketDefaults; assistant: BucketDefaults; perCall: number; test: BucketDefaults };
  circuitBreaker: CircuitBreakerOptions;
  backoff: BackoffOptions;
  output: OutputLimits;
  /** How long an executor that ignores its aborted signal is waited for before the engine records the timeout itself. */
  abortGraceMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  approvalTimeoutSeconds: 120,
  sweepIntervalMs: 10_000,
  exclusive: true,
  leaseMs: 10_000,
  heartbeatMs: 2_000,
  staleGraceMs: 60_000,
  finishAnswerMs: 15_000,
  rateLimits: {
    tool: { capacity: 500, refillPerSecond: 250 },
    assistant: { capacity: 1_000, refillPerSecond: 500 },
    perCall: 30,
    test: { capacity: 30, refillPerSecond: 1 },
  },
  circuitBreaker: DEFAULT_CIRCUIT_BREAKER,
  backoff: DEFAULT_BACKOFF,
  output: DEFAULT_OUTPUT_LIMITS,
  abortGraceMs: 250,
};

export type EngineOptionsInput = Partial<Omit<EngineOptions, 'rateLimits'>> & {
  rateLimits?: Partial<EngineOptions['rateLimits']>;
};

export function mergeOptions(input: EngineOptionsInput | undefined): EngineOptions {
  return {
    ...DEFAULT_ENGINE_OPTIONS,
    ...input,
    rateLimits: { ...DEFAULT_ENGINE_OPTIONS.rateLimits, ...input?.rateLimits },
  };
}

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
   * This process is the only one writing executions (embedded mode): at start-up
   * every RUNNING row is an orphan. When false, only rows past their deadline are.
   */
  exclusive: boolean;
  /** Extra time beyond a tool's timeout before another instance may call its row abandoned. */
  staleGraceMs: number;
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
  staleGraceMs: 60_000,
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

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LAMBDA_PRICES,
  estimateCostNanoUsd,
  parseLambdaReport,
  reportUsage,
} from '../../server/executors/lambda-report.ts';

const ID = '3604209a-e9a3-11e6-939a-754dd98c7be3';
const COLD = `REPORT RequestId: ${ID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 150.12 ms\t`;
const WARM = `REPORT RequestId: ${ID}\tDuration: 2.01 ms\tBilled Duration: 3 ms\tMemory Size: 1024 MB\tMax Memory Used: 88 MB\t`;
const SNAPSTART = `REPORT RequestId: ${ID}\tDuration: 30.00 ms\tBilled Duration: 31 ms\tMemory Size: 512 MB\tMax Memory Used: 120 MB\tRestore Duration: 474.16 ms\tBilled Restore Duration: 75 ms\t`;
const XRAY = `${WARM}\nXRAY TraceId: 1-5e1b4151-5ac6c58f5a7e1d5c3e2f1a0b\tSegmentId: 1a2b3c4d5e6f7a8b\tSampled: true`;

describe('parseLambdaReport', () => {
  it('reads a cold start with Init Duration', () => {
    expect(
      parseLambdaReport([`START RequestId: ${ID} Version: $LATEST`, 'hello', `END RequestId: ${ID}`, COLD]),
    ).toEqual({
      durationMs: 12.34,
      billedDurationMs: 13,
      memorySizeMb: 128,
      maxMemoryUsedMb: 70,
      initDurationMs: 150.12,
    });
  });

  it('reads a warm invocation without Init Duration, and the REPORT line before an XRAY line', () => {
    expect(parseLambdaReport([WARM])).toEqual({
      durationMs: 2.01,
      billedDurationMs: 3,
      memorySizeMb: 1024,
      maxMemoryUsedMb: 88,
    });
    expect(parseLambdaReport(XRAY.split('\n'))).toMatchObject({ billedDurationMs: 3 });
  });

  it('reads SnapStart restore durations and bills the restore', () => {
    const report = parseLambdaReport([SNAPSTART]);
    expect(report).toMatchObject({ restoreDurationMs: 474.16, billedRestoreDurationMs: 75, billedDurationMs: 31 });
    expect(report?.initDurationMs).toBeUndefined();
    const withoutRestore = { ...report!, billedRestoreDurationMs: undefined };
    expect(estimateCostNanoUsd(report!, DEFAULT_LAMBDA_PRICES)).toBeGreaterThan(
      estimateCostNanoUsd(withoutRestore, DEFAULT_LAMBDA_PRICES),
    );
  });

  it('refuses malformed, partial, impossible and huge lines', () => {
    expect(parseLambdaReport(undefined)).toBeNull();
    expect(parseLambdaReport([])).toBeNull();
    expect(parseLambdaReport(['START RequestId: x', 'END RequestId: x'])).toBeNull();
    expect(parseLambdaReport([`REPORT RequestId: ${ID}\tDuration: 12.34 ms\tBilled Duration: 13 ms`])).toBeNull();
    expect(parseLambdaReport([WARM.replace('3 ms', 'three ms')])).toBeNull();
    expect(parseLambdaReport([WARM.replace('Memory Size: 1024 MB', 'Memory Size: 99999999 MB')])).toBeNull();
    expect(parseLambdaReport([WARM.replace('Billed Duration: 3 ms', 'Billed Duration: -3 ms')])).toBeNull();
    expect(parseLambdaReport([`${WARM}${'x'.repeat(100_000)}`])).toBeNull();
    // A function printing a fake REPORT line does not win over the real, last one.
    expect(parseLambdaReport([WARM.replace('3 ms', '900 ms'), COLD])).toMatchObject({ billedDurationMs: 13 });
  });
});

describe('estimateCostNanoUsd', () => {
  it('prices GB-seconds plus the request', () => {
    // 13 ms × 0.125 GB × $0.0000166667 + $0.0000002 = $2.2708e-7
    const report = parseLambdaReport([COLD])!;
    expect(estimateCostNanoUsd(report, DEFAULT_LAMBDA_PRICES)).toBe(227);
    expect(estimateCostNanoUsd(report, { perGbSecond: 0.00001, perRequest: 0 })).toBe(16);
    expect(reportUsage(report, DEFAULT_LAMBDA_PRICES)).toEqual({
      billedDurationMs: 13,
      memorySizeMb: 128,
      maxMemoryUsedMb: 70,
      initDurationMs: 150,
      estimatedCostNanoUsd: 227,
    });
  });
});

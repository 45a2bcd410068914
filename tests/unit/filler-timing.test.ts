import { describe, expect, test } from 'vitest';
import {
  autoDelayMs,
  DEFAULT_AUTO_DELAY_MS,
  MIN_OBSERVATIONS,
  servedMessages,
  summarizeLatency,
  type LatencyOf,
} from '../../server/tools/filler-timing.ts';
import { checkToolMessages } from '../../server/tools/tool-messages.ts';

const repeat = (value: number, times: number) => Array.from({ length: times }, () => value);

describe('auto filler timing', () => {
  test('nearest-rank p50 and p95', () => {
    const latency = summarizeLatency([...Array.from({ length: 100 }, (_, index) => index + 1)].reverse());
    expect(latency).toEqual({ count: 100, p50: 50, p95: 95 });
  });

  test('a tool whose p95 is under a second gets no filler', () => {
    expect(autoDelayMs(summarizeLatency([...repeat(300, 95), ...repeat(990, 5)]))).toBeNull();
  });

  test('a slow tail speaks the filler at one second when most calls are fast', () => {
    expect(autoDelayMs(summarizeLatency([...repeat(300, 90), ...repeat(4_000, 10)]))).toBe(1_000);
  });

  test('a median between one and two seconds is the delay; slower tools speak at two seconds', () => {
    expect(autoDelayMs(summarizeLatency(repeat(1_500, 40)))).toBe(1_500);
    expect(autoDelayMs(summarizeLatency(repeat(9_000, 40)))).toBe(2_000);
  });

  test('too few observations give the documented default', () => {
    expect(autoDelayMs(summarizeLatency(repeat(50, MIN_OBSERVATIONS - 1)))).toBe(DEFAULT_AUTO_DELAY_MS);
    expect(autoDelayMs(summarizeLatency([]))).toBe(DEFAULT_AUTO_DELAY_MS);
  });

  test('served messages resolve auto, drop a filler nobody would hear, and keep fixed delays', async () => {
    const fast: LatencyOf = async () => summarizeLatency(repeat(100, 50));
    const slow: LatencyOf = async () => summarizeLatency(repeat(1_200, 50));
    const messages = {
      requestStart: 'One moment.',
      requestDelayed: { message: 'Still on it.', afterMs: 'auto' as const },
    };
    expect(await servedMessages(messages, 'tool', fast)).toEqual({ requestStart: 'One moment.' });
    expect(await servedMessages(messages, 'tool', slow)).toEqual({
      requestStart: 'One moment.',
      requestDelayed: { message: 'Still on it.', afterMs: 1_200 },
    });
    expect(await servedMessages({ requestDelayed: { message: 'Hm.', afterMs: 'auto' } }, 'tool', fast)).toBeNull();
    const fixed = { requestDelayed: { message: 'Hm.', afterMs: 2_500 } };
    expect(await servedMessages(fixed, 'tool', fast)).toEqual(fixed);
  });

  test('afterMs accepts "auto" and integers; other text is refused', () => {
    expect(checkToolMessages({ requestDelayed: { message: 'Hm.', afterMs: 'auto' } })).toEqual({
      requestDelayed: { message: 'Hm.', afterMs: 'auto' },
    });
    expect(() => checkToolMessages({ requestDelayed: { message: 'Hm.', afterMs: 'soon' } })).toThrow(/afterMs/);
    expect(() => checkToolMessages({ requestDelayed: { message: 'Hm.', afterMs: 1.5 } })).toThrow(/afterMs/);
  });
});

import fc from 'fast-check';
import {
  BATCHES_PER_WAVE,
  failureBudgetExceeded,
  MAX_POLL_INTERVAL_MS,
  MIN_FAILURE_SAMPLE,
  nextPollDelayMs,
  splitIntoWaves,
} from '../../src/domain/workflow';

describe('workflow decisions', () => {
  it('backs off from the poll interval, doubling up to one hour', () => {
    expect([0, 1, 2, 3].map((attempt) => nextPollDelayMs(60_000, attempt))).toEqual([
      60_000, 120_000, 240_000, 480_000,
    ]);
    expect(nextPollDelayMs(60_000, 10)).toBe(MAX_POLL_INTERVAL_MS);
    // A poll interval longer than the cap is honoured as given.
    expect(nextPollDelayMs(2 * MAX_POLL_INTERVAL_MS, 5)).toBe(2 * MAX_POLL_INTERVAL_MS);
  });

  it('never lets one early failure stop a run, then enforces the rate', () => {
    expect(failureBudgetExceeded(1, 1, 0.2)).toBe(false);
    expect(failureBudgetExceeded(MIN_FAILURE_SAMPLE - 1, MIN_FAILURE_SAMPLE - 1, 0.2)).toBe(false);
    expect(failureBudgetExceeded(100, 20, 0.2)).toBe(false);
    expect(failureBudgetExceeded(100, 21, 0.2)).toBe(true);
  });

  it('splits batches into waves that cover every batch and user exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 500 }), (sizes) => {
        const waves = splitIntoWaves(sizes);
        expect(waves.reduce((n, wave) => n + wave.batchCount, 0)).toBe(sizes.length);
        expect(waves.reduce((n, wave) => n + wave.users, 0)).toBe(sizes.reduce((n, size) => n + size, 0));
        waves.forEach((wave, index) => {
          expect(wave.wave).toBe(index);
          expect(wave.batchCount).toBeLessThanOrEqual(BATCHES_PER_WAVE);
          expect(wave.firstBatch).toBe(index * BATCHES_PER_WAVE);
        });
      }),
    );
  });
});

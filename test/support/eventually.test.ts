import { describe, expect, it } from 'vitest';
import { eventually, testTimeLeftMs } from './stack.js';

describe('eventually', () => {
  it('is cut to what its test has left, failing with its own message rather than the runner\'s timeout', async () => {
    expect(testTimeLeftMs()).toBeLessThanOrEqual(6000);
    expect(testTimeLeftMs()).toBeGreaterThan(4000);
    await expect(eventually('a thing that never comes', async () => Promise.resolve(undefined), 60_000))
      .rejects.toThrow(/^timed out after \ds \(cut from 60s to what its test had left: raise the test's timeout\) waiting for a thing that never comes$/);
  }, 6000);

  it('keeps its own bound when the test has more time', async () => {
    await expect(eventually('a quick thing', async () => Promise.resolve(undefined), 500)).rejects.toThrow(/^timed out after 1s waiting for a quick thing$/);
    expect(await eventually('a value', async () => Promise.resolve(42), 500)).toBe(42);
  });
});

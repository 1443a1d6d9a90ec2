import { describe, expect, it } from 'vitest';
import { CrowdSlot } from './stack-control.js';

describe('the crowd slot', () => {
  it('lets one holder in at a time, and the next in as soon as it is given back', async () => {
    const slot = new CrowdSlot();
    expect(await slot.take('a', 0)).toBe(true);
    expect(await slot.take('a', 0)).toBe(true); // asked again by its holder
    expect(await slot.take('b', 50)).toBe(false); // not yet: ask again
    const waiting = slot.take('b', 10_000);
    slot.give('b'); // not b's to give
    slot.give('a');
    expect(await waiting).toBe(true);
    expect(await slot.take('a', 0)).toBe(false);
  });

  it('takes the slot from a holder that never gave it back, once its lease has run out', async () => {
    let now = 0;
    const slot = new CrowdSlot();
    expect(await slot.take('dead', 0, () => now)).toBe(true);
    expect(await slot.take('next', 0, () => now)).toBe(false);
    now += 15 * 60_000;
    expect(await slot.take('next', 0, () => now)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { compareText } from './text-order.js';

describe('compareText', () => {
  it('orders by code unit, as JSON keys and Kubernetes names compare, not by locale', () => {
    // ICU's collation would put 'a' before 'B' and ignore nothing here; code units put 'B' (0x42) first.
    expect(['b', 'a', 'B', 'a-c', 'ab'].sort(compareText)).toEqual(['B', 'a', 'a-c', 'ab', 'b']);
  });

  it('orders RFC 3339 times by time, and says equal for equal strings', () => {
    expect(compareText('2026-12-02T07:00:00Z', '2026-12-02T10:00:00Z')).toBe(-1);
    expect(compareText('2027-01-01T00:00:00Z', '2026-12-31T23:59:59Z')).toBe(1);
    expect(compareText('x', 'x')).toBe(0);
  });
});

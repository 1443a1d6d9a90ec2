import { describe, expect, it } from 'vitest';
import { StringInterner } from './intern.js';

describe('StringInterner', () => {
  // JavaScript cannot tell two equal strings apart, so these tests read the table; that the copies
  // are gone shows in the heap (make bench, hack/bench/heap-diff.ts).
  it('keeps one entry per value, however many parsed objects carry it, nested in maps and lists', () => {
    const interner = new StringInterner();
    const a = interner.internAll(JSON.parse('{"metadata":{"labels":{"app.kubernetes.io/managed-by":"gaim-operator"}},"spec":{"accessModes":["ReadWriteOnce"]}}') as Record<string, unknown>);
    const b = interner.internAll(JSON.parse('{"metadata":{"labels":{"app.kubernetes.io/managed-by":"gaim-operator"}},"spec":{"accessModes":["ReadWriteOnce"]}}') as Record<string, unknown>);
    expect(b).toEqual(a);
    expect(interner.size).toBe(2);
  });

  it('keeps numbers, booleans and nulls as they are, and leaves long strings alone', () => {
    const interner = new StringInterner();
    const long = 'x'.repeat(300);
    const value = interner.internAll({ n: 1, b: true, z: null, long, list: [1, 'a', { c: 'a' }] });
    expect(value).toEqual({ n: 1, b: true, z: null, long, list: [1, 'a', { c: 'a' }] });
    expect(interner.size).toBe(1);
  });

  it('forgets values that never repeat, generation by generation, so the table stays bounded', () => {
    const interner = new StringInterner(3);
    for (let i = 0; i < 100; i++) interner.intern(`uid-${String(i)}`);
    expect(interner.size).toBeLessThanOrEqual(6);
  });

  it('keeps a value that repeats across generations, and leaves resource versions out', () => {
    const interner = new StringInterner(3);
    interner.intern('gaim-operator');
    for (let i = 0; i < 3; i++) interner.intern(`uid-${String(i)}`); // 'gaim-operator' is in the old generation now
    interner.intern('gaim-operator'); // ... and moves to the current one
    for (let i = 3; i < 5; i++) interner.intern(`uid-${String(i)}`); // the generation that held uid-0 and uid-1 goes
    expect(interner.remembers('gaim-operator')).toBe(true);
    expect(interner.remembers('uid-0')).toBe(false);
    interner.internAll({ metadata: { resourceVersion: '123' } });
    expect(interner.remembers('123')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { age, field, humanDuration, relative, table, truncate, wrap } from './format.js';

describe('humanDuration', () => {
  // The cases of k8s.io/apimachinery's duration_test.go (TestHumanDuration), so ages read as kubectl's.
  it.each([
    [-3, '<invalid>'], [-1, '0s'], [0, '0s'], [1, '1s'], [119, '119s'], [120, '2m'], [121, '2m1s'], [599, '9m59s'],
    [600, '10m'], [3599, '59m'], [10799, '179m'], [10800, '3h'], [10860, '3h1m'], [28799, '7h59m'], [28800, '8h'],
    [172799, '47h'], [172800, '2d'], [176400, '2d1h'], [691199, '7d23h'], [691200, '8d'], [63071999, '729d'],
    [63072000, '2y'], [63158400, '2y1d'], [252287999, '7y364d'], [252288000, '8y'],
  ])('%i s reads %s', (seconds, text) => { expect(humanDuration(seconds * 1000)).toBe(text); });
});

describe('age and relative', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  it.each<[string | undefined, string]>([
    ['2025-06-01T11:57:00Z', '3m'], ['2025-06-01T11:59:59.5Z', '0s'], [undefined, '?'], ['yesterday', '?'],
  ])('age of %s is %s', (iso, text) => { expect(age(iso, now)).toBe(text); });

  it.each([['2025-06-01T12:00:40Z', 'in 40s'], ['2025-06-01T11:59:20Z', '40s ago'], ['never', '?']])('%s is %s', (iso, text) => {
    expect(relative(iso, now)).toBe(text);
  });
});

describe('text within a width', () => {
  it.each([['short', 10, 'short'], ['exactly ten', 11, 'exactly ten'], ['a longer message', 8, 'a longe…'], ['two\n  lines', 20, 'two lines']])(
    'truncates %j to %i characters', (text, max, cut) => {
      expect(truncate(text, max)).toBe(cut);
      expect(truncate(text, max).length).toBeLessThanOrEqual(max);
    });

  it('wraps at spaces, keeping a word longer than the width whole', () => {
    expect(wrap('cannot seed lancedb: the share at /data/stage does not support hard links', 30))
      .toEqual(['cannot seed lancedb: the share', 'at /data/stage does not', 'support hard links']);
    expect(wrap('gaims/660e8400-e29b-41d4-a716-446655440001 x', 10)).toEqual(['gaims/660e8400-e29b-41d4-a716-446655440001', 'x']);
    expect(wrap('', 10)).toEqual(['']);
  });

  it('aligns columns two spaces apart and cuts only the last one to the width', () => {
    const lines = table(['TYPE', 'STATUS', 'MESSAGE'], [['Ready', 'True', 'all stores ready and seeded'], ['MongoDBReady', 'False', 'x']], 40);
    expect(lines).toEqual([
      'TYPE          STATUS  MESSAGE',
      'Ready         True    all stores ready …',
      'MongoDBReady  False   x',
    ]);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(40);
  });

  it('lets a short row\'s last cell span the columns it lacks, without widening them', () => {
    expect(table(['ENV', 'LENGTH', 'LAG'], [['stage', '42', '7'], ['prod', 'not sampled yet']], 100, { cutLast: false })).toEqual([
      'ENV    LENGTH  LAG',
      'stage  42      7',
      'prod   not sampled yet',
    ]);
  });

  it('keeps a stub of the last column when the figures alone fill the line', () => {
    expect(table(['A', 'B'], [['x'.repeat(50), 'a note that will not fit at all']], 40)[1]).toBe(`${'x'.repeat(50)}  a note that wil…`);
  });

  it('labels a value, continuation lines indented under it', () => {
    expect(field('Message', ['first', 'second'], 15)).toEqual(['Message:       first', '               second']);
    expect(field('Error', '', 15)).toEqual(['Error:']);
  });
});

// Read by vitest.config.ts (its workers) and the global setup (its stacks), which must agree.

/**
 * How many stacks, and so how many integration files at once: GAIM_TEST_STACKS, by default 3. Each
 * file has a whole control plane and its stores to itself (a file never shares an API server with a
 * file running beside it), so files run side by side without stepping on each other's cluster-scoped
 * objects, leader Leases or store partitions; most of a file's time is spent waiting on controllers,
 * not computing, which is why two stacks on two cores took 17.8 minutes where one took 38, and three
 * 15.6 where two took 18.8 on another machine (docs/testing.md gives the figures).
 */
export function testStackCount(): number {
  const raw = process.env['GAIM_TEST_STACKS'] ?? '3';
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 8) throw new Error(`GAIM_TEST_STACKS must be a whole number from 1 to 8, got ${JSON.stringify(raw)}`);
  return count;
}

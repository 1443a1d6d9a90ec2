// What grows in the operator's heap with the number of Gaims: two V8 heap snapshots (taken with
// `--heapsnapshot-signal=SIGUSR2` at two Gaim counts) summed by node type and constructor name,
// self sizes only, and the difference printed per Gaim. Self sizes miss what an object keeps alive,
// but at 1,000 Gaims what grows per Gaim is many small objects of a few kinds, and the kind is the
// clue (a cached field, a memo, a metric series).
//
//   node --import tsx hack/bench/heap-diff.ts A.heapsnapshot B.heapsnapshot GAIMS_A GAIMS_B
import { readFile } from 'node:fs/promises';

interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: string[]; readonly node_types: [string[], ...unknown[]] } };
  readonly nodes: number[];
  readonly strings: string[];
}

/** Self size and count per `type:name`; strings are summed under their type, not by content. */
async function summarize(path: string): Promise<Map<string, { bytes: number; count: number }>> {
  const data = JSON.parse(await readFile(path, 'utf8')) as Snapshot;
  const fields = data.snapshot.meta.node_fields;
  const types = data.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const width = fields.length;
  const sums = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < data.nodes.length; i += width) {
    const type = types[data.nodes[i + typeAt] ?? 0] ?? '?';
    const name = ['string', 'concatenated string', 'sliced string', 'number', 'code', 'hidden'].includes(type) ? '' : (data.strings[data.nodes[i + nameAt] ?? 0] ?? '').slice(0, 60);
    const key = `${type}:${name}`;
    const entry = sums.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += data.nodes[i + sizeAt] ?? 0;
    entry.count += 1;
    sums.set(key, entry);
  }
  return sums;
}

const [a, b, gaimsA, gaimsB] = process.argv.slice(2);
if (a === undefined || b === undefined || gaimsA === undefined || gaimsB === undefined) {
  console.error('usage: heap-diff.ts A.heapsnapshot B.heapsnapshot GAIMS_A GAIMS_B');
  process.exit(2);
}
const perGaim = Number(gaimsB) - Number(gaimsA);
const [before, after] = [await summarize(a), await summarize(b)];
const rows = [...after].map(([key, { bytes, count }]) => {
  const old = before.get(key) ?? { bytes: 0, count: 0 };
  return { key, bytes: bytes - old.bytes, count: count - old.count };
}).sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((n, r) => n + r.bytes, 0);
console.log(`heap self size grew ${(total / 1024 / 1024).toFixed(1)} MiB over ${String(perGaim)} Gaims: ${(total / perGaim / 1024).toFixed(1)} KiB per Gaim`);
for (const r of rows.slice(0, 40)) {
  console.log(`${(r.bytes / perGaim).toFixed(0).padStart(7)} B/Gaim ${(r.count / perGaim).toFixed(1).padStart(7)} /Gaim  ${r.key}`);
}

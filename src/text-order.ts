// Code-unit order for strings. Not String.prototype.localeCompare: it runs ICU's collator, and the
// collation data (inside node's binary) becomes resident on first use — about 6 MiB of RSS measured
// with node 24, for orderings that only need to be deterministic (keys, names, RFC 3339 times, whose
// code-unit order is their time order). eslint.config.js refuses localeCompare and Intl in src/.
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

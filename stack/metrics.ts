// The operator's /metrics text (Prometheus exposition) read the way a query reads it: one series,
// summed over the label sets that match. The operator runs against the stack in `make dev`, the
// benchmarks and the tests, and the latter two read its metrics with this.

/** The value of a Prometheus series in /metrics text, summed over label sets matching `labels`. */
export function metricValue(text: string, name: string, labels: Partial<{ [label: string]: string }> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v ?? ''}"`))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    total = (total ?? 0) + value;
  }
  return total;
}

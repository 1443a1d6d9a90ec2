const SUFFIX: Readonly<Record<string, number>> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The value of a Kubernetes quantity (`500m` → 0.5, `1Gi` → 1073741824), or undefined if it is not one. */
export function parseQuantity(text: string): number | undefined {
  const match = /^([+-]?[0-9]+(?:\.[0-9]*)?)([a-zA-Z]*)$/.exec(text.trim());
  if (match === null) return undefined;
  const factor = SUFFIX[match[2] ?? ''];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

/** The larger of two quantities (as written); `a` when either is not a quantity. */
export function maxQuantity(a: string, b: string | undefined): string {
  if (b === undefined) return a;
  const [va, vb] = [parseQuantity(a), parseQuantity(b)];
  return va !== undefined && vb !== undefined && vb > va ? b : a;
}

/** A MicroTime, as the Lease and events.k8s.io APIs want it: RFC 3339 with microseconds. */
export const microTime = (date: Date = new Date()): string => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

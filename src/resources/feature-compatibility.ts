// When to raise a MongoDB's featureCompatibilityVersion, as a pure function of what the server says.
// A new major version of mongod runs on data of the previous one with the old FCV, so that the image
// can still be reverted: the new features (and the on-disk changes they bring) are switched on only
// by raising the FCV, after which the old binary no longer starts on the data. So: never before the
// new version has run healthy for a burn-in period (MongoDB's own advice for upgrades), never above
// the running server's version, never down — a downgrade is a person's decision, made by lowering the
// FCV by hand before the image changes.

/** What the operator last read from a Gaim's MongoDB (status.mongodbVersion). */
export interface VersionRecord {
  /** The image the StatefulSet ran when this was read. */
  readonly image: string;
  /** buildInfo.version, such as 8.0.4. */
  readonly server: string;
  /** featureCompatibilityVersion.version, such as 7.0; absent where the server has none (FerretDB). */
  readonly featureCompatibilityVersion?: string | undefined;
  /** Since when this image has run ready without interruption (RFC 3339); absent while it is not ready. */
  readonly since?: string | undefined;
}

export type FcvAction =
  | { readonly action: 'none'; readonly why: string }
  | { readonly action: 'wait'; readonly untilMs: number }
  | { readonly action: 'raise'; readonly to: string };

/** `8.0.4` → [8, 0]; undefined for a version that is not numeric. */
export function majorMinor(version: string): readonly [number, number] | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version);
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}

const compare = (a: readonly [number, number], b: readonly [number, number]) => a[0] - b[0] || a[1] - b[1];

export function fcvAction(record: VersionRecord, burnInSeconds: number, now: Date): FcvAction {
  const server = majorMinor(record.server);
  if (record.featureCompatibilityVersion === undefined) return { action: 'none', why: 'the server has no featureCompatibilityVersion' };
  const fcv = majorMinor(record.featureCompatibilityVersion);
  if (server === undefined || fcv === undefined) return { action: 'none', why: `cannot compare versions ${record.server} and ${record.featureCompatibilityVersion}` };
  if (compare(server, fcv) <= 0) return { action: 'none', why: 'the featureCompatibilityVersion is the server\'s' };
  if (record.since === undefined) return { action: 'none', why: 'the server is not running ready now' };
  const due = Date.parse(record.since) + burnInSeconds * 1000;
  if (!Number.isFinite(due)) return { action: 'none', why: `no time in since: ${record.since}` };
  if (now.getTime() < due) return { action: 'wait', untilMs: due };
  return { action: 'raise', to: `${String(server[0])}.${String(server[1])}` };
}

/** The command that raises it; MongoDB 7.0 and later insist on `confirm: true`. */
export function setFcvCommand(to: string): Record<string, unknown> {
  const version = majorMinor(to);
  return { setFeatureCompatibilityVersion: to, ...(version !== undefined && version[0] >= 7 ? { confirm: true } : {}) };
}

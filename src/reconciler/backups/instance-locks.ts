// One backup at a time per Filestore instance, cluster-wide. GKE's page "Back up Filestore storage
// using volume snapshots" says: "You can back up only one share per instance at a time … backup
// requests from two different shares on two different Filestore instances will run at the same
// time." So the operator never creates a VolumeSnapshot of a multishare share while another share
// of the same instance is being snapshotted: the later one waits (its GaimBackup says so) and is taken
// when the first is ready.
//
// The truth is the cache (every VolumeSnapshot the operator made carries its instance's label, so
// a restarted operator sees what its predecessor started); a short claim covers the moment between
// deciding to create one and the cache showing it, when two workers could otherwise both go ahead.
import type { Caches } from '../../controller/caches.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { FILESTORE_INSTANCE_LABEL, instanceLabelValue } from '../../resources/backup.js';

type Snapshot = KubeObject & { status?: { readyToUse?: boolean } };

/** How long a claim holds before the cache must show its snapshot. */
const CLAIM_MS = 30_000;

export class InstanceLocks {
  readonly #claims = new Map<string, { readonly owner: string; readonly at: number }>();

  constructor(private readonly caches: Caches) {}

  /**
   * The snapshot (namespace/name) that holds the instance, other than `owner` (the snapshot about to
   * be created), or undefined when the instance is free for it.
   */
  holder(instance: string, owner: string, now = Date.now()): string | undefined {
    const value = instanceLabelValue(instance);
    const inFlight = this.caches.list<Snapshot>(Resources.volumeSnapshot)
      .find((s) => s.metadata?.labels?.[FILESTORE_INSTANCE_LABEL] === value && s.status?.readyToUse !== true
        && s.metadata.deletionTimestamp === undefined && objectKey(s) !== owner);
    if (inFlight !== undefined) return objectKey(inFlight);
    const claim = this.#claims.get(instance);
    return claim !== undefined && claim.owner !== owner && now - claim.at < CLAIM_MS ? claim.owner : undefined;
  }

  /** Takes the instance for `owner` when it is free; the holder otherwise. */
  acquire(instance: string, owner: string, now = Date.now()): string | undefined {
    const holder = this.holder(instance, owner, now);
    if (holder === undefined) this.#claims.set(instance, { owner, at: now });
    return holder;
  }
}

/** The sentence a queued share's backup says. */
export function queuedBehind(instance: string, holder: string): string {
  return `queued: Filestore instance ${instance.split('/').slice(1).join('/')} backs up one share at a time (GKE), and VolumeSnapshot ${holder} of another share is in progress`;
}

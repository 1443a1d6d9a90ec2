import type { Gaim } from '../api/v1alpha1/gaim.js';
import { Labels } from '../kube/labels.js';
import type { KubeObject } from '../kube/objects.js';
import { labels, objectNames, ownedMeta } from './meta.js';
import { claimRequest } from './claim-growth.js';

/** Nominal capacity recorded on a static NFS volume when the spec gives none (NFS does not enforce it). */
export const DEFAULT_NFS_CAPACITY = '1Ti';

/**
 * The LanceDB claim (ReadWriteMany), and for an existing Filestore share the PersistentVolume that
 * points at it, pre-bound to this claim by claimRef so no other claim can take it. A claim is never
 * shrunk: if its current request is larger than the spec, the current one is kept, unless the spec
 * backs out an expansion to a size still above the claim's capacity (claim-growth.ts).
 */
export function lancedbObjects(gaim: Gaim, currentClaimSize: string | undefined, currentClass?: string, currentCapacity?: string): KubeObject[] {
  const names = objectNames(gaim);
  const { size, nfs } = gaim.spec.lancedb.storage;
  // An existing claim keeps its class: restored from a multishare backup, it is a single-share one.
  const storageClassName = currentClass ?? gaim.spec.lancedb.storage.storageClassName;
  const requested = claimRequest(currentClaimSize, currentCapacity, size ?? DEFAULT_NFS_CAPACITY);
  const claim: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: ownedMeta(gaim, names.lancedbClaim, 'lancedb'),
    spec: {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: requested } },
      volumeMode: 'Filesystem',
      ...(nfs === undefined
        ? { storageClassName }
        // An empty class keeps dynamic provisioners away; volumeName binds the claim to our volume.
        : { storageClassName: '', volumeName: names.lancedbVolume }),
    },
  };
  if (nfs === undefined) return [claim];
  const volume: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: names.lancedbVolume,
      // Cluster-scoped: no owner reference to the namespaced Gaim; these labels lead back to it.
      labels: { ...labels(gaim, 'lancedb'), [Labels.gaimNamespace]: gaim.metadata.namespace, [Labels.gaimId]: gaim.spec.gaimId },
    },
    spec: {
      capacity: { storage: requested },
      accessModes: ['ReadWriteMany'],
      // The share's contents are the platform's: deleting the claim never deletes them.
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: '',
      volumeMode: 'Filesystem',
      nfs: { server: nfs.server, path: nfs.path },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: gaim.metadata.namespace, name: names.lancedbClaim },
    },
  };
  return [volume, claim];
}

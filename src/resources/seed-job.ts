import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { Toleration } from '../config/settings.js';
import { LANCEDB_MOUNT_PATH } from '../datamodel.js';
import { fingerprint } from '../hash.js';
import type { KubeObject } from '../kube/objects.js';
import { labels, objectNames, ownedMeta } from './meta.js';
import { seedStorageArgs } from './seed-storage-args.js';

export const SEED_HASH_LABEL = 'gaim.livingcontent.io/seed-hash';

/** A short, stable fingerprint of what a store is seeded for. */
export const seedFingerprint = (parts: unknown): string => fingerprint(parts, 10);

export const storageFingerprint = (gaim: Gaim) =>
  seedFingerprint({ environments: [...gaim.spec.environments].sort(), dimensions: gaim.spec.lancedb.embeddingDimensions });

export const seedJobName = (gaim: Gaim, fingerprint: string) => `${gaim.metadata.name}-seed-storage-${fingerprint}`;

/**
 * The Job that lays out LanceDB on the GAIM's volume: this operator's own image running
 * `seed-storage` with the claim mounted at /data. One Job per fingerprint, so a changed spec gets a
 * new Job and a finished one is never re-run.
 */
export function seedStorageJob(gaim: Gaim, fingerprint: string, image: string, placement: { nodeSelector: Readonly<Record<string, string>>; tolerations: readonly Toleration[] }): KubeObject {
  const { nodeSelector, tolerations } = placement;
  const podLabels = { ...labels(gaim, 'seed'), [SEED_HASH_LABEL]: fingerprint };
  const meta = ownedMeta(gaim, seedJobName(gaim, fingerprint), 'seed');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...meta, labels: podLabels },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 900,
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: {
        metadata: { labels: podLabels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(Object.keys(nodeSelector).length === 0 ? {} : { nodeSelector }),
          ...(tolerations.length === 0 ? {} : { tolerations }),
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'seed-storage',
            image,
            imagePullPolicy: 'IfNotPresent',
            args: seedStorageArgs({ root: LANCEDB_MOUNT_PATH, environments: gaim.spec.environments, dimensions: gaim.spec.lancedb.embeddingDimensions }),
            resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            terminationMessagePolicy: 'FallbackToLogsOnError',
            volumeMounts: [{ name: 'lancedb', mountPath: LANCEDB_MOUNT_PATH }, { name: 'tmp', mountPath: '/tmp' }],
          }],
          volumes: [
            { name: 'lancedb', persistentVolumeClaim: { claimName: objectNames(gaim).lancedbClaim } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}

import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { SeedJobSettings } from '../config/settings.js';
import { LANCEDB_MOUNT_PATH } from '../datamodel.js';
import { fingerprint } from '../hash.js';
import type { KubeObject } from '../kube/objects.js';
import { labels, objectNames, ownedMeta } from './meta.js';
import { maintainStorageArgs, prepareShareArgs, PROVISIONING_ALLOWANCE_SECONDS, seedStorageArgs } from './seed-storage-args.js';

export const SEED_HASH_LABEL = 'gaim.livingcontent.io/seed-hash';
/** Which attempt at seeding this fingerprint a Job is (1, 2, …): a failed Job is retried by a new one. */
export const SEED_ATTEMPT_LABEL = 'gaim.livingcontent.io/seed-attempt';

/** A short, stable fingerprint of what a store is seeded for. */
export const seedFingerprint = (parts: unknown): string => fingerprint(parts, 10);

export const storageFingerprint = (gaim: Gaim) =>
  seedFingerprint({ environments: [...gaim.spec.environments].sort(), dimensions: gaim.spec.lancedb.embeddingDimensions });

/** The first attempt keeps the name Jobs had before retries existed, so an upgrade re-runs nothing. */
export const seedJobName = (gaim: Gaim, fingerprint: string, attempt = 1) =>
  `${gaim.metadata.name}-seed-storage-${fingerprint}${attempt === 1 ? '' : `-${attempt}`}`;

/** Capabilities of the preparation step: enough to hand a root-owned directory over, nothing else. */
export const PREPARE_CAPABILITIES = ['CHOWN', 'FOWNER'] as const;

type Fields = Record<string, unknown>;

/** Where the storage Jobs mount the LanceDB claim, and a scratch /tmp (the root filesystem is read-only). */
const storageMounts = () => [{ name: 'lancedb', mountPath: LANCEDB_MOUNT_PATH }, { name: 'tmp', mountPath: '/tmp' }];

/** A container of a storage Job: this operator's image, the storage mounts, the Job's own args and limits. */
function storageContainer(settings: SeedJobSettings, name: string, args: string[], resources: Fields, securityContext: Fields): Fields {
  return {
    image: settings.image, imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'FallbackToLogsOnError', volumeMounts: storageMounts(),
    name, args, resources, securityContext,
  };
}

/** The unprivileged security context of a storage Job's main container: the storage uid/gid, nothing more. */
const storageUser = ({ storageUid: uid, storageGid: gid }: SeedJobSettings) => ({
  runAsUser: uid, runAsGroup: gid, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] },
});

/**
 * What the seed and maintenance Jobs share: one pod, never restarted in place (the operator decides
 * about retries), no service account token, the operator's placement settings, the storage uid/gid,
 * the Gaim's LanceDB claim at /data.
 */
function storageJob(gaim: Gaim, settings: SeedJobSettings, job: {
  metadata: KubeObject['metadata']; podLabels: Record<string, string>; activeDeadlineSeconds: number; ttlSecondsAfterFinished: number;
  initContainers?: Fields[]; containers: Fields[];
}): KubeObject {
  const { nodeSelector, tolerations, storageUid: uid, storageGid: gid, imagePullSecrets } = settings;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: job.metadata,
    spec: {
      // Retries are the operator's (a new Job at the ledger's nextRetryAt, or the next slot), not the Job controller's.
      backoffLimit: 0,
      activeDeadlineSeconds: job.activeDeadlineSeconds,
      ttlSecondsAfterFinished: job.ttlSecondsAfterFinished,
      template: {
        metadata: { labels: job.podLabels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(Object.keys(nodeSelector).length === 0 ? {} : { nodeSelector }),
          ...(tolerations.length === 0 ? {} : { tolerations }),
          // The operator's image from a private registry: Secrets the platform keeps in each Gaim namespace.
          ...(imagePullSecrets.length === 0 ? {} : { imagePullSecrets: imagePullSecrets.map((name) => ({ name })) }),
          securityContext: { runAsUser: uid, runAsGroup: gid, seccompProfile: { type: 'RuntimeDefault' } },
          ...(job.initContainers === undefined ? {} : { initContainers: job.initContainers }),
          containers: job.containers,
          volumes: [
            { name: 'lancedb', persistentVolumeClaim: { claimName: objectNames(gaim).lancedbClaim } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}

/**
 * The Job that lays out LanceDB on the GAIM's volume: this operator's own image running
 * `seed-storage` with the claim mounted at /data, as the storage uid/gid. A new Filestore share is
 * root-owned (0755) and NFS volumes get no fsGroup, so with `prepareShares` an init container first
 * creates each environment's directory and hands it to that uid/gid (group-writable, setgid), as
 * root with only CHOWN and FOWNER. One Job per fingerprint and attempt: a changed spec gets a new
 * Job, a finished one is never re-run, a failed one is retried by the next attempt.
 */
export function seedStorageJob(gaim: Gaim, fingerprint: string, attempt: number, settings: SeedJobSettings): KubeObject {
  const { storageUid: uid, storageGid: gid } = settings;
  const { environments } = gaim.spec;
  const podLabels = { ...labels(gaim, 'seed'), [SEED_HASH_LABEL]: fingerprint, [SEED_ATTEMPT_LABEL]: String(attempt) };
  const prepare = storageContainer(settings, 'prepare-share', prepareShareArgs({ root: LANCEDB_MOUNT_PATH, environments, uid, gid }),
    { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    {
      runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: [...PREPARE_CAPABILITIES] },
    });
  const seed = storageContainer(settings, 'seed-storage',
    seedStorageArgs({ root: LANCEDB_MOUNT_PATH, environments, dimensions: gaim.spec.lancedb.embeddingDimensions, deadlineSeconds: settings.seedDeadlineSeconds }),
    { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } }, storageUser(settings));
  return storageJob(gaim, settings, {
    metadata: { ...ownedMeta(gaim, seedJobName(gaim, fingerprint, attempt), 'seed'), labels: podLabels },
    podLabels,
    // A backstop: the seed's own deadline counts its run; this one also the wait for its claim.
    activeDeadlineSeconds: settings.seedDeadlineSeconds + PROVISIONING_ALLOWANCE_SECONDS,
    ttlSecondsAfterFinished: 7 * 24 * 3600,
    ...(settings.prepareShares ? { initContainers: [prepare] } : {}),
    containers: [seed],
  });
}

/** On a maintenance Job: the schedule slot it runs for. */
export const MAINTENANCE_SLOT_ANNOTATION = 'gaim.livingcontent.io/maintenance-for';

export const maintenanceJobName = (gaim: Pick<Gaim, 'metadata'>, slot: Date) => `${gaim.metadata.name}-maintain-${Math.floor(slot.getTime() / 1000).toString(36)}`;

/**
 * The LanceDB maintenance Job: `maintain-storage` (compaction and cleanup of old versions) with the
 * claim mounted at /data, as the storage uid/gid (it owns the tables), with the seed Job's placement
 * and restrictions. It reports per table in its termination message (resources/maintenance-report.ts).
 */
export function maintenanceJob(gaim: Gaim, slot: Date, cleanupOlderThanSeconds: number, settings: SeedJobSettings): KubeObject {
  const meta = ownedMeta(gaim, maintenanceJobName(gaim, slot), 'maintenance');
  return storageJob(gaim, settings, {
    metadata: { ...meta, annotations: { [MAINTENANCE_SLOT_ANNOTATION]: slot.toISOString() } },
    podLabels: labels(gaim, 'maintenance'),
    // Compaction of a large table takes a while; a run still going after this is stopped (the next slot tries again).
    activeDeadlineSeconds: 4 * 3600,
    ttlSecondsAfterFinished: 24 * 3600,
    containers: [storageContainer(settings, 'maintain-storage',
      maintainStorageArgs({ root: LANCEDB_MOUNT_PATH, environments: gaim.spec.environments, cleanupOlderThanSeconds }),
      { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } }, storageUser(settings))],
  });
}

// The shape MongoDB and Redis share: a headless Service and a one-replica StatefulSet with a data
// claim, a restricted security context, and resources from the tier.
import { fingerprint } from '../hash.js';
import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { KubeObject } from '../kube/objects.js';
import { labels, ownedMeta, selectorLabels, type Component } from './meta.js';
import type { StoreSize } from './tiers.js';

export interface StoreTemplate {
  readonly component: Extract<Component, 'mongodb' | 'redis'>;
  readonly name: string;
  readonly port: number;
  readonly portName: string;
  /** The image's own non-root user, which owns its data directory. */
  readonly uid: number;
  readonly container: Record<string, unknown>;
  readonly dataMountPath: string;
  readonly size: StoreSize;
  /** Claim size of an existing StatefulSet: volumeClaimTemplates are immutable once created. */
  readonly existingClaimSize: string | undefined;
  readonly extraVolumes?: readonly Record<string, unknown>[];
}

export function headlessService(gaim: Gaim, t: StoreTemplate): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(gaim, t.name, t.component),
    spec: {
      clusterIP: 'None',
      selector: selectorLabels(gaim, t.component),
      ports: [{ name: t.portName, port: t.port, targetPort: t.port, protocol: 'TCP' }],
    },
  };
}

/** On each store StatefulSet: a fingerprint of its pod template, to tell a rollout from other changes. */
export const TEMPLATE_HASH = 'gaim.livingcontent.io/template-hash';

export function statefulSet(gaim: Gaim, t: StoreTemplate): KubeObject {
  const object = storeStatefulSet(gaim, t);
  const template = (object['spec'] as { template: unknown }).template;
  return { ...object, metadata: { ...object.metadata, annotations: { [TEMPLATE_HASH]: fingerprint(template, 16) } } };
}

function storeStatefulSet(gaim: Gaim, t: StoreTemplate): KubeObject {
  // Snapshot too: its claims go only after the final backup, by the finalizer, never with a StatefulSet.
  const retain = gaim.spec.deletionPolicy !== 'Delete';
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: ownedMeta(gaim, t.name, t.component),
    spec: {
      serviceName: t.name,
      replicas: 1,
      selector: { matchLabels: selectorLabels(gaim, t.component) },
      // Parallel: the controller replaces a pod whose revision is not the update revision even while
      // that pod is not ready. Under OrderedReady a pod broken by a bad image blocks the controller,
      // so reverting the image would not replace it without a person deleting the pod. With one
      // replica there is no order to keep. (Immutable: reconciler/recreate.ts moves older sets over.)
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      // Data claims follow the Gaim's deletion policy: kept (no owner) or deleted with the StatefulSet.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: retain ? 'Retain' : 'Delete', whenScaled: 'Retain' },
      template: {
        metadata: { labels: labels(gaim, t.component) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: t.uid,
            runAsGroup: t.uid,
            fsGroup: t.uid,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [{
            ...t.container,
            ports: [{ name: t.portName, containerPort: t.port, protocol: 'TCP' }],
            resources: {
              requests: { cpu: t.size.cpu, memory: t.size.memory },
              limits: { memory: t.size.memory },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
            volumeMounts: [
              { name: 'data', mountPath: t.dataMountPath },
              { name: 'tmp', mountPath: '/tmp' },
              ...((t.container['volumeMounts'] as Record<string, unknown>[] | undefined) ?? []),
            ],
          }],
          volumes: [{ name: 'tmp', emptyDir: {} }, ...(t.extraVolumes ?? [])],
        },
      },
      volumeClaimTemplates: [{
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', labels: labels(gaim, t.component) },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: t.existingClaimSize ?? t.size.storage } },
          volumeMode: 'Filesystem',
        },
      }],
    },
  };
}

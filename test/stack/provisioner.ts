import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CoreV1Api,
  makeInformer,
  type Informer,
  type KubeConfig,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
} from '@kubernetes/client-node';

/** The provisioner name the stack's StorageClasses carry. */
export const STACK_PROVISIONER = 'stack.gaim.livingcontent.io/hostpath';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

export interface ProvisionerOptions {
  readonly kubeConfig: KubeConfig;
  /** Claims are backed by `<volumesDir>/<namespace>/<claim>`. */
  readonly volumesDir: string;
  readonly storageClasses: readonly string[];
  readonly onError: (message: string) => void;
}

/**
 * A small dynamic provisioner standing in for a CSI driver: for each Pending claim of one of the
 * stack's StorageClasses it creates a hostPath PersistentVolume pre-bound to the claim, and the real
 * PV controller in kube-controller-manager binds the pair. Released volumes with reclaim policy
 * Delete are deleted with their directory, as a CSI driver would.
 */
export class HostPathProvisioner {
  readonly #core: CoreV1Api;
  readonly #claims: Informer<V1PersistentVolumeClaim>;
  readonly #volumes: Informer<V1PersistentVolume>;
  #stopped = false;

  constructor(private readonly options: ProvisionerOptions) {
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.#claims = makeInformer(options.kubeConfig, '/api/v1/persistentvolumeclaims', () =>
      this.#core.listPersistentVolumeClaimForAllNamespaces(),
    );
    this.#volumes = makeInformer(options.kubeConfig, '/api/v1/persistentvolumes', () =>
      this.#core.listPersistentVolume(),
    );
    const onClaim = (claim: V1PersistentVolumeClaim) => void this.#provision(claim);
    const onVolume = (volume: V1PersistentVolume) => void this.#reclaim(volume);
    this.#claims.on('add', onClaim);
    this.#claims.on('update', onClaim);
    this.#volumes.on('add', onVolume);
    this.#volumes.on('update', onVolume);
    for (const informer of [this.#claims, this.#volumes] as const) {
      informer.on('error', (error: unknown) => {
        if (this.#stopped) return;
        this.options.onError(`provisioner watch failed, restarting: ${String(error)}`);
        setTimeout(() => void informer.start().catch(() => undefined), 1000).unref();
      });
    }
  }

  async start(): Promise<void> {
    await Promise.all([this.#claims.start(), this.#volumes.start()]);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([this.#claims.stop(), this.#volumes.stop()]);
  }

  async #provision(claim: V1PersistentVolumeClaim): Promise<void> {
    const { metadata, spec, status } = claim;
    const storageClass = spec?.storageClassName;
    if (metadata?.uid === undefined || metadata.name === undefined || metadata.namespace === undefined) return;
    if (storageClass === undefined || !this.options.storageClasses.includes(storageClass)) return;
    if (spec === undefined || spec.volumeName !== undefined || status?.phase !== 'Pending') return;

    const path = join(this.options.volumesDir, metadata.namespace, metadata.name);
    try {
      await mkdir(path, { recursive: true });
      await this.#core.createPersistentVolume({
        body: {
          metadata: { name: `pvc-${metadata.uid}`, annotations: { [PROVISIONED_BY]: STACK_PROVISIONER } },
          spec: {
            capacity: { storage: spec.resources?.requests?.['storage'] ?? '1Gi' },
            accessModes: spec.accessModes ?? ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: 'Delete',
            storageClassName: storageClass,
            volumeMode: spec.volumeMode ?? 'Filesystem',
            hostPath: { path, type: 'DirectoryOrCreate' },
            claimRef: {
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              namespace: metadata.namespace,
              name: metadata.name,
              uid: metadata.uid,
            },
          },
        },
      });
    } catch (error: unknown) {
      if (isConflict(error)) return; // provisioned on an earlier event
      this.options.onError(`cannot provision ${metadata.namespace}/${metadata.name}: ${String(error)}`);
    }
  }

  async #reclaim(volume: V1PersistentVolume): Promise<void> {
    const name = volume.metadata?.name;
    const path = volume.spec?.hostPath?.path;
    if (name === undefined || path === undefined) return;
    if (volume.metadata?.annotations?.[PROVISIONED_BY] !== STACK_PROVISIONER) return;
    if (volume.status?.phase !== 'Released' || volume.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    try {
      await this.#core.deletePersistentVolume({ name });
      await rm(path, { recursive: true, force: true });
    } catch (error: unknown) {
      if (isNotFound(error)) return;
      this.options.onError(`cannot delete released volume ${name}: ${String(error)}`);
    }
  }
}

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number'
    ? error.code
    : undefined;
}

const isConflict = (error: unknown) => statusCode(error) === 409;
const isNotFound = (error: unknown) => statusCode(error) === 404;

// Stands in for the CSI drivers' provisioning side (external-provisioner v6.3 with the PD and
// Filestore drivers) on the stack's StorageClasses, behaving as they do where it decides whether the
// operator works (sources beside each rule; docs/stack-fidelity.md lists them):
// - WaitForFirstConsumer: a claim is provisioned only once the scheduler has picked a node for a pod
//   that uses it (the `volume.kubernetes.io/selected-node` annotation), never before;
// - a claim whose dataSource is a VolumeSnapshot is checked first, as external-provisioner's
//   prepareProvision does (getSnapshotSource, pkg/controller/controller.go): its checks in its order,
//   its texts, the claim's request (not the rounded capacity) against the snapshot's restoreSize;
// - then the driver's CreateVolume (storage-classes.ts): a multishare class refuses a content source,
//   each driver's capacity rules round up or refuse, with the text in a ProvisioningFailed event;
// - a new volume's directory is root:root, mode 0755 (an assumption: no vendor page says what a new
//   Filestore share's root is; Filestore grants root access by default, so root owns what it makes).
// It creates a CSI PersistentVolume (the class's driver, a handle shaped like the driver's, the
// directory in a volume attribute) pre-bound to the claim; the real PV controller binds the pair.
// Released volumes with reclaim policy Delete are deleted with their directory.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { Informer } from '../src/controller/informer.js';
import type { KubeClient } from '../src/kube/client.js';
import { isConflict, isNotFound } from '../src/kube/errors.js';
import type { KubeObject } from '../src/kube/objects.js';
import { Resources } from '../src/kube/resources.js';
import { microTime } from '../src/kube/time.js';
import { parseQuantity } from '../src/resources/quantity.js';
import { bytesToQuantity, driverRules, FILESTORE_DRIVER, infeasible, PD_DRIVER, type DriverRules } from './storage-classes.js';

const run = promisify(execFile);
/** Where a stack volume's directory is, on its CSI PersistentVolume. */
export const STACK_PATH_ATTRIBUTE = 'stack.gaim.livingcontent.io/path';
/** A multishare Filestore volume's handle starts so, as the real driver's do. */
export const MULTISHARE_HANDLE_PREFIX = 'modeMultishare/';

const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
/** external-provisioner's finalizer on a snapshot being restored from: a snapshot being deleted still serves while it holds it. */
const SOURCE_PROTECTION = 'provisioner.storage.kubernetes.io/volumesnapshot-as-source-protection';
export const SELECTED_NODE = 'volume.kubernetes.io/selected-node';

interface Claim extends KubeObject {
  spec?: {
    storageClassName?: string; volumeName?: string; accessModes?: string[]; volumeMode?: string; resources?: { requests?: Record<string, string> };
    dataSource?: { apiGroup?: string; kind?: string; name?: string };
  };
  status?: { phase?: string };
}
interface Volume extends KubeObject {
  spec?: { hostPath?: { path?: string }; csi?: { volumeHandle?: string; volumeAttributes?: Record<string, string> }; persistentVolumeReclaimPolicy?: string };
  status?: { phase?: string };
}

export interface ProvisionerOptions {
  readonly client: KubeClient;
  /** Claims are backed by `<volumesDir>/<namespace>/<claim>-<uid>`. */
  readonly volumesDir: string;
  /** Where a snapshot's copy is, by its handle (snapshotter.ts). */
  readonly snapshotDir: (handle: string) => string;
  readonly onError: (message: string) => void;
}

/** The directory of a stack volume: its CSI volume attribute (or a hostPath, for volumes made by hand). */
export function stackVolumePath(volume: { spec?: { hostPath?: { path?: string }; csi?: { volumeAttributes?: Record<string, string> } } }): string | undefined {
  return volume.spec?.csi?.volumeAttributes?.[STACK_PATH_ATTRIBUTE] ?? volume.spec?.hostPath?.path;
}

/**
 * A volume handle shaped like the driver's own: the snapshotter tells a multishare share, and the
 * instance it lives on, by it (`modeMultishare/<instance-storageclass-label>/<project>/<location>/<instance>/<share>`,
 * multishare_controller.go).
 */
function volumeHandle(provisioner: string, parameters: Readonly<Record<string, string>>, claimUid: string, instance: string | undefined): string {
  if (provisioner === PD_DRIVER) return `projects/gaim-local/zones/local-a/disks/pvc-${claimUid}`;
  if (instance !== undefined) return `${MULTISHARE_HANDLE_PREFIX}${instanceLabel(parameters)}/gaim-local/local/${instance}/pvc_${claimUid.replaceAll('-', '_')}`;
  return `modeInstance/local-a/pvc-${claimUid}/vol1`;
}

const instanceLabel = (parameters: Readonly<Record<string, string>>) => parameters['instance-storageclass-label'] ?? 'multishare';

/** The instance part of a multishare handle (`<label>/<project>/<location>/<instance>`), or undefined for any other volume. */
export function multishareInstance(handle: string): string | undefined {
  if (!handle.startsWith(MULTISHARE_HANDLE_PREFIX)) return undefined;
  return handle.slice(MULTISHARE_HANDLE_PREFIX.length).split('/').slice(0, 4).join('/');
}

/**
 * Shares per multishare instance: MaxSharesPerInstance (10) in pkg/util/multishare_defs.go; with a
 * class's `max-volume-size` (the max-shares feature), 1 TiB ÷ that size (GKE's multishare page:
 * "up to 80 shares" at 128 GiB).
 */
function sharesPerInstance(parameters: Readonly<Record<string, string>>): number {
  const configured = Number.parseInt(parameters['max-volume-size'] ?? '', 10);
  return Number.isFinite(configured) && configured > 0 && (parameters['max-volume-size'] ?? '').endsWith('Gi') ? Math.max(1, Math.floor(1024 / configured)) : 10;
}

export class HostPathProvisioner {
  readonly #stop = new AbortController();
  readonly #runs: Promise<void>[] = [];
  /** The refusal last reported per claim, so a claim that keeps failing does not flood events. */
  readonly #refused = new Map<string, string>();
  /** Claims being provisioned now (filling one from a snapshot takes a while; events keep coming). */
  readonly #busy = new Set<string>();
  #volumes: Informer<Volume> | undefined;
  /** Shares just placed on a multishare instance, by `<label>/<instance>`, until the informer shows their volumes. */
  readonly #reserved = new Map<string, number>();
  /** Namespaces whose claims are held: their driver is slow (a new Filestore instance takes minutes). */
  readonly #held = new Set<string>();
  /** Claims told they are being provisioned while held (one event each, as the sidecar sends one per attempt). */
  readonly #announced = new Set<string>();
  #claims: Informer<Claim> | undefined;

  constructor(private readonly options: ProvisionerOptions) {}

  async start(): Promise<void> {
    const common = { client: this.options.client, inactivityMs: 300_000, watchTimeoutSeconds: 300, retry: { baseMs: 500, capMs: 5000, jitter: 0.2 }, log: pino({ level: 'silent' }) };
    const claims = new Informer<Claim>({ ...common, resource: Resources.persistentVolumeClaim, onEvent: (event, claim) => { if (event !== 'delete') void this.#provision(claim); } });
    const volumes = new Informer<Volume>({ ...common, resource: Resources.persistentVolume, onEvent: (event, volume) => { if (event !== 'delete') void this.#reclaim(volume); } });
    this.#volumes = volumes;
    this.#claims = claims;
    for (const informer of [claims, volumes]) this.#runs.push(informer.run(this.#stop.signal));
    await Promise.all([claims.waitForSync(this.#stop.signal), volumes.waitForSync(this.#stop.signal)]);
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#runs);
  }

  /** Holds the provisioning of a namespace's claims (a slow driver: they stay Pending), or releases it. */
  hold(namespace: string, held: boolean): void {
    if (held) {
      this.#held.add(namespace);
      return;
    }
    this.#held.delete(namespace);
    for (const claim of this.#claims?.list() ?? []) if (claim.metadata?.namespace === namespace) void this.#provision(claim);
  }

  async #provision(claim: Claim): Promise<void> {
    const { metadata, spec, status } = claim;
    if (metadata?.uid === undefined || metadata.name === undefined || metadata.namespace === undefined) return;
    if (spec === undefined || spec.volumeName !== undefined || status?.phase !== 'Pending') return;
    // WaitForFirstConsumer: not before the scheduler chose a node for a pod that mounts the claim.
    if (metadata.annotations?.[SELECTED_NODE] === undefined) return;
    const storageClass = await stackClass(this.options.client, spec.storageClassName);
    if (storageClass === undefined) return;

    const request = parseQuantity(spec.resources?.requests?.['storage'] ?? '') ?? 0;
    // external-provisioner's prepareProvision resolves the content source before the driver is asked.
    const source = await this.#snapshotSource(claim, storageClass);
    const outcome = source !== undefined && 'refused' in source ? source
      // The driver's CreateVolume: a content source on a class that cannot take one, then its capacity rules.
      : source !== undefined && storageClass.rules.restoreRefusal !== undefined ? { refused: infeasible(storageClass.rules.restoreRefusal) }
        : storageClass.rules.provision(request);
    if ('refused' in outcome) {
      if (this.#refused.get(metadata.uid) !== outcome.refused) {
        this.#refused.set(metadata.uid, outcome.refused);
        await this.#event(claim, 'Warning', 'ProvisioningFailed', outcome.refused, storageClass.provisioner);
      }
      return;
    }
    if (this.#busy.has(metadata.uid)) return;
    if (this.#held.has(metadata.namespace)) {
      // The driver has been asked and has not answered yet: the sidecar's event, and nothing else.
      if (!this.#announced.has(metadata.uid)) {
        this.#announced.add(metadata.uid);
        await this.#event(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${metadata.namespace}/${metadata.name}"`, storageClass.provisioner);
      }
      return;
    }
    this.#refused.delete(metadata.uid);
    this.#busy.add(metadata.uid);
    // `<namespace>/<claim>` (a test may prepare a volume's files there first), unless a volume still
    // uses that directory (a retained one, or one being deleted): then the claim's uid tells them apart.
    const plain = join(this.options.volumesDir, metadata.namespace, metadata.name);
    const taken = (this.#volumes?.list() ?? []).some((v) => stackVolumePath(v) === plain);
    const path = taken ? `${plain}-${metadata.uid.slice(0, 8)}` : plain;
    try {
      await this.#event(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${metadata.namespace}/${metadata.name}"`, storageClass.provisioner);
      await newShare(path);
      // From a snapshot: the volume starts as the snapshot's copy, owners and modes kept — the snapshot
      // held meanwhile by external-provisioner's source-protection finalizer, so its deletion waits.
      if (source !== undefined && 'dir' in source) {
        const snapshot = claim.spec?.dataSource?.name ?? '';
        await this.#protect(snapshot, metadata.namespace, true);
        try {
          await run('cp', ['-a', `${source.dir}/.`, path]);
        } finally {
          await this.#protect(snapshot, metadata.namespace, false);
        }
      }
      const name = `pvc-${metadata.uid}`;
      await this.options.client.create(Resources.persistentVolume, {
        apiVersion: 'v1', kind: 'PersistentVolume',
        metadata: { name, annotations: { [PROVISIONED_BY]: storageClass.provisioner } },
        spec: {
          capacity: { storage: bytesToQuantity(outcome.capacityBytes) },
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: storageClass.name,
          volumeMode: spec.volumeMode ?? 'Filesystem',
          csi: {
            driver: storageClass.provisioner,
            volumeHandle: volumeHandle(storageClass.provisioner, storageClass.parameters, metadata.uid, storageClass.rules.multishare ? this.#instanceFor(storageClass.parameters) : undefined),
            ...(storageClass.provisioner === PD_DRIVER ? { fsType: 'ext4' } : {}),
            volumeAttributes: { [STACK_PATH_ATTRIBUTE]: path },
          },
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: metadata.namespace, name: metadata.name, uid: metadata.uid },
        },
      });
      await this.#event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`, storageClass.provisioner);
    } catch (error: unknown) {
      if (isConflict(error)) return; // provisioned on an earlier event
      this.options.onError(`cannot provision ${metadata.namespace}/${metadata.name}: ${String(error)}`);
    } finally {
      this.#busy.delete(metadata.uid);
    }
  }

  /**
   * A VolumeSnapshot dataSource, as external-provisioner v6.3 resolves it (getSnapshotSource,
   * pkg/controller/controller.go): its checks in its order and with its texts, each wrapped by
   * prepareProvision as "error getting handle for DataSource Type VolumeSnapshot by Name …" and put
   * in the event as they are (sig-storage-lib-external-provisioner v13 adds no prefix).
   */
  async #snapshotSource(claim: Claim, storageClass: ClassOfDriver): Promise<{ dir: string } | { refused: string } | undefined> {
    const source = claim.spec?.dataSource;
    if (source?.kind !== 'VolumeSnapshot' || source.name === undefined) return undefined;
    const name = source.name;
    const refuse = (why: string) => ({ refused: `error getting handle for DataSource Type VolumeSnapshot by Name ${name}: ${why}` });
    type Snapshot = KubeObject & { status?: { readyToUse?: boolean; boundVolumeSnapshotContentName?: string; restoreSize?: string } };
    type Content = KubeObject & { spec?: { driver?: string; volumeSnapshotRef?: { uid?: string; name?: string; namespace?: string } }; status?: { snapshotHandle?: string } };
    let snapshot: Snapshot;
    try {
      snapshot = await this.options.client.get<Snapshot>(Resources.volumeSnapshot, name, claim.metadata?.namespace);
    } catch (error: unknown) {
      return refuse(`error getting snapshot ${name} from api server: ${isNotFound(error) ? `volumesnapshots.snapshot.storage.k8s.io "${name}" not found` : String(error)}`);
    }
    if (snapshot.metadata?.deletionTimestamp !== undefined && !(snapshot.metadata.finalizers ?? []).includes(SOURCE_PROTECTION)) return refuse(`snapshot ${name} is being deleted`);
    const contentName = snapshot.status?.boundVolumeSnapshotContentName;
    if (contentName === undefined) return refuse(`snapshot ${name} not bound`);
    const content = await this.options.client.get<Content>(Resources.volumeSnapshotContent, contentName).catch(() => undefined);
    if (content === undefined) return refuse(`error getting snapshotcontent ${contentName} for snapshot ${name}`);
    const ref = content.spec?.volumeSnapshotRef;
    if (ref?.uid !== snapshot.metadata?.uid || ref?.name !== name || ref.namespace !== claim.metadata?.namespace) {
      return refuse(`snapshotcontent ${contentName} for snapshot ${name} is bound to a different snapshot`);
    }
    if (content.spec?.driver !== storageClass.provisioner) return refuse(`snapshotcontent ${contentName} for snapshot ${name} is not handled by CSI driver of StorageClass ${storageClass.name}`);
    if (snapshot.status?.readyToUse !== true) return refuse(`snapshot ${name} is not Ready`);
    const handle = content.status?.snapshotHandle;
    if (handle === undefined) return refuse(`snapshot handle ${contentName} is not available`);
    // The claim's request, not what the driver would round it up to, against the snapshot's size.
    const requested = parseQuantity(claim.spec?.resources?.requests?.['storage'] ?? '') ?? 0;
    const restoreSize = snapshot.status.restoreSize === undefined ? undefined : parseQuantity(snapshot.status.restoreSize);
    if (restoreSize !== undefined && requested < restoreSize) {
      return refuse(`requested volume size ${String(Math.floor(requested))} is less than the size ${String(Math.floor(restoreSize))} for the source snapshot ${name}`);
    }
    return { dir: this.options.snapshotDir(handle) };
  }

  /** Adds or removes external-provisioner's finalizer on a snapshot it restores from. */
  async #protect(snapshot: string, namespace: string, present: boolean): Promise<void> {
    const current = await this.options.client.get<KubeObject>(Resources.volumeSnapshot, snapshot, namespace).catch(() => undefined);
    const finalizers = current?.metadata?.finalizers ?? [];
    if (current === undefined || finalizers.includes(SOURCE_PROTECTION) === present) return;
    await this.options.client.mergePatch(Resources.volumeSnapshot, snapshot, namespace, {
      metadata: { finalizers: present ? [...finalizers, SOURCE_PROTECTION] : finalizers.filter((f) => f !== SOURCE_PROTECTION), resourceVersion: current.metadata?.resourceVersion },
    }).catch((error: unknown) => { if (!isNotFound(error)) throw error; });
  }

  /**
   * The instance a new multishare share goes to: the first of its class's label with room (shares
   * are packed onto instances, multishare_ops_manager.go), else a new one.
   */
  #instanceFor(parameters: Readonly<Record<string, string>>): string {
    const label = instanceLabel(parameters);
    const shares = new Map<string, number>(); // by instance name, this label's only
    const count = (instance: string, n: number) => shares.set(instance, (shares.get(instance) ?? 0) + n);
    for (const volume of this.#volumes?.list() ?? []) {
      const [volumeLabel, , , instance] = (multishareInstance(volume.spec?.csi?.volumeHandle ?? '') ?? '').split('/');
      if (volumeLabel === label && instance !== undefined) count(instance, 1);
    }
    for (const [key, n] of this.#reserved) if (key.startsWith(`${label}/`)) count(key.slice(label.length + 1), n);
    const instance = [...shares].find(([, n]) => n < sharesPerInstance(parameters))?.[0] ?? `fs-${randomBytes(4).toString('hex')}`;
    // Held a few seconds, until the informer shows the new volume, so two claims placed at once count each other.
    const key = `${label}/${instance}`;
    this.#reserved.set(key, (this.#reserved.get(key) ?? 0) + 1);
    setTimeout(() => {
      const left = (this.#reserved.get(key) ?? 1) - 1;
      if (left <= 0) this.#reserved.delete(key);
      else this.#reserved.set(key, left);
    }, 5_000).unref();
    return instance;
  }

  async #reclaim(volume: Volume): Promise<void> {
    const name = volume.metadata?.name;
    const path = stackVolumePath(volume);
    if (name === undefined || path === undefined) return;
    if (!STACK_DRIVERS.includes(volume.metadata?.annotations?.[PROVISIONED_BY] ?? '')) return;
    if (volume.status?.phase !== 'Released' || volume.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    try {
      // The data first: while its volume exists no new claim is given the directory, so it never sees old data.
      await rm(path, { recursive: true, force: true });
      await this.options.client.delete(Resources.persistentVolume, name);
    } catch (error: unknown) {
      if (isNotFound(error)) return;
      this.options.onError(`cannot delete released volume ${name}: ${String(error)}`);
    }
  }

  /** An event on the claim, as the provisioner sidecar writes it. */
  async #event(claim: Claim, type: 'Normal' | 'Warning', reason: string, note: string, provisioner: string): Promise<void> {
    await recordEvent(this.options.client, claim, { type, reason, note, controller: provisioner, action: 'Provision' }, this.options.onError);
  }
}

/** The drivers the stack plays. */
export const STACK_DRIVERS: readonly string[] = [PD_DRIVER, FILESTORE_DRIVER];

/** A StorageClass of one of the stack's drivers, as the API server has it, with its driver's rules. */
export interface ClassOfDriver {
  readonly name: string;
  readonly provisioner: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly allowVolumeExpansion: boolean;
  readonly rules: DriverRules;
}

/** The claim's StorageClass, read from the API server (GKE's classes, or one a test adds), if a stack driver serves it. */
export async function stackClass(client: KubeClient, name: string | undefined): Promise<ClassOfDriver | undefined> {
  if (name === undefined || name === '') return undefined;
  const object = await client.get<KubeObject & { provisioner?: string; parameters?: Record<string, string>; allowVolumeExpansion?: boolean }>(Resources.storageClass, name)
    .catch((error: unknown) => { if (isNotFound(error)) return undefined; throw error; });
  const rules = object === undefined ? undefined : driverRules(object.provisioner ?? '', object.parameters ?? {});
  if (object === undefined || rules === undefined) return undefined;
  return { name, provisioner: object.provisioner ?? '', parameters: object.parameters ?? {}, allowVolumeExpansion: object.allowVolumeExpansion === true, rules };
}

/** An event about an object, as a controller of the stack writes it (events.k8s.io/v1). */
export async function recordEvent(client: KubeClient, regarding: KubeObject,
  event: { type: 'Normal' | 'Warning'; reason: string; note: string; controller: string; action: string }, onError: (message: string) => void): Promise<void> {
  const meta = regarding.metadata ?? {};
  await client.create(Resources.event, {
    apiVersion: 'events.k8s.io/v1', kind: 'Event',
    metadata: { name: `${meta.name ?? 'object'}.${randomBytes(8).toString('hex')}`, namespace: meta.namespace },
    eventTime: microTime(), reportingController: event.controller, reportingInstance: `${event.controller}-stack`,
    action: event.action, reason: event.reason, type: event.type, note: event.note,
    regarding: { apiVersion: regarding.apiVersion ?? 'v1', kind: regarding.kind ?? 'PersistentVolumeClaim', name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
  }).catch((error: unknown) => { onError(`cannot record ${event.reason} on ${meta.namespace ?? ''}/${meta.name ?? ''}: ${String(error)}`); });
}

/** A new share's directory, as Filestore hands it out: root:root, mode 0755. */
export async function newShare(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  await chown(path, 0, 0);
  await chmod(path, 0o755);
}

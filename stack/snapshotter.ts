// Stands in for the snapshot side of the stack's CSI drivers: the csi-snapshotter sidecar together
// with the PD and Filestore drivers' CreateSnapshot, ListSnapshots and DeleteSnapshot, behind the
// real snapshot-controller (built from external-snapshotter, which does everything else: binding
// VolumeSnapshots to contents, finalizers, deletion). As the sidecar does (pkg/sidecar-controller in
// external-snapshotter v8):
// - a dynamic VolumeSnapshotContent of a driver it serves (spec.source.volumeHandle, no status) gets
//   the being-created annotation, the driver's answer, then status {snapshotHandle, creationTime,
//   readyToUse, restoreSize} and the annotation removed — or, for a refusal, status.error and a
//   SnapshotCreationFailed event, and it is tried again later (syncContent requeues it with backoff).
//   The volume's directory is copied: that is the snapshot (a PD snapshot, a Filestore backup).
// - a pre-provisioned content (spec.source.snapshotHandle, the GA static path) gets its status from
//   ListSnapshots: ready, with the snapshot's size, when the snapshot exists.
// - deletion (the controller's being-deleted annotation, or a pre-provisioned content never bound),
//   policy Delete: the copy goes; then the sidecar's finalizer is removed.
// The drivers' rules, each with its source (docs/stack-fidelity.md lists them):
// - Filestore multishare shares are backed up (GKE's page "Back up Filestore storage using volume
//   snapshots", https://cloud.google.com/kubernetes-engine/docs/how-to/persistent-volumes/backup-filestore-volume-snapshots:
//   Enterprise "Single share, multishare", NFSv3 from GKE 1.25; NFSv4.1 "single share only"; the
//   driver's multishare CreateSnapshot behind --feature-multishare-backups, cmd/main.go). Filestore's
//   own "Backup limitations" page says backups "can't be combined with the Filestore multishares
//   feature": the stack imitates GKE's managed driver, as a VolumeSnapshot meets it.
// - "You can back up only one share per instance at a time" (the same GKE page): a second share of
//   an instance with a backup in progress is refused until that one ends. What the API answers then
//   is not documented: the refusal's code and text are this stack's own.
// - restoreSize: the source's capacity (PD: the disk's size; Filestore: `util.GbToBytes(backup.CapacityGb)`,
//   the instance's or share's capacity).
// - No VolumeGroupSnapshots: neither GKE driver has a group controller (the PD driver's capabilities
//   list none, gce-pd-driver.go; no GKE page documents them), so group contents stay unanswered.
// A driver it does not serve never answers: its contents stay without status (a test's class of a
// driver nobody runs). `hold` holds a namespace's snapshots, as a slow driver would.
//
// The snapshots live in `snapshotsDir` (`<id>/` the copy, `<id>.json` what ListSnapshots answers),
// which two stacks may share, as two GKE clusters share a project's snapshots and backups.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { Informer } from '../src/controller/informer.js';
import type { KubeClient } from '../src/kube/client.js';
import { isNotFound } from '../src/kube/errors.js';
import type { KubeObject } from '../src/kube/objects.js';
import { Resources } from '../src/kube/resources.js';
import { parseQuantity } from '../src/resources/quantity.js';
import { multishareInstance, recordEvent, STACK_DRIVERS, STACK_PATH_ATTRIBUTE } from './provisioner.js';
import { NEVER_ANSWERS } from './snapshot-classes.js';

const BEING_CREATED = 'snapshot.storage.kubernetes.io/volumesnapshot-being-created';
const BEING_DELETED = 'snapshot.storage.kubernetes.io/volumesnapshot-being-deleted';
const CONTENT_FINALIZER = 'snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection';
const GROUP_MEMBER = 'groupsnapshot.storage.k8s.io/volumeGroupSnapshotHandle';

interface Content extends KubeObject {
  spec?: {
    driver?: string; deletionPolicy?: string; volumeSnapshotRef?: { namespace?: string; name?: string; uid?: string }; volumeSnapshotClassName?: string;
    source?: { volumeHandle?: string; snapshotHandle?: string };
  };
  status?: { snapshotHandle?: string; readyToUse?: boolean; error?: unknown };
}
interface Volume extends KubeObject {
  spec?: { capacity?: Record<string, string>; storageClassName?: string; csi?: { driver?: string; volumeHandle?: string; volumeAttributes?: Record<string, string> } };
}
/** What ListSnapshots answers for a snapshot (kept beside its copy). */
interface SnapshotRecord {
  readonly handle: string;
  readonly driver: string;
  readonly sizeBytes: number;
  readonly creationTime: number;
  readonly sourceVolumeHandle: string;
}

const run = promisify(execFile);

/** How soon the sidecar tries a refused snapshot again: 1 s doubling, capped (the sidecar's own cap is 5 min; tests wait). */
const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 15_000;

export interface SnapshotterOptions {
  readonly client: KubeClient;
  /** Snapshots are kept as `<snapshotsDir>/<id>`: shared by stacks that share a project. */
  readonly snapshotsDir: string;
  readonly onError: (message: string) => void;
}

export class StackSnapshotter {
  readonly #stop = new AbortController();
  readonly #runs: Promise<void>[] = [];
  readonly #held = new Set<string>();
  readonly #busy = new Set<string>();
  /** Contents changed while being handled: handled again once that ends. */
  readonly #dirty = new Set<string>();
  /** Multishare instances with a backup in progress: instance → the content taking it. */
  readonly #instanceBackups = new Map<string, string>();
  /** Refusals so far per content, and when it may be tried again (the sidecar's backoff). */
  readonly #refusals = new Map<string, { count: number; notBefore: number }>();
  #volumes: Informer<Volume> | undefined;
  #contents: Informer<Content> | undefined;

  constructor(private readonly options: SnapshotterOptions) {}

  async start(): Promise<void> {
    await mkdir(this.options.snapshotsDir, { recursive: true, mode: 0o700 });
    const common = { client: this.options.client, inactivityMs: 300_000, watchTimeoutSeconds: 300, retry: { baseMs: 500, capMs: 5000, jitter: 0.2 }, log: pino({ level: 'silent' }) };
    this.#volumes = new Informer<Volume>({ ...common, resource: Resources.persistentVolume, onEvent: () => undefined });
    this.#contents = new Informer<Content>({ ...common, resource: Resources.volumeSnapshotContent, onEvent: (event, c) => { if (event !== 'delete') void this.#content(c); } });
    for (const informer of [this.#volumes, this.#contents]) this.#runs.push(informer.run(this.#stop.signal));
    await Promise.all([this.#volumes, this.#contents].map((i) => i.waitForSync(this.#stop.signal)));
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#runs);
  }

  /** Holds (or releases) the snapshots of a namespace's claims: their contents wait without an answer. */
  hold(namespace: string, held: boolean): void {
    if (held) {
      this.#held.add(namespace);
      return;
    }
    this.#held.delete(namespace);
    for (const content of this.#contents?.list() ?? []) void this.#content(content);
  }

  /** The directory of a stack volume, by its CSI handle. */
  volumeDir(handle: string): { dir: string; capacity: number } | undefined {
    const volume = this.#volumes?.list().find((v) => v.spec?.csi?.volumeHandle === handle);
    const dir = volume?.spec?.csi?.volumeAttributes?.[STACK_PATH_ATTRIBUTE];
    return dir === undefined ? undefined : { dir, capacity: parseQuantity(volume?.spec?.capacity?.['storage'] ?? '') ?? 0 };
  }

  /** A snapshot's copy, by its handle. */
  snapshotDir(handle: string): string {
    return join(this.options.snapshotsDir, snapshotId(handle));
  }

  async #content(content: Content): Promise<void> {
    const name = content.metadata?.name ?? '';
    if (!STACK_DRIVERS.includes(content.spec?.driver ?? '') || this.#stop.signal.aborted) return;
    // A change that arrives while the content is being handled is handled after it, from the cache,
    // as the sidecar's work queue would (dropping it lost a deletion that came just after an update).
    if (this.#busy.has(name)) {
      this.#dirty.add(name);
      return;
    }
    if (content.metadata?.annotations?.[GROUP_MEMBER] !== undefined) return; // no group controller: see above
    if ((this.#refusals.get(name)?.notBefore ?? 0) > Date.now()) return; // refused: its retry is timed
    this.#busy.add(name);
    try {
      if (content.metadata?.deletionTimestamp !== undefined) await this.#delete(content);
      else if (content.spec?.source?.volumeHandle !== undefined && content.status?.readyToUse !== true && content.status?.snapshotHandle === undefined) {
        if (await this.#answers(content.spec.volumeSnapshotClassName)) await this.#create(content);
      } else if (content.spec?.source?.snapshotHandle !== undefined && content.status?.readyToUse !== true) await this.#list(content);
    } catch (error: unknown) {
      if (!isNotFound(error)) this.options.onError(`snapshotter: content ${name}: ${String(error)}`);
    } finally {
      this.#busy.delete(name);
      if (this.#dirty.delete(name)) {
        const latest = this.#contents?.get(name);
        if (latest !== undefined) void this.#content(latest);
      }
    }
  }

  /** Whether the driver behind a class answers at all (a class marked NEVER_ANSWERS stands for one that does not). */
  async #answers(className: string | undefined): Promise<boolean> {
    if (className === undefined) return true;
    const cls = await this.options.client.get<KubeObject & { parameters?: Record<string, string> }>(Resources.volumeSnapshotClass, className).catch(() => undefined);
    return cls?.parameters?.[NEVER_ANSWERS] !== 'true';
  }

  /** CreateSnapshot: the driver's refusals, else copy the volume's directory and report it ready, as the sidecar writes it. */
  async #create(content: Content): Promise<void> {
    const name = content.metadata?.name ?? '';
    const handle = content.spec?.source?.volumeHandle ?? '';
    const driver = content.spec?.driver ?? '';
    await this.#annotate(name, { [BEING_CREATED]: 'yes' });
    const instance = multishareInstance(handle);
    const refusal = instance === undefined ? undefined : await this.#multishareRefusal(handle, instance, name);
    if (refusal !== undefined) {
      const message = `Failed to take snapshot of the volume ${handle}: "${refusal}"`;
      await this.#status(name, { error: { time: new Date().toISOString(), message } });
      await recordEvent(this.options.client, { ...content, apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotContent' },
        { type: 'Warning', reason: 'SnapshotCreationFailed', note: `Failed to create snapshot: ${message}`, controller: `${driver}/csi-snapshotter`, action: 'CreateSnapshot' }, this.options.onError);
      this.#retryLater(name);
      return;
    }
    // A slow driver (a test holds the namespace): the snapshot is under way (its instance taken) until released.
    if (this.#held.has(content.spec?.volumeSnapshotRef?.namespace ?? '')) return;
    try {
      const taken = await this.#copy(handle, driver);
      this.#refusals.delete(name);
      await this.#status(name, { snapshotHandle: taken.handle, creationTime: taken.creationTime, readyToUse: true, restoreSize: taken.sizeBytes, error: null });
      await this.#annotate(name, { [BEING_CREATED]: null });
    } finally {
      if (instance !== undefined && this.#instanceBackups.get(instance) === name) this.#instanceBackups.delete(instance);
    }
  }

  /**
   * A multishare share's backup: refused on NFSv4.1 (GKE's table: "single share only"; the text is
   * the stack's own), and while another share of its instance is being backed up ("You can back up
   * only one share per instance at a time"; code and text the stack's own).
   */
  async #multishareRefusal(handle: string, instance: string, content: string): Promise<string | undefined> {
    const volume = this.#volumes?.list().find((v) => v.spec?.csi?.volumeHandle === handle);
    const className = volume?.spec?.storageClassName;
    const storageClass = className === undefined ? undefined : await this.options.client.get<KubeObject & { parameters?: Record<string, string> }>(Resources.storageClass, className).catch(() => undefined);
    if (storageClass?.parameters?.['protocol'] === 'NFS_V4_1') {
      return 'rpc error: code = InvalidArgument desc = backups of NFSv4.1 multishare shares are not supported';
    }
    const busy = this.#instanceBackups.get(instance);
    if (busy !== undefined && busy !== content) {
      return `rpc error: code = FailedPrecondition desc = instance ${instance.split('/').slice(1).join('/')} is backing up another share (${busy}); Filestore backs up one share per instance at a time`;
    }
    this.#instanceBackups.set(instance, content);
    return undefined;
  }

  /** The sidecar requeues a content whose snapshot failed: try it again after a backoff. */
  #retryLater(name: string): void {
    const refusals = (this.#refusals.get(name)?.count ?? 0) + 1;
    const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (refusals - 1));
    this.#refusals.set(name, { count: refusals, notBefore: Date.now() + delay });
    setTimeout(() => {
      const content = this.#contents?.get(name);
      if (content !== undefined) void this.#content(content);
    }, delay + 10).unref();
  }

  /** ListSnapshots for a pre-provisioned content: ready with the snapshot's size when it exists. */
  async #list(content: Content): Promise<void> {
    const name = content.metadata?.name ?? '';
    const handle = content.spec?.source?.snapshotHandle ?? '';
    const found = await readRecord(this.options.snapshotsDir, handle);
    if (found === undefined || found.driver !== content.spec?.driver) {
      // The sidecar's wording for a snapshot the driver does not list is the stack's own.
      await this.#status(name, { error: { time: new Date().toISOString(), message: `Failed to check and update snapshot content: snapshot ${handle} of driver ${content.spec?.driver ?? ''} not found` } });
      this.#retryLater(name);
      return;
    }
    this.#refusals.delete(name);
    await this.#status(name, { snapshotHandle: handle, creationTime: found.creationTime, readyToUse: true, restoreSize: found.sizeBytes, error: null });
  }

  async #copy(volumeHandle: string, driver: string): Promise<SnapshotRecord> {
    const volume = this.volumeDir(volumeHandle);
    if (volume === undefined) throw new Error(`no stack volume has the handle ${volumeHandle}`);
    const id = `snapshot-${randomUUID()}`;
    const handle = driver === 'filestore.csi.storage.gke.io' ? `projects/gaim-local/locations/local/backups/${id}` : `projects/gaim-local/global/snapshots/${id}`;
    const target = this.snapshotDir(handle);
    await mkdir(target, { recursive: true });
    // As root, keeping owners and modes: the restored volume is what the snapshot held.
    await run('cp', ['-a', `${volume.dir}/.`, target]);
    const record: SnapshotRecord = { handle, driver, sizeBytes: volume.capacity, creationTime: Date.now() * 1e6, sourceVolumeHandle: volumeHandle };
    await writeFile(`${target}.json`, JSON.stringify(record));
    return record;
  }

  /**
   * DeleteSnapshot, then the sidecar's finalizer goes: for a content the snapshot-controller marked
   * being deleted, or a pre-provisioned one never bound (the sidecar's shouldDelete).
   */
  async #delete(content: Content): Promise<void> {
    const annotations = content.metadata?.annotations ?? {};
    const unboundStatic = content.spec?.source?.snapshotHandle !== undefined && (content.spec.volumeSnapshotRef?.uid ?? '') === '';
    if ((annotations[BEING_DELETED] === undefined && !unboundStatic) || annotations[BEING_CREATED] !== undefined) return;
    const name = content.metadata?.name ?? '';
    if (content.spec?.deletionPolicy === 'Delete') {
      const handle = content.status?.snapshotHandle ?? content.spec.source?.snapshotHandle;
      if (handle !== undefined) await Promise.all([rm(this.snapshotDir(handle), { recursive: true, force: true }), rm(`${this.snapshotDir(handle)}.json`, { force: true })]);
    }
    const finalizers = content.metadata?.finalizers ?? [];
    if (finalizers.includes(CONTENT_FINALIZER)) {
      await this.options.client.mergePatch(Resources.volumeSnapshotContent, name, undefined, { metadata: { finalizers: finalizers.filter((f) => f !== CONTENT_FINALIZER), resourceVersion: content.metadata?.resourceVersion } });
    }
  }

  #annotate(name: string, annotations: Record<string, string | null>): Promise<unknown> {
    return this.options.client.mergePatch(Resources.volumeSnapshotContent, name, undefined, { metadata: { annotations } });
  }

  #status(name: string, status: Record<string, unknown>): Promise<unknown> {
    return this.options.client.mergePatch(Resources.volumeSnapshotContent, name, undefined, { status }, undefined, 'status');
  }
}

/** The last part of a handle: the snapshot's id in the store. */
const snapshotId = (handle: string) => handle.split('/').at(-1) ?? handle;

/** A snapshot in the store, by its handle; undefined when there is none. */
export async function readRecord(snapshotsDir: string, handle: string): Promise<SnapshotRecord | undefined> {
  const text = await readFile(`${join(snapshotsDir, snapshotId(handle))}.json`, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as SnapshotRecord);
}

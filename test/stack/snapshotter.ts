// Stands in for the snapshot side of the stack's CSI drivers: the csi-snapshotter sidecar together
// with the PD and Filestore drivers' CreateSnapshot, DeleteSnapshot and CreateVolumeGroupSnapshot,
// behind the real snapshot-controller (built from external-snapshotter, which does everything else:
// VolumeSnapshot ↔ VolumeSnapshotContent binding, group members, finalizers, deletion). As the
// sidecar does (pkg/sidecar-controller in external-snapshotter v8):
// - a dynamic VolumeSnapshotContent of a driver it serves (spec.source.volumeHandle, no status) gets
//   the being-created annotation, the driver's answer, then status {snapshotHandle, creationTime,
//   readyToUse, restoreSize} and the annotation removed — or, for a refusal, status.error and a
//   SnapshotCreationFailed event. The volume's directory is copied: that is the snapshot.
// - Filestore multishare volumes are refused as the real driver refuses them (InvalidArgument:
//   "CreateSnapshot is not supported for multishare backed volumes").
// - a VolumeGroupSnapshotContent (spec.source.volumeHandles) gets every volume copied and status
//   {volumeGroupSnapshotHandle, readyToUse, creationTime, volumeSnapshotInfoList}; the members'
//   contents the snapshot-controller makes get readyToUse when their snapshot exists.
// - deletion (the controller's being-deleted annotation, policy Delete): the copy goes, the status is
//   cleared and the sidecar's finalizer removed.
// A driver it does not serve never answers: its contents stay without status (a test's class of a
// driver nobody runs). `hold` holds a namespace's snapshots, as a slow driver would.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { Informer } from '../../src/controller/informer.js';
import type { KubeClient } from '../../src/kube/client.js';
import { isNotFound } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { parseQuantity } from '../../src/resources/quantity.js';
import { MULTISHARE_HANDLE_PREFIX, recordEvent, STACK_DRIVERS, STACK_PATH_ATTRIBUTE } from './provisioner.js';
import { NEVER_ANSWERS } from './snapshot-classes.js';

const BEING_CREATED = 'snapshot.storage.kubernetes.io/volumesnapshot-being-created';
const BEING_DELETED = 'snapshot.storage.kubernetes.io/volumesnapshot-being-deleted';
const GROUP_BEING_DELETED = 'groupsnapshot.storage.kubernetes.io/volumegroupsnapshot-being-deleted';
const GROUP_BEING_CREATED = 'groupsnapshot.storage.kubernetes.io/volumegroupsnapshot-being-created';
const GROUP_MEMBER = 'groupsnapshot.storage.k8s.io/volumeGroupSnapshotHandle';
const CONTENT_FINALIZER = 'snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection';
const GROUP_CONTENT_FINALIZER = 'groupsnapshot.storage.kubernetes.io/volumegroupsnapshotcontent-bound-protection';

interface Content extends KubeObject {
  spec?: {
    driver?: string; deletionPolicy?: string; volumeSnapshotRef?: { namespace?: string; name?: string }; volumeSnapshotClassName?: string;
    source?: { volumeHandle?: string; snapshotHandle?: string; volumeHandles?: string[] };
  };
  status?: { snapshotHandle?: string; readyToUse?: boolean; volumeGroupSnapshotHandle?: string; error?: unknown; volumeSnapshotInfoList?: { snapshotHandle?: string }[] };
}
interface Volume extends KubeObject {
  spec?: { capacity?: Record<string, string>; csi?: { driver?: string; volumeHandle?: string; volumeAttributes?: Record<string, string> } };
}

const run = promisify(execFile);

export interface SnapshotterOptions {
  readonly client: KubeClient;
  /** Snapshots are kept as `<snapshotsDir>/<id>`. */
  readonly snapshotsDir: string;
  readonly onError: (message: string) => void;
}

export class StackSnapshotter {
  readonly #stop = new AbortController();
  readonly #runs: Promise<void>[] = [];
  readonly #held = new Set<string>();
  readonly #busy = new Set<string>();
  #volumes: Informer<Volume> | undefined;
  #contents: Informer<Content> | undefined;
  #groups: Informer<Content> | undefined;

  constructor(private readonly options: SnapshotterOptions) {}

  async start(): Promise<void> {
    await mkdir(this.options.snapshotsDir, { recursive: true, mode: 0o700 });
    const common = { client: this.options.client, inactivityMs: 300_000, watchTimeoutSeconds: 300, retry: { baseMs: 500, capMs: 5000, jitter: 0.2 }, log: pino({ level: 'silent' }) };
    this.#volumes = new Informer<Volume>({ ...common, resource: Resources.persistentVolume, onEvent: () => undefined });
    this.#contents = new Informer<Content>({ ...common, resource: Resources.volumeSnapshotContent, onEvent: (event, c) => { if (event !== 'delete') void this.#content(c); } });
    this.#groups = new Informer<Content>({ ...common, resource: Resources.volumeGroupSnapshotContent, onEvent: (event, c) => { if (event !== 'delete') void this.#group(c); } });
    for (const informer of [this.#volumes, this.#contents, this.#groups]) this.#runs.push(informer.run(this.#stop.signal));
    await Promise.all([this.#volumes, this.#contents, this.#groups].map((i) => i.waitForSync(this.#stop.signal)));
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
    for (const content of this.#groups?.list() ?? []) void this.#group(content);
  }

  /** The directory of a stack volume, by its CSI handle. */
  volumeDir(handle: string): { dir: string; capacity: number } | undefined {
    const volume = this.#volumes?.list().find((v) => v.spec?.csi?.volumeHandle === handle);
    const dir = volume?.spec?.csi?.volumeAttributes?.[STACK_PATH_ATTRIBUTE];
    return dir === undefined ? undefined : { dir, capacity: parseQuantity(volume?.spec?.capacity?.['storage'] ?? '') ?? 0 };
  }

  /** A snapshot's copy, by its handle. */
  snapshotDir(handle: string): string {
    return join(this.options.snapshotsDir, handle.split('/').at(-1) ?? handle);
  }

  async #content(content: Content): Promise<void> {
    const name = content.metadata?.name ?? '';
    if (!STACK_DRIVERS.includes(content.spec?.driver ?? '') || this.#busy.has(name)) return;
    if (this.#held.has(content.spec?.volumeSnapshotRef?.namespace ?? '')) return;
    this.#busy.add(name);
    try {
      if (content.metadata?.deletionTimestamp !== undefined) await this.#delete(content, Resources.volumeSnapshotContent, CONTENT_FINALIZER);
      else if (content.spec?.source?.volumeHandle !== undefined && content.status === undefined && content.metadata?.annotations?.[GROUP_MEMBER] === undefined) {
        if (!(await this.#answers(content.spec.volumeSnapshotClassName))) return;
        await this.#create(content);
      }
      else if (content.status?.readyToUse !== true && content.status?.snapshotHandle !== undefined) await this.#check(content);
    } catch (error: unknown) {
      if (!isNotFound(error)) this.options.onError(`snapshotter: content ${name}: ${String(error)}`);
    } finally {
      this.#busy.delete(name);
    }
  }

  /** Whether the driver behind a class answers at all (a class marked NEVER_ANSWERS stands for one that does not). */
  async #answers(className: string | undefined): Promise<boolean> {
    if (className === undefined) return true;
    const cls = await this.options.client.get<KubeObject & { parameters?: Record<string, string> }>(Resources.volumeSnapshotClass, className).catch(() => undefined);
    return cls?.parameters?.[NEVER_ANSWERS] !== 'true';
  }

  /** CreateSnapshot: copy the volume's directory, then report it ready, as the sidecar writes it. */
  async #create(content: Content): Promise<void> {
    const name = content.metadata?.name ?? '';
    const handle = content.spec?.source?.volumeHandle ?? '';
    await this.#annotate(Resources.volumeSnapshotContent, name, { [BEING_CREATED]: 'yes' });
    if (handle.startsWith(MULTISHARE_HANDLE_PREFIX)) {
      const message = `Failed to take snapshot of the volume ${handle}: "rpc error: code = InvalidArgument desc = CreateSnapshot is not supported for multishare backed volumes"`;
      await this.#status(Resources.volumeSnapshotContent, name, { error: { time: new Date().toISOString(), message } });
      await recordEvent(this.options.client, { ...content, apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotContent' },
        { type: 'Warning', reason: 'SnapshotCreationFailed', note: `Failed to create snapshot: ${message}`, controller: `${content.spec?.driver ?? ''}/csi-snapshotter`, action: 'CreateSnapshot' }, this.options.onError);
      await this.#annotate(Resources.volumeSnapshotContent, name, { [BEING_CREATED]: null }); // a final error: nothing leaks
      return;
    }
    const taken = await this.#copy(handle, content.spec?.driver ?? '');
    await this.#status(Resources.volumeSnapshotContent, name, { snapshotHandle: taken.handle, creationTime: taken.creationTime, readyToUse: true, restoreSize: taken.size });
    await this.#annotate(Resources.volumeSnapshotContent, name, { [BEING_CREATED]: null });
  }

  /** A group member's (or pre-provisioned) content: ready when its snapshot exists. */
  async #check(content: Content): Promise<void> {
    const handle = content.status?.snapshotHandle ?? content.spec?.source?.snapshotHandle ?? '';
    const exists = await stat(this.snapshotDir(handle)).then(() => true, () => false);
    if (exists) await this.#status(Resources.volumeSnapshotContent, content.metadata?.name ?? '', { readyToUse: true });
  }

  async #group(content: Content): Promise<void> {
    const name = content.metadata?.name ?? '';
    if (!STACK_DRIVERS.includes(content.spec?.driver ?? '') || this.#busy.has(`group/${name}`)) return;
    if (this.#held.has(content.spec?.volumeSnapshotRef?.namespace ?? '')) return;
    this.#busy.add(`group/${name}`);
    try {
      if (content.metadata?.deletionTimestamp !== undefined) {
        await this.#delete(content, Resources.volumeGroupSnapshotContent, GROUP_CONTENT_FINALIZER);
      } else if ((content.spec?.source?.volumeHandles ?? []).length > 0 && content.status === undefined) {
        // CreateVolumeGroupSnapshot: every volume at "one instant" (here: one after the other, with
        // nothing written in between in the tests; a real driver freezes them together).
        const handles = content.spec?.source?.volumeHandles ?? [];
        const refused = handles.find((h) => h.startsWith(MULTISHARE_HANDLE_PREFIX));
        if (refused !== undefined) {
          await this.#status(Resources.volumeGroupSnapshotContent, name, { error: { time: new Date().toISOString(), message: `rpc error: code = InvalidArgument desc = CreateVolumeGroupSnapshot is not supported for multishare backed volumes (${refused})` } });
          return;
        }
        const taken = [];
        for (const handle of handles) taken.push({ volumeHandle: handle, ...(await this.#copy(handle, content.spec?.driver ?? '')) });
        await this.#status(Resources.volumeGroupSnapshotContent, name, {
          // The group's time is RFC 3339 (its members' are nanoseconds, as a VolumeSnapshotContent's).
          volumeGroupSnapshotHandle: `groupsnapshot-${randomUUID()}`, readyToUse: true, creationTime: new Date().toISOString(),
          volumeSnapshotInfoList: taken.map((t) => ({ volumeHandle: t.volumeHandle, snapshotHandle: t.handle, creationTime: t.creationTime, readyToUse: true, restoreSize: t.size })),
        });
      }
    } catch (error: unknown) {
      if (!isNotFound(error)) this.options.onError(`snapshotter: group content ${name}: ${String(error)}`);
    } finally {
      this.#busy.delete(`group/${name}`);
    }
  }

  async #copy(volumeHandle: string, driver: string): Promise<{ handle: string; creationTime: number; size: number }> {
    const volume = this.volumeDir(volumeHandle);
    if (volume === undefined) throw new Error(`no stack volume has the handle ${volumeHandle}`);
    const id = `snapshot-${randomUUID()}`;
    const handle = driver.startsWith('filestore') ? `projects/gaim-local/locations/local/backups/${id}` : `projects/gaim-local/global/snapshots/${id}`;
    const target = this.snapshotDir(handle);
    await mkdir(target, { recursive: true });
    // As root, keeping owners and modes: the restored volume is what the snapshot held.
    await run('cp', ['-a', `${volume.dir}/.`, target]);
    return { handle, creationTime: Date.now() * 1e6, size: volume.capacity };
  }

  /**
   * DeleteSnapshot (DeleteVolumeGroupSnapshot for a group: its members' snapshots with it; a member
   * on its own is left to its group), then the sidecar's finalizer goes.
   */
  async #delete(content: Content, resource: typeof Resources.volumeSnapshotContent | typeof Resources.volumeGroupSnapshotContent, finalizer: string): Promise<void> {
    const group = resource === Resources.volumeGroupSnapshotContent;
    const annotations = content.metadata?.annotations ?? {};
    if (annotations[group ? GROUP_BEING_DELETED : BEING_DELETED] === undefined || annotations[group ? GROUP_BEING_CREATED : BEING_CREATED] !== undefined) return;
    const name = content.metadata?.name ?? '';
    if (content.spec?.deletionPolicy === 'Delete') {
      const handles = group ? (content.status?.volumeSnapshotInfoList ?? []).map((i) => i.snapshotHandle)
        : content.status?.volumeGroupSnapshotHandle === undefined ? [content.status?.snapshotHandle] : [];
      for (const handle of handles) if (handle !== undefined) await rm(this.snapshotDir(handle), { recursive: true, force: true });
    }
    const finalizers = content.metadata?.finalizers ?? [];
    if (finalizers.includes(finalizer)) {
      await this.options.client.mergePatch(resource, name, undefined, { metadata: { finalizers: finalizers.filter((f) => f !== finalizer), resourceVersion: content.metadata?.resourceVersion } });
    }
  }

  #annotate(resource: typeof Resources.volumeSnapshotContent, name: string, annotations: Record<string, string | null>): Promise<unknown> {
    return this.options.client.mergePatch(resource, name, undefined, { metadata: { annotations } });
  }

  #status(resource: typeof Resources.volumeSnapshotContent | typeof Resources.volumeGroupSnapshotContent, name: string, status: Record<string, unknown>): Promise<unknown> {
    return this.options.client.mergePatch(resource, name, undefined, { status }, undefined, 'status');
  }
}

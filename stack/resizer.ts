// Stands in for the CSI drivers' expansion side: the external-resizer sidecar (v2.2, Kubernetes 1.34
// with RecoverVolumeExpansionFailure GA) with the PD and Filestore drivers' ControllerExpandVolume
// (storage-classes.ts: each driver's rules and texts, with their sources).
// kube-controller-manager's expand controller finds no in-tree plugin for these volumes and leaves
// the claim to "an external controller" (its ExternalExpanding event); this is that controller. It
// writes what the sidecar writes, in the same order:
// - Resizing (condition), allocatedResources and allocatedResourceStatuses ControllerResizeInProgress;
// - then the driver's answer: the volume's new capacity and, for PD, FileSystemResizePending with
//   NodeResizePending (the kubelet grows the file system: the stack's kubelet does, for the pods it
//   runs); for Filestore (NFS: no node step) the claim's capacity at once, conditions cleared;
// - or the driver's refusal (InvalidArgument): ControllerResizeError and ControllerResizeInfeasible,
//   with a VolumeResizeFailed event.
// The API server itself refuses a larger request on a class without allowVolumeExpansion (the
// PersistentVolumeClaimResize admission plugin), and one below the capacity (validation).
// hostPath volumes have no size of their own: only the recorded sizes change.
import { pino } from 'pino';
import { Informer } from '../src/controller/informer.js';
import type { KubeClient } from '../src/kube/client.js';
import type { KubeObject } from '../src/kube/objects.js';
import { Resources } from '../src/kube/resources.js';
import { parseQuantity } from '../src/resources/quantity.js';
import { recordEvent, stackClass } from './provisioner.js';
import { bytesToQuantity } from './storage-classes.js';

export interface ResizingClaim extends KubeObject {
  spec?: { storageClassName?: string; volumeName?: string; resources?: { requests?: Record<string, string> } };
  status?: {
    phase?: string;
    capacity?: Record<string, string>;
    allocatedResources?: Record<string, string>;
    allocatedResourceStatuses?: Record<string, string>;
    conditions?: { type: string; status: string; message?: string }[];
  };
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const bytes = (quantity: string | undefined) => (quantity === undefined ? undefined : parseQuantity(quantity));

/** Whether the resizer has work on this claim: bound, asking for more than it has, not waiting on a node or refused for this size. */
export function wantsControllerResize(claim: ResizingClaim): boolean {
  const request = bytes(claim.spec?.resources?.requests?.['storage']);
  const capacity = bytes(claim.status?.capacity?.['storage']);
  if (claim.status?.phase !== 'Bound' || request === undefined || capacity === undefined || request <= capacity) return false;
  const state = claim.status.allocatedResourceStatuses?.['storage'];
  if (state === 'NodeResizePending' || state === 'NodeResizeInProgress') return false;
  // Refused for this size: tried again only once the request changes (the sidecar's slow retry).
  return !(state === 'ControllerResizeInfeasible' && claim.status.allocatedResources?.['storage'] === claim.spec?.resources?.requests?.['storage']);
}

export class StackResizer {
  readonly #stop = new AbortController();
  #run: Promise<void> | undefined;
  #claims: Informer<ResizingClaim> | undefined;
  readonly #busy = new Set<string>();
  /** Namespaces whose resizes wait (a slow driver, for tests that watch each step). */
  readonly #held = new Set<string>();

  constructor(private readonly options: { readonly client: KubeClient; readonly onError: (message: string) => void }) {}

  async start(): Promise<void> {
    const claims = this.#claims = new Informer<ResizingClaim>({
      client: this.options.client, resource: Resources.persistentVolumeClaim, inactivityMs: 300_000, watchTimeoutSeconds: 300,
      retry: { baseMs: 500, capMs: 5000, jitter: 0.2 }, log: pino({ level: 'silent' }),
      onEvent: (event, claim) => { if (event !== 'delete' && wantsControllerResize(claim)) void this.#resize(claim); },
    });
    this.#run = claims.run(this.#stop.signal);
    await claims.waitForSync(this.#stop.signal);
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#run;
  }

  /** Holds the resizes of a namespace's claims, or releases them (and does the ones that waited). */
  hold(namespace: string, held: boolean): void {
    if (held) {
      this.#held.add(namespace);
      return;
    }
    this.#held.delete(namespace);
    for (const claim of this.#claims?.list() ?? []) {
      if (claim.metadata?.namespace === namespace && wantsControllerResize(claim)) void this.#resize(claim);
    }
  }

  async #resize(claim: ResizingClaim): Promise<void> {
    const { metadata, spec } = claim;
    const uid = metadata?.uid ?? '';
    if (this.#held.has(metadata?.namespace ?? '') || this.#busy.has(uid) || metadata?.name === undefined || metadata.namespace === undefined || spec?.volumeName === undefined) return;
    this.#busy.add(uid);
    const { client, onError } = this.options;
    try {
      const storageClass = await stackClass(client, spec.storageClassName);
      if (storageClass === undefined) return;
      const driver = storageClass.provisioner;
      const request = spec.resources?.requests?.['storage'] ?? '';
      const event = (type: 'Normal' | 'Warning', reason: string, note: string) =>
        recordEvent(client, { ...claim, apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, { type, reason, note, controller: `${driver}/external-resizer`, action: 'Resize' }, onError);
      const patchStatus = (status: Record<string, unknown>) =>
        client.mergePatch(Resources.persistentVolumeClaim, metadata.name ?? '', metadata.namespace, { status }, undefined, 'status');

      await patchStatus({
        conditions: [{ type: 'Resizing', status: 'True', lastProbeTime: null, lastTransitionTime: now() }],
        allocatedResources: { storage: request },
        allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' },
      });
      await event('Normal', 'Resizing', `External resizer is resizing volume ${spec.volumeName}`);

      const outcome = storageClass.rules.expand(bytes(request) ?? 0, bytes(claim.status?.capacity?.['storage']) ?? 0);
      if ('infeasible' in outcome) {
        await patchStatus({
          conditions: [{ type: 'ControllerResizeError', status: 'True', lastProbeTime: null, lastTransitionTime: now(), message: `failed to expand pvc with ${outcome.infeasible}` }],
          allocatedResourceStatuses: { storage: 'ControllerResizeInfeasible' },
        });
        await event('Warning', 'VolumeResizeFailed', `resize volume "${spec.volumeName}" by resizer "${driver}" failed: ${outcome.infeasible}`);
        return;
      }
      const capacity = bytesToQuantity(outcome.capacityBytes);
      await client.mergePatch(Resources.persistentVolume, spec.volumeName, undefined, { spec: { capacity: { storage: capacity } } });
      if (outcome.nodeExpansionRequired) {
        await patchStatus({
          conditions: [
            { type: 'Resizing', status: 'True', lastProbeTime: null, lastTransitionTime: now() },
            { type: 'FileSystemResizePending', status: 'True', lastProbeTime: null, lastTransitionTime: now(), message: 'Waiting for user to (re-)start a pod to finish file system resize of volume on node.' },
          ],
          allocatedResourceStatuses: { storage: 'NodeResizePending' },
        });
        await event('Normal', 'FileSystemResizeRequired', 'Require file system resize of volume on node');
        return;
      }
      await patchStatus({ capacity: { storage: capacity }, conditions: null, allocatedResourceStatuses: null });
      await client.mergePatch(Resources.persistentVolumeClaim, metadata.name, metadata.namespace, { metadata: { annotations: { 'volume.kubernetes.io/node-expansion-not-required': 'true' } } });
      await event('Normal', 'VolumeResizeSuccessful', 'Resize volume succeeded');
    } catch (error: unknown) {
      onError(`cannot resize ${metadata.namespace}/${metadata.name}: ${String(error)}`);
    } finally {
      this.#busy.delete(uid);
    }
  }
}

/**
 * The kubelet's NodeExpandVolume, for a claim whose volume has grown and is mounted by a running pod
 * of the node: the file system grows (nothing to do on a hostPath directory), then the claim's
 * capacity becomes what was allocated and the resize conditions go.
 */
export async function expandOnNode(client: KubeClient, claim: ResizingClaim, pod: KubeObject, nodeName: string, onError: (message: string) => void): Promise<void> {
  const { name, namespace } = claim.metadata ?? {};
  const allocated = claim.status?.allocatedResources?.['storage'];
  if (name === undefined || namespace === undefined || allocated === undefined) return;
  const patchStatus = (status: Record<string, unknown>) => client.mergePatch(Resources.persistentVolumeClaim, name, namespace, { status }, undefined, 'status');
  await patchStatus({ allocatedResourceStatuses: { storage: 'NodeResizeInProgress' } });
  await patchStatus({ capacity: { storage: allocated }, conditions: null, allocatedResourceStatuses: null });
  const note = `MountVolume.NodeExpandVolume succeeded for volume "${claim.spec?.volumeName ?? ''}" ${nodeName}`;
  for (const regarding of [{ ...claim, apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, { ...pod, apiVersion: 'v1', kind: 'Pod' }]) {
    await recordEvent(client, regarding, { type: 'Normal', reason: 'FileSystemResizeSuccessful', note, controller: 'kubelet', action: 'Resize' }, onError);
  }
}

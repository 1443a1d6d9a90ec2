// Step 1 of the reconcile: what exists, read from the informer caches only. Pure: no API call, no
// write; everything the later steps decide on is in `Observed`.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { Caches } from '../../controller/caches.js';
import { Labels } from '../../kube/labels.js';
import type { KubeObject } from '../../kube/objects.js';
import { compareText } from '../../text-order.js';
import { Resources, type Resource } from '../../kube/resources.js';
import type { CurrentSizes } from '../../resources/desired.js';
import type { RunningSizes } from '../../resources/tiers.js';
import { objectNames } from '../../resources/meta.js';
import { resizeProgress, type ResizeProgress } from '../../resources/claim-growth.js';
import { claimReadiness, statefulSetReadiness, type Readiness } from '../../resources/readiness.js';
import type { ClaimSize, StoresReadiness } from '../../status/gaim-status.js';

export interface ClaimState {
  readonly store: 'mongodb' | 'redis' | 'lancedb';
  readonly name: string;
  readonly phase: string;
  /** The bound volume, when Bound. */
  readonly volumeName: string | undefined;
  /** The volume's reclaim policy, when the operator's cache holds the volume (it carries the Gaim's labels). */
  readonly reclaimPolicy: string | undefined;
  readonly storageClassName: string | undefined;
  /** spec.resources.requests.storage */
  readonly request: string | undefined;
  /** status.capacity.storage: what the volume has (absent until Bound). */
  readonly capacity: string | undefined;
  /** Where a resize stands, when the request is above the capacity. */
  readonly resize: ResizeProgress;
}

/** A namespaced object to act on by name. */
export interface ObjectRef {
  readonly resource: Resource;
  readonly name: string;
  readonly namespace: string;
}

export interface Observed {
  /** The Gaim that owns the namespace: the oldest one not being deleted (this one, unless refused). */
  readonly namespaceOwner: string;
  /** `namespace/name` of another Gaim whose static volume has this Gaim's NFS server and path. */
  readonly shareOwner: string | undefined;
  /** Sizes that cannot change in place (claim templates) or only grow (the LanceDB claim). */
  readonly sizes: CurrentSizes;
  readonly stores: StoresReadiness;
  /** The Gaim's claims (the stores' data claims and the LanceDB claim) that exist, and their volumes. */
  readonly claims: readonly ClaimState[];
  /** Workloads of a store switched off in the spec, which must go. */
  readonly disabledWorkloads: readonly ObjectRef[];
  /** What the stores' StatefulSets ask for now (requests, claim template), where they exist. */
  readonly running: RunningSizes;
}

interface WithClaimTemplates extends KubeObject {
  spec?: {
    volumeClaimTemplates?: { spec?: { resources?: { requests?: Record<string, string> } } }[];
    template?: { spec?: { containers?: { resources?: { requests?: Record<string, string> } }[] } };
  };
}
interface WithRequests extends KubeObject {
  spec?: {
    resources?: { requests?: Record<string, string> }; nfs?: { server?: string; path?: string }; volumeName?: string;
    persistentVolumeReclaimPolicy?: string; storageClassName?: string;
  };
  status?: {
    phase?: string; capacity?: Record<string, string>; allocatedResources?: Record<string, string>; allocatedResourceStatuses?: Record<string, string>;
    conditions?: { type: string; status?: string; message?: string }[];
  };
}

export function observe(gaim: Gaim, caches: Caches): Observed {
  const names = objectNames(gaim);
  const ns = gaim.metadata.namespace;
  const get = <T extends KubeObject>(resource: Resource, name: string) => caches.get<T>(resource, `${ns}/${name}`);

  const sizes: { -readonly [K in keyof CurrentSizes]: CurrentSizes[K] } = {};
  const templateSize = (name: string) => get<WithClaimTemplates>(Resources.statefulSet, name)?.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.['storage'];
  const mongodbClaim = templateSize(names.mongodb);
  const redisClaim = templateSize(names.redis);
  const lancedb = get<WithRequests & { spec?: { storageClassName?: string } }>(Resources.persistentVolumeClaim, names.lancedbClaim);
  const lancedbClaim = lancedb?.spec?.resources?.requests?.['storage'];
  if (mongodbClaim !== undefined) sizes.mongodbClaim = mongodbClaim;
  if (redisClaim !== undefined) sizes.redisClaim = redisClaim;
  if (lancedbClaim !== undefined) sizes.lancedbClaim = lancedbClaim;
  const lancedbCapacity = lancedb?.status?.capacity?.['storage'];
  if (lancedbCapacity !== undefined) sizes.lancedbCapacity = lancedbCapacity;
  // A restored claim may be of another class than the spec's (a multishare backup restores into a
  // single-share class): the claim keeps it (a claim's class is immutable).
  const lancedbClass = lancedb?.spec?.storageClassName;
  if (lancedbClass !== undefined && lancedbClass !== '' && gaim.spec.lancedb.storage.nfs === undefined) sizes.lancedbClass = lancedbClass;

  const claims = claimStates(gaim, caches);
  // A store whose data claim is being resized says so in its condition until the capacity matches.
  const resizing = (store: ClaimState['store'], readiness: Readiness): Readiness => {
    const resize = claims.find((c) => c.store === store)?.resize;
    return readiness.ready && resize !== undefined && resize.state !== 'steady' ? { ready: false, reason: resize.state, message: resize.message } : readiness;
  };
  const readiness = (name: string, store: 'mongodb' | 'redis') => resizing(store, statefulSetReadiness(get(Resources.statefulSet, name)));
  const disabled = [...(gaim.spec.mongodb.enabled ? [] : [names.mongodb]), ...(gaim.spec.redis.enabled ? [] : [names.redis])];
  const runningOf = (name: string) => {
    const requests = get<WithClaimTemplates>(Resources.statefulSet, name)?.spec?.template?.spec?.containers?.[0]?.resources?.requests;
    return requests === undefined ? undefined : { cpu: requests['cpu'], memory: requests['memory'], storage: templateSize(name) };
  };
  const [mongodbRunning, redisRunning] = [runningOf(names.mongodb), runningOf(names.redis)];
  return {
    namespaceOwner: namespaceOwner(gaim, caches),
    shareOwner: shareOwner(gaim, caches),
    sizes,
    stores: {
      mongodb: gaim.spec.mongodb.enabled ? readiness(names.mongodb, 'mongodb') : 'disabled',
      redis: gaim.spec.redis.enabled ? readiness(names.redis, 'redis') : 'disabled',
      storage: resizing('lancedb', claimReadiness(get(Resources.persistentVolumeClaim, names.lancedbClaim))),
    },
    claims,
    running: { ...(mongodbRunning === undefined ? {} : { mongodb: mongodbRunning }), ...(redisRunning === undefined ? {} : { redis: redisRunning }) },
    disabledWorkloads: disabled.flatMap((name) => [Resources.statefulSet, Resources.service]
      .filter((resource) => get(resource, name) !== undefined)
      .map((resource) => ({ resource, name, namespace: ns }))),
  };
}

/** The data claims of the stores' StatefulSets (`data-<statefulset>-0`) and the LanceDB claim, as they exist. */
export function dataClaimName(gaim: Pick<Gaim, 'metadata'>, store: 'mongodb' | 'redis'): string {
  const names = objectNames(gaim);
  return `data-${store === 'mongodb' ? names.mongodb : names.redis}-0`;
}

function claimStates(gaim: Gaim, caches: Caches): ClaimState[] {
  const ns = gaim.metadata.namespace;
  // The sizes the spec names (a tier's default is not known here, and is never backed out to).
  const wanted = [
    { store: 'mongodb' as const, name: dataClaimName(gaim, 'mongodb'), size: gaim.spec.mongodb.storage },
    { store: 'redis' as const, name: dataClaimName(gaim, 'redis'), size: gaim.spec.redis.storage },
    { store: 'lancedb' as const, name: objectNames(gaim).lancedbClaim, size: gaim.spec.lancedb.storage.nfs === undefined ? gaim.spec.lancedb.storage.size : undefined },
  ];
  return wanted.flatMap(({ store, name, size }) => {
    const claim = caches.get<WithRequests>(Resources.persistentVolumeClaim, `${ns}/${name}`);
    if (claim === undefined) return [];
    const volumeName = claim.status?.phase === 'Bound' ? claim.spec?.volumeName : undefined;
    const volume = volumeName === undefined ? undefined : caches.get<WithRequests>(Resources.persistentVolume, volumeName);
    const request = claim.spec?.resources?.requests?.['storage'];
    const capacity = claim.status?.capacity?.['storage'];
    return [{
      store, name, phase: claim.status?.phase ?? 'Pending', volumeName, reclaimPolicy: volume?.spec?.persistentVolumeReclaimPolicy,
      storageClassName: claim.spec?.storageClassName, request, capacity,
      resize: resizeProgress(name, {
        request, capacity, conditions: claim.status?.conditions ?? [], resizeStatus: claim.status?.allocatedResourceStatuses?.['storage'],
        allocated: claim.status?.allocatedResources?.['storage'], wanted: size,
      }),
    }];
  });
}

/** The oldest Gaim of a namespace owns it; later ones are refused and touch nothing. */
function namespaceOwner(gaim: Gaim, caches: Caches): string {
  const siblings = caches.list<KubeObject>(Resources.gaim, gaim.metadata.namespace)
    .filter((g) => g.metadata?.deletionTimestamp === undefined || g.metadata.name === gaim.metadata.name);
  siblings.sort((a, b) => compareText(a.metadata?.creationTimestamp ?? '', b.metadata?.creationTimestamp ?? '')
    || compareText(a.metadata?.name ?? '', b.metadata?.name ?? ''));
  return siblings[0]?.metadata?.name ?? gaim.metadata.name;
}

const normalizePath = (path: string | undefined) => (path ?? '').replace(/\/+$/, '');

/** Another Gaim's static volume on the same NFS server and path: one share backs one Gaim. */
function shareOwner(gaim: Gaim, caches: Caches): string | undefined {
  const nfs = gaim.spec.lancedb.storage.nfs;
  if (nfs === undefined) return undefined;
  const mine = objectNames(gaim).lancedbVolume;
  const taken = caches.list<WithRequests>(Resources.persistentVolume).find((volume) =>
    volume.metadata?.name !== mine && volume.spec?.nfs?.server === nfs.server && normalizePath(volume.spec.nfs.path) === normalizePath(nfs.path));
  if (taken === undefined) return undefined;
  return `${taken.metadata?.labels?.[Labels.gaimNamespace] ?? '?'}/${taken.metadata?.labels?.[Labels.gaim] ?? '?'}`;
}

/** Each claim's requested and actual size, for status.claims. */
export function claimSizes(claims: readonly ClaimState[]): ClaimSize[] {
  return claims.map((c) => ({ name: c.name, store: c.store, ...(c.request === undefined ? {} : { requested: c.request }), ...(c.capacity === undefined ? {} : { capacity: c.capacity }) }));
}

/** Where a kind lives in the API: enough to build its URL paths. */
export interface Resource {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

const core = (kind: string, plural: string, namespaced = true): Resource => ({ group: '', version: 'v1', plural, kind, namespaced });

export const Resources = {
  gaim: { group: 'gaim.livingcontent.io', version: 'v1alpha1', plural: 'gaims', kind: 'Gaim', namespaced: true },
  secret: core('Secret', 'secrets'),
  service: core('Service', 'services'),
  configMap: core('ConfigMap', 'configmaps'),
  persistentVolumeClaim: core('PersistentVolumeClaim', 'persistentvolumeclaims'),
  persistentVolume: core('PersistentVolume', 'persistentvolumes', false),
  pod: core('Pod', 'pods'),
  namespace: core('Namespace', 'namespaces', false),
  node: core('Node', 'nodes', false),
  statefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  job: { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true },
  networkPolicy: { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true },
  lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  storageClass: { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', kind: 'StorageClass', namespaced: false },
  clusterRole: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false },
  event: { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  gaimBackup: { group: 'gaim.livingcontent.io', version: 'v1alpha1', plural: 'gaimbackups', kind: 'GaimBackup', namespaced: true },
  gaimBackupRecord: { group: 'gaim.livingcontent.io', version: 'v1alpha1', plural: 'gaimbackuprecords', kind: 'GaimBackupRecord', namespaced: false },
  // CSI snapshots: served where the cluster runs the snapshot-controller (GKE does), so watched only
  // when discovery finds them.
  volumeSnapshot: { group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshots', kind: 'VolumeSnapshot', namespaced: true },
  volumeSnapshotClass: { group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshotclasses', kind: 'VolumeSnapshotClass', namespaced: false },
  volumeSnapshotContent: { group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshotcontents', kind: 'VolumeSnapshotContent', namespaced: false },
} as const satisfies Record<string, Resource>;

export function apiVersionOf(resource: Resource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** The collection path, or an object's path when `name` is given. */
export function resourcePath(resource: Resource, namespace?: string, name?: string, subresource?: string): string {
  const root = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const scope = resource.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}${subresource === undefined ? '' : `/${subresource}`}`;
  return `${root}${scope}/${resource.plural}${object}`;
}

const BY_KIND: ReadonlyMap<string, Resource> = new Map(Object.values(Resources).map((r) => [r.kind, r]));

/** The resource of an object, by its kind; throws for a kind the operator does not know. */
export function resourceOf(object: { kind?: string | undefined }): Resource {
  const resource = BY_KIND.get(object.kind ?? '');
  if (resource === undefined) throw new Error(`no resource for kind ${object.kind ?? '(none)'}`);
  return resource;
}

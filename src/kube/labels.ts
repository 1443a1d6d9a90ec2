/** Labels every object the operator creates carries; the owned-object watches select on MANAGED_BY. */
export const Labels = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
  /** The owning Gaim's name; with the object's namespace (or the label below) it names the Gaim. */
  gaim: 'gaim.livingcontent.io/gaim',
  /** The owning Gaim's namespace, on cluster-scoped objects (PersistentVolumes). */
  gaimNamespace: 'gaim.livingcontent.io/namespace',
  /** The gaimId whose data a static NFS volume holds: only that gaimId may bind it again. */
  gaimId: 'gaim.livingcontent.io/gaim-id',
} as const;

export const MANAGED_BY = 'gaim-operator';
export const MANAGED_SELECTOR = `${Labels.managedBy}=${MANAGED_BY}`;

// The StorageClasses of a GKE cluster, as the stack serves them: the same names, provisioners,
// parameters, binding mode (WaitForFirstConsumer) and expansion, and each driver's capacity rules
// as the drivers apply them — rounding a small request up where the real driver does, refusing
// where it refuses, with the message its provisioner puts in the claim's ProvisioningFailed event.
//
// Sources: kubernetes-sigs/gcp-filestore-csi-driver (pkg/csi_driver/controller.go, multishare
// controller, pkg/util), kubernetes-sigs/gcp-compute-persistent-disk-csi-driver (controller.go),
// kubernetes-csi/external-provisioner (the "infeasible" event text), GKE's `kubectl get sc -o yaml`.

const GIB = 2 ** 30;
const TIB = 2 ** 40;

export const PD_DRIVER = 'pd.csi.storage.gke.io';
export const FILESTORE_DRIVER = 'filestore.csi.storage.gke.io';

/** What the driver makes of a request: the capacity it provisions, or the refusal it returns. */
export type Provisioning = { readonly capacityBytes: number } | { readonly refused: string };

export interface StackStorageClass {
  readonly name: string;
  readonly provisioner: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly default?: boolean;
  /** The access modes the driver serves. */
  readonly accessModes: readonly string[];
  readonly provision: (requestBytes: number) => Provisioning;
}

/** external-provisioner's event text for an InvalidArgument from CreateVolume (v6+). */
const infeasible = (detail: string) =>
  `Volume provisioning failed with infeasible error. Retries will be delayed. rpc error: code = InvalidArgument desc = ${detail}`;

/** A Filestore instance tier: a request below the minimum is rounded up to it, silently (as the driver does). */
const instanceTier = (minBytes: number, maxBytes: number, tier: string) => (request: number): Provisioning => {
  const capacity = Math.max(Math.ceil(request / GIB) * GIB, minBytes);
  if (capacity > maxBytes) return { refused: infeasible(`Request bytes ${capacity / TIB}TiB is more than maximum instance size bytes ${maxBytes / TIB}TiB for tier ${tier}`) };
  return { capacityBytes: capacity };
};

/** A Filestore multishare share: 100 GiB to 1 TiB in whole GiB, refused (not rounded) outside. */
const multishare = (request: number): Provisioning => {
  const [min, max] = [100 * GIB, TIB];
  if (request % GIB !== 0) return { refused: infeasible(`requested size(bytes) ${request} is not a multiple of 1GiB`) };
  if (request < min) return { refused: infeasible(`Request bytes ${request} is less than minimum share size bytes ${min}`) };
  if (request > max) return { refused: infeasible(`Request bytes ${request} is greater than maximum share size bytes ${max}`) };
  return { capacityBytes: request };
};

/** A Persistent Disk: at least 1 GiB, rounded up to whole GiB (no per-type minimum: the driver does not round to one). */
const persistentDisk = (request: number): Provisioning => ({ capacityBytes: Math.max(GIB, Math.ceil(request / GIB) * GIB) });

export const GKE_STORAGE_CLASSES: readonly StackStorageClass[] = [
  { name: 'standard-rwo', provisioner: PD_DRIVER, parameters: { type: 'pd-balanced' }, default: true, accessModes: ['ReadWriteOnce'], provision: persistentDisk },
  { name: 'premium-rwo', provisioner: PD_DRIVER, parameters: { type: 'pd-ssd' }, accessModes: ['ReadWriteOnce'], provision: persistentDisk },
  { name: 'standard-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'standard', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], provision: instanceTier(100 * GIB, 63.9 * TIB, 'standard') },
  { name: 'premium-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'premium', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], provision: instanceTier(2.5 * TIB, 63.9 * TIB, 'premium') },
  { name: 'enterprise-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'enterprise', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], provision: instanceTier(TIB, 10 * TIB, 'enterprise') },
  {
    name: 'enterprise-multishare-rwx', provisioner: FILESTORE_DRIVER,
    parameters: { tier: 'enterprise', multishare: 'true', 'instance-storageclass-label': 'enterprise-multishare-rwx', network: 'default' },
    accessModes: ['ReadWriteMany', 'ReadWriteOnce'], provision: multishare,
  },
];

export const classNamed = (name: string | undefined): StackStorageClass | undefined => GKE_STORAGE_CLASSES.find((c) => c.name === name);

/** The StorageClass object, as GKE installs it. */
export function storageClassObject(c: StackStorageClass): Record<string, unknown> {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: c.name, annotations: c.default === true ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
    provisioner: c.provisioner,
    parameters: c.parameters,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: true,
  };
}

/** `107374182400` as a quantity the API server keeps as given: whole GiB where it can. */
export function bytesToQuantity(bytes: number): string {
  return bytes % GIB === 0 ? `${bytes / GIB}Gi` : String(bytes);
}

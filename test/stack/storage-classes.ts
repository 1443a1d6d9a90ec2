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

/**
 * What the driver's ControllerExpandVolume makes of a larger request: the new capacity and whether
 * the kubelet must still grow the file system (PD: yes; Filestore: no), or an InvalidArgument.
 */
export type Expansion = { readonly capacityBytes: number; readonly nodeExpansionRequired: boolean } | { readonly infeasible: string };

/** A driver's rules for one class's parameters. */
export interface DriverRules {
  readonly provision: (requestBytes: number) => Provisioning;
  readonly expand: (requestBytes: number) => Expansion;
}

export interface StackStorageClass {
  readonly name: string;
  readonly provisioner: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly default?: boolean;
  /** The access modes the driver serves. */
  readonly accessModes: readonly string[];
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

const rpcInvalid = (detail: string) => `rpc error: code = InvalidArgument desc = ${detail}`;

/** PD's ControllerExpandVolume: rounded up to whole GiB, online, the file system grown by the kubelet. */
const persistentDiskExpand = (request: number): Expansion => {
  const capacity = Math.ceil(request / GIB) * GIB;
  if (capacity > 64 * TIB) return { infeasible: rpcInvalid(`disk size ${capacity} exceeds the maximum of 64 TiB`) };
  return { capacityBytes: capacity, nodeExpansionRequired: true };
};

/** Filestore's ControllerExpandVolume for an instance: up to the tier's maximum; no node step (NFS). */
const instanceExpand = (maxBytes: number, tier: string) => (request: number): Expansion => {
  const capacity = Math.ceil(request / GIB) * GIB;
  if (capacity > maxBytes) return { infeasible: rpcInvalid(`Request bytes ${capacity} is more than maximum instance size bytes ${maxBytes} for tier ${tier}`) };
  return { capacityBytes: capacity, nodeExpansionRequired: false };
};

/** Filestore's ControllerExpandVolume for a multishare share: whole GiB, at most 1 TiB. */
const multishareExpand = (request: number): Expansion => {
  if (request % GIB !== 0) return { infeasible: rpcInvalid(`requested size(bytes) ${request} is not a multiple of 1GiB`) };
  if (request > TIB) return { infeasible: rpcInvalid(`Request bytes ${request} is greater than maximum share size bytes ${TIB}`) };
  return { capacityBytes: request, nodeExpansionRequired: false };
};

const TIERS: Readonly<Record<string, { min: number; max: number }>> = {
  standard: { min: 100 * GIB, max: 63.9 * TIB }, basic_hdd: { min: 100 * GIB, max: 63.9 * TIB },
  premium: { min: 2.5 * TIB, max: 63.9 * TIB }, basic_ssd: { min: 2.5 * TIB, max: 63.9 * TIB },
  enterprise: { min: TIB, max: 10 * TIB },
};

/**
 * The rules a StorageClass's driver applies, from its provisioner and parameters: GKE's own classes
 * and any a platform team adds with the same drivers. Undefined for a driver the stack does not play.
 */
export function driverRules(provisioner: string, parameters: Readonly<Record<string, string>>): DriverRules | undefined {
  if (provisioner === PD_DRIVER) return { provision: persistentDisk, expand: persistentDiskExpand };
  if (provisioner !== FILESTORE_DRIVER) return undefined;
  if (parameters['multishare'] === 'true') return { provision: multishare, expand: multishareExpand };
  const tier = parameters['tier'] ?? 'standard';
  const limits = TIERS[tier] ?? TIERS['standard'] ?? { min: 100 * GIB, max: 63.9 * TIB };
  return { provision: instanceTier(limits.min, limits.max, tier), expand: instanceExpand(limits.max, tier) };
}

export const GKE_STORAGE_CLASSES: readonly StackStorageClass[] = [
  { name: 'standard-rwo', provisioner: PD_DRIVER, parameters: { type: 'pd-balanced' }, default: true, accessModes: ['ReadWriteOnce'] },
  { name: 'premium-rwo', provisioner: PD_DRIVER, parameters: { type: 'pd-ssd' }, accessModes: ['ReadWriteOnce'] },
  { name: 'standard-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'standard', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] },
  { name: 'premium-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'premium', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] },
  { name: 'enterprise-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'enterprise', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] },
  {
    name: 'enterprise-multishare-rwx', provisioner: FILESTORE_DRIVER,
    parameters: { tier: 'enterprise', multishare: 'true', 'instance-storageclass-label': 'enterprise-multishare-rwx', network: 'default' },
    accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
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

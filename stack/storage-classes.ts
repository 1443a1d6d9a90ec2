// The StorageClasses of a GKE cluster, as the stack serves them, and each CSI driver's capacity rules
// as the driver applies them: raising a small request where the driver raises it, refusing where it
// (or the cloud API behind it) refuses, with the text its sidecar puts in the claim's event. Every
// rule names its source; docs/stack-fidelity.md lists them all, with the test that holds each.
//
// Imitated: GKE 1.34 with the managed Filestore CSI driver (kubernetes-sigs/gcp-filestore-csi-driver
// v1.13.1: pkg/csi_driver/controller.go, multishare_controller.go, pkg/util/multishare_defs.go) and
// the PD CSI driver (kubernetes-sigs/gcp-compute-persistent-disk-csi-driver v1.26.4:
// pkg/gce-pd-csi-driver/controller.go), behind external-provisioner v6.3 and external-resizer v2.2.
// Where the refusal comes from the cloud API, whose words no source gives, the text is this stack's
// own and says so in its comment; its gRPC code is what the driver maps the API's HTTP 400 to
// (InvalidArgument, pkg/cloud_provider/file/file.go StatusError).

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
  readonly expand: (requestBytes: number, currentBytes: number) => Expansion;
  /**
   * CreateVolume's refusal of a snapshot as the volume's content source (a restore), or undefined
   * where the class takes one.
   */
  readonly restoreRefusal: string | undefined;
  /** Whether the volume is a Filestore multishare share (snapshotter.ts serialises their backups per instance). */
  readonly multishare: boolean;
  /** The protocol the class asks for: NFSv4.1 limits what Filestore can back up. */
  readonly nfsV41: boolean;
}

export interface StackStorageClass {
  readonly name: string;
  readonly provisioner: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly default?: boolean;
  /** The access modes the driver serves. */
  readonly accessModes: readonly string[];
}

const rpcInvalid = (detail: string) => `rpc error: code = InvalidArgument desc = ${detail}`;
/**
 * external-provisioner's event text for an InvalidArgument from CreateVolume (v6+: isInfeasibleError,
 * markForSlowRetry in sig-storage-lib-external-provisioner v13).
 */
export const infeasible = (detail: string) => `Volume provisioning failed with infeasible error. Retries will be delayed. ${rpcInvalid(detail)}`;
/** A refusal of the Filestore or Compute Engine API (HTTP 400, as googleapi formats it); the detail is this stack's own. */
const apiRefusal = (detail: string) => `googleapi: Error 400: ${detail}, badRequest`;

const gib = (bytes: number) => Math.ceil(bytes / GIB);
const roundGiB = (bytes: number) => gib(bytes) * GIB;

/**
 * A Filestore instance tier's capacity band (controller.go: defaultRange, premiumRange,
 * enterpriseRange, highScaleRange, zonal/regional small and large ranges), and the step its size
 * moves in (Filestore "Service tiers", https://cloud.google.com/filestore/docs/service-tiers:
 * "Up or down in 256 GiB units" for Enterprise and zonal 1–9.75 TiB, "2.5 TiB units" for zonal
 * 10–100 TiB; 1 GiB where the page gives none).
 */
interface Band { readonly min: number; readonly max: number; readonly step: number }

/** The API's name of a tier (`filer.Tier` in the driver's expansion message). */
const API_TIER: Readonly<Record<string, string>> = {
  standard: 'BASIC_HDD', basic_hdd: 'BASIC_HDD', premium: 'BASIC_SSD', basic_ssd: 'BASIC_SSD',
  enterprise: 'ENTERPRISE', high_scale_ssd: 'HIGH_SCALE_SSD', zonal: 'ZONAL', regional: 'REGIONAL',
};

/** 639 * util.Tb / 10 in the driver: "63.9 TiB" in integer bytes. */
const BASIC_MAX = Math.floor((639 * TIB) / 10);
/** The small band of zonal and regional instances ends at 9984 GiB (9.75 TiB); above it the large band starts at 10 TiB. */
const SMALL_BAND_MAX = 9984 * GIB;

/** provisionableCapacityForTier: the band of a request (zonal and regional by the request's size). */
function bandOf(tier: string, requestBytes: number): Band {
  switch (tier) {
    case 'premium': case 'basic_ssd': return { min: 2.5 * TIB, max: BASIC_MAX, step: GIB };
    case 'enterprise': return { min: TIB, max: 10 * TIB, step: 256 * GIB };
    case 'high_scale_ssd': return { min: 10 * TIB, max: 100 * TIB, step: 2.5 * TIB };
    case 'zonal': return requestBytes > SMALL_BAND_MAX ? { min: 10 * TIB, max: 100 * TIB, step: 2.5 * TIB } : { min: TIB, max: SMALL_BAND_MAX, step: 256 * GIB };
    // Regional's small band starts at 100 GiB in the driver; its step is the "Create an instance" table's 1 GiB.
    case 'regional': return requestBytes > SMALL_BAND_MAX ? { min: 10 * TIB, max: 100 * TIB, step: 256 * GIB } : { min: 100 * GIB, max: SMALL_BAND_MAX, step: GIB };
    default: return { min: 100 * GIB, max: BASIC_MAX, step: GIB }; // standard, basic_hdd, and any tier the driver does not know
  }
}

/**
 * The Filestore API's own checks of an instance's capacity: within the tier's range and on its
 * step. The driver does not make them (it sends any whole GiB on), and the API's words are not
 * documented: the detail is this stack's.
 */
function instanceApiCheck(tier: string, band: Band, bytes: number): string | undefined {
  const name = API_TIER[tier] ?? tier.toUpperCase();
  if (bytes > band.max) return apiRefusal(`the requested capacity (${gib(bytes)} GiB) is above the ${name} tier's maximum of ${gib(band.max)} GiB`);
  if (bytes % band.step !== 0) return apiRefusal(`the requested capacity (${gib(bytes)} GiB) is not a multiple of ${band.step / GIB} GiB, the ${name} tier's step`);
  return undefined;
}

/**
 * CreateVolume for a Filestore instance (getRequestCapacity, CreateInstance): a request below the
 * band's minimum is raised to it (no limit is ever set: external-provisioner sends RequiredBytes
 * only), then rounded up to a whole GiB (util.RoundBytesToGb). The driver's own "Request bytes … is
 * more than maximum instance size" needs LimitBytes and so never fires; the API refuses instead.
 */
const instanceTier = (tier: string) => (request: number): Provisioning => {
  const band = bandOf(tier, request);
  const capacity = roundGiB(Math.max(request, band.min));
  const refused = instanceApiCheck(tier, band, capacity);
  return refused === undefined ? { capacityBytes: capacity } : { refused: infeasible(refused) };
};

/**
 * ControllerExpandVolume for a Filestore instance: a zonal or regional instance of the small band
 * cannot grow into the large one (invalidVolumeExpansionRequest, verbatim, with the API's tier
 * name); a size at or below the current one is a no-op; the API checks the rest. No node step (NFS).
 */
const instanceExpand = (tier: string) => (request: number, current: number): Expansion => {
  if ((tier === 'zonal' || tier === 'regional') && current <= SMALL_BAND_MAX && request > SMALL_BAND_MAX) {
    return { infeasible: rpcInvalid(`Volume expansion not supported beyond small ${API_TIER[tier] ?? tier} band. Please create a new instance with higher storage capacity.`) };
  }
  const capacity = roundGiB(request);
  if (capacity <= current) return { capacityBytes: current, nodeExpansionRequired: false };
  const refused = instanceApiCheck(tier, bandOf(tier, current), capacity);
  return refused === undefined ? { capacityBytes: capacity, nodeExpansionRequired: false } : { infeasible: rpcInvalid(refused) };
};

/**
 * A multishare share (multishare_controller.go getShareRequestCapacity, then the 1 GiB alignment,
 * in that order; constants from pkg/util/multishare_defs.go; every message in raw bytes). Create:
 * 100 GiB to 1 TiB; with a class's `max-volume-size` (the max-shares-per-instance feature), 10 GiB
 * to that size. Expansion: at least 10 GiB (ConfigurablePackMinShareSizeBytes).
 */
function shareCapacity(request: number, min: number, max: number): string | undefined {
  if (request < min) return `Request bytes ${String(request)} is less than minimum share size bytes ${String(min)}`;
  if (request > max) return `Request bytes ${String(request)} is greater than maximum share size bytes ${String(max)}`;
  if (request % GIB !== 0) return `requested size(bytes) ${String(request)} is not a multiple of 1GiB`;
  return undefined;
}

const multishare = (maxShare: number, minShare: number): Pick<DriverRules, 'provision' | 'expand'> => ({
  provision: (request) => {
    const refused = shareCapacity(request, minShare, maxShare);
    return refused === undefined ? { capacityBytes: request } : { refused: infeasible(refused) };
  },
  expand: (request) => {
    const refused = shareCapacity(request, 10 * GIB, maxShare);
    return refused === undefined ? { capacityBytes: request, nodeExpansionRequired: false } : { infeasible: rpcInvalid(refused) };
  },
});

/**
 * Persistent Disk (getRequestCapacity): at least 1 GiB (MinimumVolumeSizeInBytes, raised silently),
 * rounded up to whole GiB. The 64 TiB ceiling is only an unused constant of the driver
 * (MaxVolumeSizeInBytes); Compute Engine refuses larger disks in words no source gives: this
 * refusal's text is the stack's own.
 */
const PD_MAX = 64 * TIB;
const persistentDisk = (request: number): Provisioning => {
  const capacity = Math.max(GIB, roundGiB(request));
  return capacity > PD_MAX ? { refused: infeasible(apiRefusal(`disk size ${gib(capacity)} GiB is above the maximum of 65536 GiB`)) } : { capacityBytes: capacity };
};

/** PD's ControllerExpandVolume: rounded up to whole GiB, online, the file system grown by the kubelet. */
const persistentDiskExpand = (request: number): Expansion => {
  const capacity = roundGiB(request);
  if (capacity > PD_MAX) return { infeasible: rpcInvalid(apiRefusal(`disk size ${gib(capacity)} GiB is above the maximum of 65536 GiB`)) };
  return { capacityBytes: capacity, nodeExpansionRequired: true };
};

/**
 * CreateVolume's check of a content source on a multishare class (checkVolumeContentSource; the
 * stateful multishare controller always refuses it): GKE's page "Back up Filestore storage using
 * volume snapshots" says a backup cannot be restored "to an instance with multiple shares".
 */
export const MULTISHARE_RESTORE_REFUSAL = 'Multishare backed volumes do not support volume content source';

/** controller.go: NFSv4.1 on a basic tier. */
const BASIC_NFS41_REFUSAL = 'Filestore does not support NFSv4.1 protocol with Basic tiers';

/**
 * The rules a StorageClass's driver applies, from its provisioner and parameters: GKE's own classes
 * and any a platform team adds with the same drivers. Undefined for a driver the stack does not play.
 */
export function driverRules(provisioner: string, parameters: Readonly<Record<string, string>>): DriverRules | undefined {
  const nfsV41 = parameters['protocol'] === 'NFS_V4_1';
  if (provisioner === PD_DRIVER) return { provision: persistentDisk, expand: persistentDiskExpand, restoreRefusal: undefined, multishare: false, nfsV41: false };
  if (provisioner !== FILESTORE_DRIVER) return undefined;
  if (parameters['multishare'] === 'true') {
    const configured = parameters['max-volume-size'];
    const max = configured === undefined ? TIB : (Number.parseInt(configured, 10) || 1024) * (configured.endsWith('Ti') ? TIB : GIB);
    return { ...multishare(max, configured === undefined ? 100 * GIB : 10 * GIB), restoreRefusal: MULTISHARE_RESTORE_REFUSAL, multishare: true, nfsV41 };
  }
  const tier = (parameters['tier'] ?? 'standard').toLowerCase();
  const basic = ['standard', 'basic_hdd', 'premium', 'basic_ssd'].includes(tier);
  const provision = nfsV41 && basic ? () => ({ refused: infeasible(BASIC_NFS41_REFUSAL) }) : instanceTier(tier);
  return { provision, expand: instanceExpand(tier), restoreRefusal: undefined, multishare: false, nfsV41 };
}

/**
 * GKE's classes (https://cloud.google.com/kubernetes-engine/docs/how-to/persistent-volumes/filestore-csi-driver:
 * "GKE automatically installs … zonal-rwx, enterprise-rwx, enterprise-multishare-rwx"; the Persistent
 * Disk classes standard-rwo and premium-rwo). The multishare class's parameters are GKE's own
 * example; the other Filestore classes' tier parameters are an assumption (no page gives them).
 */
export const GKE_STORAGE_CLASSES: readonly StackStorageClass[] = [
  { name: 'standard-rwo', provisioner: PD_DRIVER, parameters: { type: 'pd-balanced' }, default: true, accessModes: ['ReadWriteOnce'] },
  { name: 'premium-rwo', provisioner: PD_DRIVER, parameters: { type: 'pd-ssd' }, accessModes: ['ReadWriteOnce'] },
  { name: 'standard-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'standard', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] },
  { name: 'premium-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'premium', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] },
  { name: 'zonal-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'zonal', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] },
  { name: 'regional-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'regional', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] },
  { name: 'enterprise-rwx', provisioner: FILESTORE_DRIVER, parameters: { tier: 'enterprise', network: 'default' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] },
  {
    name: 'enterprise-multishare-rwx', provisioner: FILESTORE_DRIVER,
    parameters: { tier: 'enterprise', multishare: 'true', 'instance-storageclass-label': 'enterprise-multishare-rwx', network: 'default' },
    accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
  },
];

export const classNamed = (name: string | undefined): StackStorageClass | undefined => GKE_STORAGE_CLASSES.find((c) => c.name === name);

/**
 * The StorageClass object, as GKE installs it: reclaim policy Delete, WaitForFirstConsumer (GKE's
 * own multishare example; `kubectl get storageclass` on GKE clusters for the rest: an assumption,
 * no page lists them), expansion allowed.
 */
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

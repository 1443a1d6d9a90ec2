// The stand-in drivers' capacity rules, one row per rule: each number and each refusal, with the
// driver's own words where it has them (storage-classes.ts names the source of each).
import { describe, expect, it } from 'vitest';
import { driverRules, FILESTORE_DRIVER, GKE_STORAGE_CLASSES, MULTISHARE_RESTORE_REFUSAL, PD_DRIVER } from './storage-classes.js';

const GIB = 2 ** 30;
const TIB = 2 ** 40;
const rules = (className: string) => {
  const c = GKE_STORAGE_CLASSES.find((x) => x.name === className);
  const r = c === undefined ? undefined : driverRules(c.provisioner, c.parameters);
  if (r === undefined) throw new Error(`no rules for ${className}`);
  return r;
};
const provisioned = (className: string, request: number) => {
  const outcome = rules(className).provision(request);
  return 'refused' in outcome ? outcome.refused : outcome.capacityBytes;
};
const expanded = (className: string, request: number, current: number) => {
  const outcome = rules(className).expand(request, current);
  return 'infeasible' in outcome ? outcome.infeasible : outcome.capacityBytes;
};

describe('the stand-in drivers: provisioning', () => {
  it.each<[string, string, number, number | string]>([
    ['multishare: at least 100 GiB', 'enterprise-multishare-rwx', 50 * GIB, 'Request bytes 53687091200 is less than minimum share size bytes 107374182400'],
    ['multishare: min and max before alignment', 'enterprise-multishare-rwx', 50.5 * GIB, 'Request bytes 54223962112 is less than minimum share size bytes 107374182400'],
    ['multishare: at most 1 TiB', 'enterprise-multishare-rwx', 2 * TIB, 'Request bytes 2199023255552 is greater than maximum share size bytes 1099511627776'],
    ['multishare: whole GiB', 'enterprise-multishare-rwx', 100.5 * GIB, 'requested size(bytes) 107911053312 is not a multiple of 1GiB'],
    ['multishare: taken as asked', 'enterprise-multishare-rwx', 200 * GIB, 200 * GIB],
    ['enterprise: raised to 1 TiB', 'enterprise-rwx', 100 * GIB, TIB],
    ['enterprise: the API refuses a size off its 256 GiB step', 'enterprise-rwx', 1100 * GIB, 'the requested capacity (1100 GiB) is not a multiple of 256 GiB, the ENTERPRISE tier\'s step'],
    ['enterprise: the API refuses above 10 TiB', 'enterprise-rwx', 11 * TIB, 'the requested capacity (11264 GiB) is above the ENTERPRISE tier\'s maximum of 10240 GiB'],
    ['basic HDD: raised to 100 GiB', 'standard-rwx', 50 * GIB, 100 * GIB],
    ['basic SSD: raised to 2.5 TiB', 'premium-rwx', TIB, 2.5 * TIB],
    ['zonal small band: raised to 1 TiB', 'zonal-rwx', 100 * GIB, TIB],
    ['zonal: past 9984 GiB the large band, raised to 10 TiB', 'zonal-rwx', 9990 * GIB, 10 * TIB],
    ['regional small band: from 100 GiB', 'regional-rwx', 100 * GIB, 100 * GIB],
    ['persistent disk: at least 1 GiB', 'standard-rwo', GIB / 2, GIB],
    ['persistent disk: whole GiB', 'premium-rwo', 10.2 * GIB, 11 * GIB],
    ['persistent disk: at most 64 TiB', 'standard-rwo', 65 * TIB, 'disk size 66560 GiB is above the maximum of 65536 GiB'],
  ])('%s', (_name, className, request, expected) => {
    const outcome = provisioned(className, request);
    if (typeof expected === 'number') expect(outcome).toBe(expected);
    else expect(outcome).toContain(expected);
  });

  it('words a CreateVolume refusal as external-provisioner does: infeasible, InvalidArgument', () => {
    expect(provisioned('enterprise-multishare-rwx', 50 * GIB)).toBe('Volume provisioning failed with infeasible error. Retries will be delayed. rpc error: code = InvalidArgument desc = Request bytes 53687091200 is less than minimum share size bytes 107374182400');
  });

  it('refuses NFSv4.1 on a basic tier, and a content source on a multishare class; instances take one', () => {
    expect(provisioned('standard-rwx', 0)).toBe(100 * GIB);
    const v41 = driverRules(FILESTORE_DRIVER, { tier: 'standard', protocol: 'NFS_V4_1' });
    const refused = v41?.provision(TIB);
    expect(refused !== undefined && 'refused' in refused ? refused.refused : '').toContain('Filestore does not support NFSv4.1 protocol with Basic tiers');
    expect(rules('enterprise-multishare-rwx').restoreRefusal).toBe(MULTISHARE_RESTORE_REFUSAL);
    expect(rules('enterprise-rwx').restoreRefusal).toBeUndefined();
    expect(driverRules(PD_DRIVER, {})?.restoreRefusal).toBeUndefined();
  });

  it('packs more, smaller shares with max-volume-size (the max-shares feature): 10 GiB to that size', () => {
    const small = driverRules(FILESTORE_DRIVER, { tier: 'enterprise', multishare: 'true', 'max-volume-size': '128Gi' });
    const at = (bytes: number) => { const o = small?.provision(bytes); return o === undefined ? undefined : 'refused' in o ? o.refused : o.capacityBytes; };
    expect(at(10 * GIB)).toBe(10 * GIB);
    expect(at(200 * GIB)).toContain('is greater than maximum share size bytes 137438953472');
  });
});

describe('the stand-in drivers: expansion', () => {
  it.each<[string, string, number, number, number | string]>([
    ['multishare: within 1 TiB, as asked', 'enterprise-multishare-rwx', 300 * GIB, 100 * GIB, 300 * GIB],
    ['multishare: not past 1 TiB', 'enterprise-multishare-rwx', 2 * TIB, 100 * GIB, 'rpc error: code = InvalidArgument desc = Request bytes 2199023255552 is greater than maximum share size bytes 1099511627776'],
    ['zonal: not from the small band into the large one', 'zonal-rwx', 10 * TIB, 2 * TIB, 'rpc error: code = InvalidArgument desc = Volume expansion not supported beyond small ZONAL band. Please create a new instance with higher storage capacity.'],
    ['regional: likewise', 'regional-rwx', 12 * TIB, TIB, 'Volume expansion not supported beyond small REGIONAL band.'],
    ['enterprise: on its 256 GiB step', 'enterprise-rwx', 1280 * GIB, TIB, 1280 * GIB],
    ['enterprise: the API refuses off the step', 'enterprise-rwx', 1100 * GIB, TIB, 'not a multiple of 256 GiB'],
    ['basic HDD: the API refuses past 63.9 TiB', 'standard-rwx', 64 * TIB, TIB, 'is above the BASIC_HDD tier\'s maximum of 65434 GiB'],
    ['a size at or below the current one is a no-op', 'enterprise-rwx', TIB, 2 * TIB, 2 * TIB],
    ['persistent disk: whole GiB', 'standard-rwo', 20.5 * GIB, 10 * GIB, 21 * GIB],
  ])('%s', (_name, className, request, current, expected) => {
    const outcome = expanded(className, request, current);
    if (typeof expected === 'number') expect(outcome).toBe(expected);
    else expect(outcome).toContain(expected);
  });

  it('leaves the file system to the kubelet on Persistent Disk only', () => {
    const pd = rules('standard-rwo').expand(20 * GIB, 10 * GIB);
    const nfs = rules('enterprise-multishare-rwx').expand(200 * GIB, 100 * GIB);
    expect('nodeExpansionRequired' in pd && pd.nodeExpansionRequired).toBe(true);
    expect('nodeExpansionRequired' in nfs && nfs.nodeExpansionRequired).toBe(false);
  });
});

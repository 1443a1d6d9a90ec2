// The kubelet's fsGroup ownership change of a volume, for the stack's kubelet: which volumes get one,
// and what it does to them.
//
// Which: a CSI volume gets fsGroup when its CSIDriver's fsGroupPolicy allows it. Neither GKE driver
// sets one on its managed CSIDriver object as far as any GKE page says, so both have the default,
// ReadWriteOnceWithFSType: "the defined fsGroup will only be applied if a fstype is defined and the
// volume's access mode contains ReadWriteOnce" (CSIDriverSpec.fsGroupPolicy, k8s.io/api storage/v1).
// Persistent Disk volumes (ext4, RWO) get it; Filestore volumes (NFS, no fsType) do not. The
// Filestore driver's own upstream overlays set `fsGroupPolicy: File` (deploy/kubernetes/overlays/
// stable-master/fsgrouppolicy.yaml); what GKE's managed driver sets is undocumented, and a GKE user
// saw no fsGroup applied (gcp-filestore-csi-driver issue #786). The stack takes the stricter reading:
// none on Filestore, so the operator must prepare its shares itself (GAIM_PREPARE_SHARES).
//
// What: SetVolumeOwnership (kubernetes pkg/volume/volume_linux.go): every file and directory gets
// the group fsGroup, files gain rw for the group (0660), directories also the setgid bit and x
// (02770); with fsGroupChangePolicy OnRootMismatch nothing is walked when the root already has the
// group and those bits.
import { chmod, chown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const RW = 0o660;
const DIR_BITS = 0o2000 | 0o110;

/** Whether a volume gets the pod's fsGroup: a filesystem type and ReadWriteOnce (ReadWriteOnceWithFSType). */
export function fsGroupApplies(volume: { fsType?: string | undefined; accessModes?: readonly string[] | undefined }): boolean {
  return volume.fsType !== undefined && volume.fsType !== '' && (volume.accessModes ?? []).includes('ReadWriteOnce');
}

/** The mode a file or directory gets (permission and setgid bits only). */
export function ownedMode(mode: number, directory: boolean): number {
  return (mode & 0o7777) | RW | (directory ? DIR_BITS : 0);
}

/** Applies fsGroup to a volume's directory, as the kubelet does before the pod's containers start. */
export async function applyFsGroup(root: string, fsGroup: number, policy: 'Always' | 'OnRootMismatch' = 'Always'): Promise<void> {
  const top = await lstat(root);
  if (policy === 'OnRootMismatch' && top.gid === fsGroup && ownedMode(top.mode, true) === (top.mode & 0o7777)) return;
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path);
    if (info.isSymbolicLink()) return; // the kubelet skips symlinks
    await chown(path, info.uid, fsGroup);
    await chmod(path, ownedMode(info.mode, info.isDirectory()));
    if (info.isDirectory()) for (const entry of await readdir(path)) await walk(join(path, entry));
  };
  await walk(root);
}

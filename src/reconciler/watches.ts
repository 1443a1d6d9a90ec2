// Which Gaims and GaimBackups a change of a cached object concerns: the controllers' `keysFor`.
import type { CacheChange, Caches } from '../controller/caches.js';
import { Labels } from '../kube/labels.js';
import { objectKey, type KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';
import { BACKUP_LABEL } from '../resources/backup.js';

/** The Gaim an owned object belongs to, by its labels (cluster-scoped ones carry the namespace as a label). */
function gaimOf(object: KubeObject): string | undefined {
  const labels = object.metadata?.labels ?? {};
  const name = labels[Labels.gaim];
  const namespace = object.metadata?.namespace ?? labels[Labels.gaimNamespace];
  return name === undefined || namespace === undefined ? undefined : `${namespace}/${name}`;
}

/**
 * The Gaim controller: an owned object changed (a deleted Service, a StatefulSet now Ready), one of
 * its backups changed (status.lastBackup, a final backup that completed), or a sibling Gaim went
 * (one Gaim per namespace: one refused for it may now own the namespace).
 */
export function gaimKeysFor({ event, resource, object }: CacheChange, caches: Caches): readonly string[] {
  if (resource === Resources.gaim) {
    return event === 'delete' ? caches.list(Resources.gaim, object.metadata?.namespace).map(objectKey) : [];
  }
  if (resource === Resources.gaimBackup) {
    const gaim = (object['spec'] as { gaim?: string } | undefined)?.gaim;
    return gaim === undefined ? [] : [`${object.metadata?.namespace ?? ''}/${gaim}`];
  }
  if (resource === Resources.gaimBackupRecord) {
    // A Gaim restoring from it (it waits for the record to complete).
    const name = object.metadata?.name ?? '';
    return caches.list<KubeObject & { spec?: { restoreFrom?: { backup?: string; record?: string } } }>(Resources.gaim)
      .filter((g) => g.spec?.restoreFrom?.record === name || (g.spec?.restoreFrom?.backup !== undefined && `${g.metadata?.namespace ?? ''}.${g.spec.restoreFrom.backup}` === name))
      .map(objectKey);
  }
  const key = gaimOf(object);
  return key === undefined ? [] : [key];
}

/**
 * The GaimBackup controller: one of its snapshots changed (labelled with the backup), or its Gaim
 * did (a backup waiting for the Gaim's claims to exist).
 */
export function backupKeysFor({ resource, object }: CacheChange, caches: Caches): readonly string[] {
  if (resource === Resources.gaim) {
    return caches.list<KubeObject & { spec?: { gaim?: string } }>(Resources.gaimBackup, object.metadata?.namespace)
      .filter((b) => b.spec?.gaim === object.metadata?.name).map(objectKey);
  }
  const backup = object.metadata?.labels?.[BACKUP_LABEL];
  return backup === undefined || object.metadata?.namespace === undefined ? [] : [`${object.metadata.namespace}/${backup}`];
}

/**
 * The catalog's controller: a record's own objects changed (its holding claims and snapshots in the
 * operator's namespace, owned by it), or a volume a final backup waits for (its claim gone).
 */
export function recordKeysFor({ resource, object }: CacheChange, caches: Caches): readonly string[] {
  if (resource === Resources.persistentVolume) {
    const name = object.metadata?.name;
    return caches.list<KubeObject & { spec?: { volumes?: { persistentVolume?: string }[] } }>(Resources.gaimBackupRecord)
      .filter((r) => (r.spec?.volumes ?? []).some((v) => v.persistentVolume === name)).map(objectKey);
  }
  return (object.metadata?.ownerReferences ?? []).filter((o) => o.kind === 'GaimBackupRecord').map((o) => o.name);
}

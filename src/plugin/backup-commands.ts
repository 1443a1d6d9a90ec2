// `kubectl gaim backups` and `kubectl gaim backup export|import|allow`: the backup catalog
// (GaimBackupRecords, cluster-scoped), with the user's own rights — a platform administrator's, since
// neither tenants' roles nor the chart's gaim-view/gaim-edit grant the catalog or the operator's
// namespace.
//
// An export is one YAML List: the record, with deletionPolicy Retain (a copy never deletes the
// snapshots the exporting cluster owns), and its credentials copy, the Secret in the operator's
// namespace. `backup import` (or a plain `kubectl create -f`) takes it in another cluster whose
// project can read the same snapshots; the record's spec names everything a restore needs.
import { readFile, writeFile } from 'node:fs/promises';
import { parseAllDocuments, stringify } from 'yaml';
import { GaimBackupRecordSchema, type GaimBackupRecord } from '../api/v1alpha1/gaim-backup-record.js';
import { errorMessage } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';
import { compareText } from '../text-order.js';
import { age, table } from './format.js';
import type { PluginIo } from './io.js';

/** Where the operator keeps the credentials copies, unless the user names another. */
export const DEFAULT_OPERATOR_NAMESPACE = 'gaim-system';

type Secret = KubeObject & { type?: string; data?: Record<string, string> };

const parseRecord = (object: KubeObject, name: string): GaimBackupRecord => {
  const parsed = GaimBackupRecordSchema.safeParse(object);
  if (!parsed.success) throw new Error(`GaimBackupRecord ${name} is not one this plugin can read: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
};

async function getRecord(client: KubeClient, name: string, signal: AbortSignal): Promise<GaimBackupRecord> {
  try {
    return parseRecord(await client.get(Resources.gaimBackupRecord, name, undefined, signal), name);
  } catch (error: unknown) {
    if (isNotFound(error)) throw new Error(`GaimBackupRecord ${name} not found (kubectl gaim backups -A lists them)`, { cause: error });
    throw error;
  }
}

/** The rows of `kubectl gaim backups`: newest first; a namespace that no longer exists says so. */
export function backupRows(records: readonly GaimBackupRecord[], existing: ReadonlySet<string>, now: Date): string[][] {
  return [...records]
    .sort((a, b) => compareText(b.spec.source.takenAt, a.spec.source.takenAt) || compareText(a.metadata.name, b.metadata.name))
    .map((r) => [
      r.metadata.name,
      `${r.spec.source.namespace}${existing.has(r.spec.source.namespace) ? '' : ' (gone)'}`,
      r.spec.source.gaim,
      r.spec.source.cluster,
      r.spec.source.trigger,
      r.status?.phase ?? 'Pending',
      (r.spec.snapshots ?? []).map((s) => s.store).join(',') || '-',
      age(r.spec.source.takenAt, now),
    ]);
}

export async function backupsCommand(client: KubeClient, namespace: string, all: boolean, io: PluginIo, now: Date = new Date()): Promise<number> {
  const { items } = await client.list(Resources.gaimBackupRecord, { signal: io.signal }).catch((error: unknown) => {
    throw new Error(`cannot list the backup catalog (gaimbackuprecords): ${errorMessage(error)}`, { cause: error });
  });
  const records = items.map((item) => parseRecord(item, item.metadata?.name ?? '')).filter((r) => all || r.spec.source.namespace === namespace);
  if (records.length === 0) {
    io.out(all ? 'No backups in the catalog.' : `No backups of namespace ${namespace} in the catalog (kubectl gaim backups -A lists every namespace's).`);
    return 0;
  }
  const namespaces = await client.list(Resources.namespace, { signal: io.signal }).then(({ items: ns }) => new Set(ns.map((n) => n.metadata?.name ?? '')))
    .catch(() => new Set(records.map((r) => r.spec.source.namespace))); // not allowed to list namespaces: do not guess they are gone
  for (const line of table(['RECORD', 'NAMESPACE', 'GAIM', 'CLUSTER', 'TRIGGER', 'PHASE', 'STORES', 'TAKEN'], backupRows(records, namespaces, now), io.columns ?? 160, { cutLast: false })) io.out(line);
  return 0;
}

/** The export of a record and its credentials copy: a List to create in another cluster. */
export function exportList(record: GaimBackupRecord, secret: Secret, operatorNamespace: string): Record<string, unknown> {
  const { allowedNamespaces: _allowed, ...spec } = record.spec;
  return {
    apiVersion: 'v1', kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: record.spec.credentialsSecret, namespace: operatorNamespace, labels: { 'app.kubernetes.io/managed-by': 'gaim-operator' } }, type: secret.type ?? 'Opaque', data: secret.data ?? {} },
      { apiVersion: record.apiVersion, kind: record.kind, metadata: { name: record.metadata.name, labels: record.metadata.labels ?? {} }, spec: { ...spec, deletionPolicy: 'Retain' } },
    ],
  };
}

export async function exportCommand(client: KubeClient, name: string, operatorNamespace: string, output: string | undefined, io: PluginIo): Promise<number> {
  const record = await getRecord(client, name, io.signal);
  if (record.status?.phase !== 'Completed') throw new Error(`GaimBackupRecord ${name} is ${record.status?.phase ?? 'Pending'}: only a Completed backup can be exported`);
  const secret = await client.get<Secret>(Resources.secret, record.spec.credentialsSecret, operatorNamespace, io.signal).catch((error: unknown) => {
    throw new Error(`cannot read the credentials copy ${operatorNamespace}/${record.spec.credentialsSecret} (--operator-namespace names where the operator runs): ${errorMessage(error)}`, { cause: error });
  });
  const text = `# kubectl gaim backup export ${name}: a backup and its credentials (a Secret: keep this file as one).\n# In the other cluster: kubectl gaim backup import -f FILE (or kubectl create -f FILE).\n${stringify(exportList(record, secret, operatorNamespace), { lineWidth: 0 })}`;
  if (output === undefined) io.out(text.trimEnd());
  else {
    await writeFile(output, text, { mode: 0o600 });
    io.out(`wrote GaimBackupRecord ${name} and its credentials to ${output}`);
  }
  return 0;
}

/** The record and the Secret of an export file; the Secret goes to this cluster's operator namespace. */
export function importObjects(text: string, operatorNamespace: string): { record: KubeObject; secret: KubeObject } {
  const docs = parseAllDocuments(text).map((d) => d.toJS() as KubeObject & { items?: KubeObject[] });
  const objects = docs.flatMap((d) => (d.kind === 'List' ? d.items ?? [] : [d]));
  const record = objects.find((o) => o.kind === 'GaimBackupRecord');
  const secret = objects.find((o) => o.kind === 'Secret');
  if (record === undefined || secret === undefined) throw new Error('the file holds no GaimBackupRecord and Secret (make it with kubectl gaim backup export)');
  const parsed = GaimBackupRecordSchema.safeParse({ ...record, metadata: { ...record.metadata } });
  if (!parsed.success) throw new Error(`the file's GaimBackupRecord is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (secret.metadata?.name !== parsed.data.spec.credentialsSecret) throw new Error(`the file's Secret is ${secret.metadata?.name ?? '(unnamed)'}, and the record names ${parsed.data.spec.credentialsSecret}`);
  return {
    record: { apiVersion: record.apiVersion, kind: record.kind, metadata: { name: parsed.data.metadata.name, labels: parsed.data.metadata.labels ?? {} }, spec: record['spec'] },
    secret: { ...secret, metadata: { name: secret.metadata.name, namespace: operatorNamespace, ...(secret.metadata.labels === undefined ? {} : { labels: secret.metadata.labels }) } },
  };
}

export async function importCommand(client: KubeClient, file: string, operatorNamespace: string, io: PluginIo): Promise<number> {
  const { record, secret } = importObjects(await readFile(file, 'utf8'), operatorNamespace);
  const name = record.metadata?.name ?? '';
  // The record first: an existing one of that name is refused before anything is written.
  await client.create(Resources.gaimBackupRecord, record, io.signal).catch((error: unknown) => {
    if (isConflict(error)) throw new Error(`GaimBackupRecord ${name} already exists in this cluster: delete it first, or rename the record (and its Secret) in the file`, { cause: error });
    throw new Error(`cannot create GaimBackupRecord ${name}: ${errorMessage(error)}`, { cause: error });
  });
  await client.create(Resources.secret, secret, io.signal).catch((error: unknown) => {
    if (!isConflict(error)) throw new Error(`cannot create the credentials copy ${operatorNamespace}/${secret.metadata?.name ?? ''}: ${errorMessage(error)}`, { cause: error });
  });
  io.out(`imported GaimBackupRecord ${name} (its credentials in ${operatorNamespace}/${secret.metadata?.name ?? ''})`);
  io.out(`Restore it with spec.restoreFrom.record: ${name} in namespace ${String((record['spec'] as { source?: { namespace?: string } }).source?.namespace)}, or allow another: kubectl gaim backup allow ${name} -n NAMESPACE`);
  return 0;
}

/** Lets the Gaims of another namespace restore the record (a merge of spec.allowedNamespaces). */
export async function allowCommand(client: KubeClient, name: string, namespace: string, io: PluginIo): Promise<number> {
  const record = await getRecord(client, name, io.signal);
  const allowed = record.spec.allowedNamespaces ?? [];
  if (record.spec.source.namespace === namespace || allowed.includes(namespace)) {
    io.out(`GaimBackupRecord ${name} may already be restored in namespace ${namespace}`);
    return 0;
  }
  await client.mergePatch(Resources.gaimBackupRecord, name, undefined, { metadata: { resourceVersion: record.metadata.resourceVersion }, spec: { allowedNamespaces: [...allowed, namespace] } }, io.signal)
    .catch((error: unknown) => { throw new Error(`cannot allow namespace ${namespace} on GaimBackupRecord ${name}: ${errorMessage(error)}`, { cause: error }); });
  io.out(`GaimBackupRecord ${name} may now be restored by a Gaim of gaimId ${record.spec.source.gaimId} in namespace ${namespace}`);
  return 0;
}

// Generates the Gaim CustomResourceDefinition from the zod schemas in gaim.ts.
//
// zod's JSON Schema (OpenAPI 3.0 flavour) is close to a Kubernetes structural schema but not the
// same; `toStructural` translates what differs and refuses what Kubernetes cannot take, so a zod
// construct with no CRD equivalent fails generation instead of producing a wrong schema.
import { z } from 'zod';
import {
  API_VERSION, GROUP, GaimSpecSchema, GaimStatusSchema, KIND, PLURAL, ROOT_VALIDATIONS, SINGULAR, VERSION,
} from './gaim.js';
import { BACKUP_KIND, BACKUP_PLURAL, BACKUP_ROOT_VALIDATIONS, BACKUP_SINGULAR, GaimBackupSpecSchema, GaimBackupStatusSchema } from './gaim-backup.js';
import { GaimBackupRecordSpecSchema, GaimBackupRecordStatusSchema, RECORD_KIND, RECORD_PLURAL, RECORD_SINGULAR } from './gaim-backup-record.js';

type JsonSchema = Record<string, unknown>;

/** Keywords a structural schema may carry; anything else zod emits is an error here. */
const ALLOWED = new Set([
  'type', 'description', 'properties', 'required', 'items', 'enum', 'default', 'nullable', 'format',
  'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems',
  'x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
]);

export function toStructural(input: JsonSchema, path = ''): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case '$schema':
      case 'propertyNames': // record keys are strings anyway
        break;
      case 'additionalProperties':
        // `false` is Kubernetes' default (unknown fields are pruned, or rejected under strict field
        // validation). A schema for the values means a free-form map: keep it as given.
        if (value !== false) out['x-kubernetes-preserve-unknown-fields'] = true;
        break;
      case 'properties':
        out[key] = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>)
          .map(([name, schema]) => [name, toStructural(schema, `${path}.${name}`)]));
        break;
      case 'items':
        out[key] = toStructural(value as JsonSchema, `${path}[]`);
        break;
      case 'minimum':
      case 'maximum':
        // zod bounds every integer to the safe-integer range; that is no constraint worth stating.
        if (Math.abs(value as number) !== Number.MAX_SAFE_INTEGER) out[key] = value;
        break;
      case 'pattern':
        // The API server checks `format: date-time` itself; zod's RFC 3339 regex only adds noise.
        if (input['format'] !== 'date-time') out[key] = value;
        break;
      default:
        if (!ALLOWED.has(key)) throw new Error(`cannot express "${key}" at ${path || '.'} in a CRD schema`);
        out[key] = value;
    }
  }
  if (out['type'] === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    throw new Error(`schema at ${path || '.'} has no type, which a structural schema requires`);
  }
  return out;
}

function openApi(schema: z.ZodType): JsonSchema {
  return toStructural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }));
}

interface Definition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly description: string;
  readonly printerColumns: readonly Record<string, unknown>[];
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  readonly rootValidations: readonly { rule: string; message: string; fieldPath?: string }[];
  readonly scope?: 'Namespaced' | 'Cluster';
}

function customResourceDefinition(d: Definition): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${d.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'gaim-operator', 'app.kubernetes.io/part-of': 'living-content' },
    },
    spec: {
      group: GROUP,
      scope: d.scope ?? 'Namespaced',
      names: { kind: d.kind, listKind: `${d.kind}List`, plural: d.plural, singular: d.singular, shortNames: [...d.shortNames], categories: ['livingcontent'] },
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: d.printerColumns,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: d.description,
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
              kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
              metadata: { type: 'object' },
              spec: openApi(d.spec),
              status: openApi(d.status),
            },
            ...(d.rootValidations.length === 0 ? {} : { 'x-kubernetes-validations': d.rootValidations }),
          },
        },
      }],
    },
  };
}

/** The Gaim CRD as a plain object, ready to serialise or to create through the API. */
export function gaimCrd(): Record<string, unknown> {
  return customResourceDefinition({
    kind: KIND, plural: PLURAL, singular: SINGULAR, shortNames: [SINGULAR],
    description: `A Gaim (${API_VERSION}) provisions one GAIM's data stores in its namespace: a MongoDB, a Redis and a Filestore volume for LanceDB, seeds them per environment, and reports sync state to Firestore.`,
    printerColumns: [
      { name: 'Envs', type: 'string', jsonPath: '.spec.environments', description: 'Environments served' },
      { name: 'Tier', type: 'string', jsonPath: '.spec.tier', description: 'Size class' },
      { name: 'Sync', type: 'string', jsonPath: '.status.syncStatus', description: 'Progressing, Synced or Failed' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'All stores ready' },
      { name: 'Retries', type: 'integer', jsonPath: '.status.retryCount', description: 'Failed attempts since the last success' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    spec: GaimSpecSchema, status: GaimStatusSchema, rootValidations: ROOT_VALIDATIONS,
  });
}

/** The GaimBackup CRD. */
export function gaimBackupCrd(): Record<string, unknown> {
  return customResourceDefinition({
    kind: BACKUP_KIND, plural: BACKUP_PLURAL, singular: BACKUP_SINGULAR, shortNames: ['gbk'],
    description: `A GaimBackup (${API_VERSION}) is one backup of a Gaim's claims as CSI VolumeSnapshots, taken when it is created; deleting it deletes its snapshots. A new Gaim restores from one with spec.restoreFrom.`,
    printerColumns: [
      { name: 'Gaim', type: 'string', jsonPath: '.spec.gaim', description: 'The Gaim backed up' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Running, Completed or Failed' },
      { name: 'Started', type: 'date', jsonPath: '.status.startedAt', description: 'When the backup started' },
      { name: 'Completed', type: 'date', jsonPath: '.status.completedAt', description: 'When it ended' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    spec: GaimBackupSpecSchema, status: GaimBackupStatusSchema, rootValidations: BACKUP_ROOT_VALIDATIONS,
  });
}

/** The GaimBackupRecord CRD: the backup catalog, cluster-scoped. */
export function gaimBackupRecordCrd(): Record<string, unknown> {
  return customResourceDefinition({
    kind: RECORD_KIND, plural: RECORD_PLURAL, singular: RECORD_SINGULAR, shortNames: ['gbr'], scope: 'Cluster',
    description: `A GaimBackupRecord (${API_VERSION}) is one backup in the catalog, kept outside the tenant's namespace with everything a restore needs: it outlives the namespace, restores into any namespace it allows (spec.restoreFrom.record) and moves between clusters (kubectl gaim backup export / import).`,
    printerColumns: [
      { name: 'Namespace', type: 'string', jsonPath: '.spec.source.namespace', description: 'Where the Gaim was' },
      { name: 'Gaim', type: 'string', jsonPath: '.spec.source.gaim', description: 'The Gaim backed up' },
      { name: 'Cluster', type: 'string', jsonPath: '.spec.source.cluster', description: 'The cluster it was taken in' },
      { name: 'Trigger', type: 'string', jsonPath: '.spec.source.trigger', description: 'manual, scheduled or final' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Completed or Failed' },
      { name: 'Taken', type: 'date', jsonPath: '.spec.source.takenAt', description: 'When the backup started' },
    ],
    spec: GaimBackupRecordSpecSchema, status: GaimBackupRecordStatusSchema, rootValidations: [],
  });
}

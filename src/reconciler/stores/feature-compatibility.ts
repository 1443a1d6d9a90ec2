// After seeding: keep track of the MongoDB's version and raise its featureCompatibilityVersion once a
// major upgrade has run healthy for the burn-in (resources/feature-compatibility.ts decides when).
// The server is asked once per image (when the StatefulSet, ready on its current revision, runs an
// image other than the one last read) and when a raise is due; otherwise this makes no connection,
// so an unchanged Gaim stays quiet. An interruption of readiness starts the burn-in over.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { Settings } from '../../config/settings.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import type { EventRecorder } from '../../kube/events.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { fcvAction, type VersionRecord } from '../../resources/feature-compatibility.js';
import { objectNames } from '../../resources/meta.js';
import { MongoSecretKeys } from '../../resources/mongodb.js';
import { duration } from '../../resources/pod-startup.js';
import { raiseFeatureCompatibility, readServerVersion } from '../../seeders/mongodb.js';
import type { StoresReadiness } from '../../status/gaim-status.js';
import { Reason } from '../../status/reasons.js';
import { secretValues, type Credentials } from '../gaim/secrets.js';
import { storeAddress } from './store-address.js';
import type { StepResult } from '../gaim/step.js';

export interface FeatureCompatibilityDeps {
  readonly caches: Caches;
  readonly events: EventRecorder;
  readonly settings: Pick<Settings, 'overrides' | 'mongodbFcvBurnInSeconds'>;
}

export interface FeatureCompatibilityOutcome extends StepResult {
  /** status.mongodbVersion; undefined keeps the previous. */
  readonly record?: VersionRecord;
  /** When the burn-in ends. */
  readonly recheckAfterMs?: number;
}

/** Timers cannot wait longer than about 24 days; a burn-in may: look again at least hourly. */
const MAX_WAIT_MS = 3_600_000;

type StatefulSetView = KubeObject & { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } };

export async function tendFeatureCompatibility(gaim: Gaim, stores: StoresReadiness, credentials: Credentials, deps: FeatureCompatibilityDeps,
  context: ReconcileContext, now = new Date()): Promise<FeatureCompatibilityOutcome> {
  const previous = gaim.status?.mongodbVersion;
  const readiness = stores.mongodb;
  if (readiness === 'disabled') return {};
  if (!readiness.ready) {
    // Not healthy now: a burn-in under way starts again once it is.
    return previous?.since === undefined ? {} : { record: withoutSince(previous) };
  }
  const name = objectNames(gaim).mongodb;
  const image = deps.caches.get<StatefulSetView>(Resources.statefulSet, `${gaim.metadata.namespace}/${name}`)?.spec?.template?.spec?.containers?.[0]?.image;
  if (image === undefined) return {};

  const target = async () => {
    const secret = secretValues(credentials, objectNames(gaim).mongodbSecret, [MongoSecretKeys.rootUsername, MongoSecretKeys.rootPassword] as const);
    return { address: await storeAddress(gaim, 'mongodb', deps.settings.overrides), username: secret[MongoSecretKeys.rootUsername], password: secret[MongoSecretKeys.rootPassword] };
  };
  let record: VersionRecord;
  if (previous === undefined || previous.image !== image) {
    const version = await readServerVersion(await target(), context.signal);
    record = { image, server: version.server, ...(version.featureCompatibilityVersion === undefined ? {} : { featureCompatibilityVersion: version.featureCompatibilityVersion }), since: now.toISOString() };
    context.log.info({ store: 'mongodb', ...record }, 'read the mongodb version');
  } else {
    record = previous.since === undefined ? { ...previous, since: now.toISOString() } : previous;
  }

  const action = fcvAction(record, deps.settings.mongodbFcvBurnInSeconds, now);
  if (action.action === 'wait') return { record, recheckAfterMs: Math.min(MAX_WAIT_MS, action.untilMs - now.getTime() + 1000) };
  if (action.action === 'none') return record === previous ? {} : { record };
  const from = record.featureCompatibilityVersion ?? '?';
  await raiseFeatureCompatibility(await target(), action.to, context.signal);
  const after = await readServerVersion(await target(), context.signal);
  const raised: VersionRecord = { ...record, ...(after.featureCompatibilityVersion === undefined ? {} : { featureCompatibilityVersion: after.featureCompatibilityVersion }) };
  const ranFor = Math.floor((now.getTime() - Date.parse(record.since ?? now.toISOString())) / 1000);
  deps.events.record(gaim, 'Normal', Reason.FeatureCompatibilityRaised, 'Upgrade',
    `raised the mongodb featureCompatibilityVersion from ${from} to ${action.to}: ${record.server} has run ready for ${duration(ranFor)} (GAIM_MONGODB_FCV_BURN_IN_SECONDS=${String(deps.settings.mongodbFcvBurnInSeconds)}); the image can no longer be reverted to ${from} without lowering it first`);
  context.log.info({ store: 'mongodb', from, to: action.to }, 'raised the featureCompatibilityVersion');
  return { record: raised };
}

function withoutSince(record: VersionRecord): VersionRecord {
  const { since: _since, ...rest } = record;
  return rest;
}

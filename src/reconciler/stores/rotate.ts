// Step 5 of the reconcile: rotate the stores' app credentials when the Gaim asks
// (gaim.livingcontent.io/rotate-credentials), walking the steps of resources/rotation.ts. Each step's
// result is written to the credentials Secret before the next starts (with its resourceVersion, so
// two operators never interleave), which is what lets a rotation cut short by the operator's death
// resume where it stopped. Runs only on a ready store; makes no API call when nothing rotates.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { Settings } from '../../config/settings.js';
import type { ReconcileContext } from '../../controller/result.js';
import { wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { EventRecorder } from '../../kube/events.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { objectNames } from '../../resources/meta.js';
import { generatePassword, MongoSecretKeys } from '../../resources/mongodb.js';
import { REDIS_APP_USER, REDIS_OPERATOR_USER, RedisSecretKeys } from '../../resources/redis.js';
import {
  acceptedCredentials, nextCredential, nextRotationStep, ROTATE_CREDENTIALS, ROTATED_AT, ROTATION_GRACE_ENDS, ROTATION_REQUEST,
  type Credential, type RotationState,
} from '../../resources/rotation.js';
import { rotateAppUsers } from '../../seeders/mongodb.js';
import { setUserPasswords } from '../../seeders/redis.js';
import type { StoresReadiness } from '../../status/gaim-status.js';
import { Reason } from '../../status/reasons.js';
import { decode, type Credentials } from '../gaim/secrets.js';
import { storeAddress } from './store-address.js';
import type { StepResult } from '../gaim/step.js';

export interface RotateDeps {
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly settings: Pick<Settings, 'overrides' | 'rotationGraceSeconds'>;
}

export interface RotationOutcome extends StepResult {
  /** The request every enabled store has switched for (status.rotateCredentialsHandled). */
  readonly handled?: string;
  /** When the newest of the current credentials became current. */
  readonly rotatedAt?: string;
  /** Look again then: the end of a grace period. */
  readonly recheckAfterMs?: number;
  /** Stores whose rotation waits for them to be ready. */
  readonly waiting: string[];
}

type Store = 'mongodb' | 'redis';
/** Timers cannot wait longer than about 24 days; a grace period may: look again at least hourly. */
const MAX_WAIT_MS = 3_600_000;
type Secret = KubeObject & { data?: Record<string, string> };

/** Where each store keeps its credentials in the Secret. */
const KEYS = {
  mongodb: {
    current: [MongoSecretKeys.appUsername, MongoSecretKeys.appPassword],
    pending: [MongoSecretKeys.pendingUsername, MongoSecretKeys.pendingPassword],
    previous: [MongoSecretKeys.previousUsername, MongoSecretKeys.previousPassword],
  },
  redis: {
    current: [undefined, RedisSecretKeys.password],
    pending: [undefined, RedisSecretKeys.pendingPassword],
    previous: [undefined, RedisSecretKeys.previousPassword],
  },
} as const satisfies Record<Store, Record<'current' | 'pending' | 'previous', readonly [string | undefined, string]>>;

const secretName = (gaim: Gaim, store: Store) => (store === 'mongodb' ? objectNames(gaim).mongodbSecret : objectNames(gaim).redisSecret);

export async function rotateCredentials(gaim: Gaim, stores: StoresReadiness, credentials: Credentials, deps: RotateDeps, context: ReconcileContext): Promise<RotationOutcome> {
  const requested = gaim.metadata.annotations?.[ROTATE_CREDENTIALS];
  const outcome: { handled: string | undefined; rotatedAt: string | undefined; recheckAfterMs: number | undefined; waiting: string[] } = {
    handled: requested, rotatedAt: undefined, recheckAfterMs: undefined, waiting: [],
  };
  for (const store of ['mongodb', 'redis'] as const) {
    const readiness = stores[store];
    const data = credentials.get(secretName(gaim, store));
    if (readiness === 'disabled' || data === undefined) continue;
    const inRotation = KEYS[store].pending[1] in data || KEYS[store].previous[1] in data;
    if (!inRotation && (requested === undefined || requested === gaim.status?.rotateCredentialsHandled)) continue; // nothing to do: no API call
    if (!readiness.ready) {
      outcome.waiting.push(store);
      outcome.handled = undefined;
      continue;
    }
    const result = await rotateStore(gaim, store, requested, deps, context);
    if (result.request !== requested || result.pending) outcome.handled = undefined;
    if (result.rotatedAt !== undefined && (outcome.rotatedAt === undefined || result.rotatedAt > outcome.rotatedAt)) outcome.rotatedAt = result.rotatedAt;
    if (result.waitMs !== undefined) outcome.recheckAfterMs = Math.min(outcome.recheckAfterMs ?? Infinity, result.waitMs);
  }
  return {
    ...(outcome.handled === undefined || outcome.waiting.length > 0 ? {} : { handled: outcome.handled }),
    ...(outcome.rotatedAt === undefined ? {} : { rotatedAt: outcome.rotatedAt }),
    ...(outcome.recheckAfterMs === undefined ? {} : { recheckAfterMs: outcome.recheckAfterMs }),
    waiting: outcome.waiting,
  };
}

/** Walks one store's rotation as far as it can go now. */
async function rotateStore(gaim: Gaim, store: Store, requested: string | undefined, deps: RotateDeps, context: ReconcileContext):
  Promise<{ request: string | undefined; pending: boolean; rotatedAt?: string; waitMs?: number }> {
  const name = secretName(gaim, store);
  const namespace = gaim.metadata.namespace;
  let secret = await deps.client.get<Secret>(Resources.secret, name, namespace, context.signal).catch((error: unknown) => {
    throw wrap(error, Message.readSecret(name));
  });
  const event = (type: 'Normal' | 'Warning', reason: string, note: string) => { deps.events.record(gaim, type, reason, 'RotateCredentials', note); };
  const patch = async (data: Record<string, string | null>, annotations: Record<string, string | null>) => {
    try {
      secret = await deps.client.mergePatch<Secret>(Resources.secret, name, namespace, {
        metadata: { resourceVersion: secret.metadata?.resourceVersion, annotations },
        data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v === null ? null : Buffer.from(v).toString('base64')])),
      }, context.signal);
    } catch (error: unknown) {
      throw wrap(error, Message.updateSecret(name), { reason: Reason.SecretFailed });
    }
  };
  const target = await storeTarget(gaim, store, decode(secret), deps, context.signal);

  let applied = false;
  for (;;) {
    const state = stateOf(store, secret);
    const step = nextRotationStep(state, requested, applied, new Date());
    const rotatedAt = secret.metadata?.annotations?.[ROTATED_AT];
    const done = { request: state.request, pending: state.pending !== undefined, ...(rotatedAt === undefined ? {} : { rotatedAt }) };
    switch (step.kind) {
      case 'idle':
        return done;
      case 'wait':
        return { ...done, waitMs: Math.min(step.untilMs, MAX_WAIT_MS) };
      case 'generate': {
        const next = nextCredential(state.current, store === 'mongodb', generatePassword());
        await patch(credentialData(store, 'pending', next), { [ROTATION_REQUEST]: step.request });
        event('Normal', Reason.CredentialsRotationStarted, `${store}: new app credentials generated in secret ${name} (key ${KEYS[store].pending[1]}); the current ones still work`);
        break;
      }
      case 'apply': {
        if (await target.accept(state) === 'unsupported') {
          await patch(removeData(store, 'pending'), {});
          event('Warning', Reason.CredentialsRotationUnsupported, `${store}: the server cannot create users with roles (FerretDB and some managed MongoDB-compatible services cannot); its credentials were not rotated`);
          return { request: state.request, pending: false, ...(rotatedAt === undefined ? {} : { rotatedAt }) };
        }
        if (state.pending !== undefined) event('Normal', Reason.CredentialsAccepted, `${store}: the store accepts the new and the current app credentials`);
        applied = true;
        break;
      }
      case 'switch': {
        const { pending, current } = state;
        if (pending === undefined) break;
        const now = new Date();
        const graceEnds = new Date(now.getTime() + deps.settings.rotationGraceSeconds * 1000).toISOString();
        await patch({ ...credentialData(store, 'current', pending), ...credentialData(store, 'previous', current), ...removeData(store, 'pending'), ...graceData(store, current) },
          { [ROTATION_GRACE_ENDS]: graceEnds, [ROTATED_AT]: now.toISOString() });
        context.log.info({ store, secret: name, graceEnds }, 'switched app credentials');
        event('Normal', Reason.CredentialsSwitched, `${store}: secret ${name} now holds the new app credentials; the previous ones work until ${graceEnds}`);
        break;
      }
      case 'expire': {
        await target.forget(state);
        await patch({ ...removeData(store, 'previous'), ...graceData(store, state.current) }, { [ROTATION_GRACE_ENDS]: null });
        event('Normal', Reason.PreviousCredentialsRemoved, `${store}: the previous app credentials no longer work`);
        break;
      }
    }
  }
}

/** What a store's Secret says about its rotation. */
function stateOf(store: Store, secret: Secret): RotationState {
  const data = decode(secret);
  const read = (which: 'current' | 'pending' | 'previous'): Credential | undefined => {
    const [userKey, passwordKey] = KEYS[store][which];
    const password = data[passwordKey];
    if (password === undefined || password === '') return undefined;
    return { username: userKey === undefined ? REDIS_APP_USER : data[userKey] ?? '', password };
  };
  const annotations = secret.metadata?.annotations ?? {};
  const graceEnds = annotations[ROTATION_GRACE_ENDS] === undefined ? undefined : new Date(annotations[ROTATION_GRACE_ENDS]);
  const pending = read('pending');
  const previous = read('previous');
  return {
    current: read('current') ?? { username: '', password: '' },
    ...(pending === undefined ? {} : { pending }),
    ...(previous === undefined ? {} : { previous }),
    ...(graceEnds === undefined || Number.isNaN(graceEnds.getTime()) ? {} : { graceEndsAt: graceEnds }),
    request: annotations[ROTATION_REQUEST],
  };
}

const credentialData = (store: Store, which: 'current' | 'pending' | 'previous', credential: Credential): Record<string, string> => {
  const [userKey, passwordKey] = KEYS[store][which];
  return { ...(userKey === undefined ? {} : { [userKey]: credential.username }), [passwordKey]: credential.password };
};

const removeData = (store: Store, which: 'pending' | 'previous'): Record<string, null> =>
  Object.fromEntries(KEYS[store][which].flatMap((key) => (key === undefined ? [] : [[key, null]])));

/** Redis is started with a second password (see RedisSecretKeys): the one still accepted, kept with the switch and the expiry. */
const graceData = (store: Store, accepted: Credential): Record<string, string> =>
  (store === 'redis' ? { [RedisSecretKeys.gracePassword]: accepted.password } : {});

/** The store's side of apply and expire, through its adapter, as the operator's own user. */
async function storeTarget(gaim: Gaim, store: Store, data: Readonly<Record<string, string>>, deps: RotateDeps, signal: AbortSignal): Promise<{
  accept: (state: RotationState) => Promise<'done' | 'unsupported'>;
  forget: (state: RotationState) => Promise<void>;
}> {
  const address = await storeAddress(gaim, store, deps.settings.overrides);
  if (store === 'redis') {
    const target = { address, username: REDIS_OPERATOR_USER, password: data[RedisSecretKeys.operatorPassword] ?? '' };
    const passwords = (state: RotationState) => acceptedCredentials(state).map((c) => c.password);
    return {
      accept: async (state) => { await setUserPasswords(target, REDIS_APP_USER, passwords(state), signal); return 'done'; },
      forget: async (state) => { await setUserPasswords(target, REDIS_APP_USER, [state.current.password], signal); },
    };
  }
  const target = { address, username: data[MongoSecretKeys.rootUsername] ?? '', password: data[MongoSecretKeys.rootPassword] ?? '' };
  return {
    accept: (state) => rotateAppUsers(target, 'apply', state, gaim.spec.environments, signal),
    forget: async (state) => { await rotateAppUsers(target, 'expire', state, gaim.spec.environments, signal); },
  };
}

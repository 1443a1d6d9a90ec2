// Credential rotation as a sequence of durable steps, decided from the credentials Secret alone (pure).
// The Secret is the record: a rotation that the operator's death interrupts resumes from what the
// Secret holds, and at every moment the Secret's current credential is one the store accepts:
//
//   generate  write a fresh credential to the Secret as `pending` (the store does not know it yet;
//             apps still read the current one, which the store accepts)
//   apply     make the store accept every credential the Secret names (current, pending, previous)
//   switch    the pending credential becomes current, the old one `previous`, with the end of the grace
//             period; apps that read the Secret now get the new one, apps holding the old one still work
//   expire    once the grace period is over (or a newer rotation is asked for), the store forgets the
//             previous credential and the Secret drops it
//
// Redis keeps one user with several passwords; MongoDB (one password per SCRAM user) alternates two
// app users. Both walk the same steps; only `apply` and `expire` differ, in their adapters.

/** Annotating a Gaim with a new value asks for a rotation of its stores' app credentials. */
export const ROTATE_CREDENTIALS = 'gaim.livingcontent.io/rotate-credentials';
/** On a credentials Secret: the rotation request (the Gaim annotation's value) this Secret has taken up. */
export const ROTATION_REQUEST = 'gaim.livingcontent.io/rotation-request';
/** On a credentials Secret: when its previous credential stops being accepted (RFC 3339). */
export const ROTATION_GRACE_ENDS = 'gaim.livingcontent.io/previous-credentials-expire-at';
/** On a credentials Secret: when its current credential became current (RFC 3339). */
export const ROTATED_AT = 'gaim.livingcontent.io/credentials-rotated-at';

export interface Credential {
  readonly username: string;
  readonly password: string;
}

/** What a credentials Secret says about rotation. */
export interface RotationState {
  readonly current: Credential;
  readonly pending?: Credential;
  readonly previous?: Credential;
  readonly graceEndsAt?: Date;
  /** The request value this Secret took up last; undefined if it never rotated. */
  readonly request?: string | undefined;
}

export type RotationStep =
  | { readonly kind: 'idle' }
  | { readonly kind: 'generate'; readonly request: string }
  | { readonly kind: 'apply' }
  | { readonly kind: 'switch' }
  | { readonly kind: 'expire' }
  | { readonly kind: 'wait'; readonly untilMs: number };

/**
 * The next step for one store. `requested` is the Gaim's annotation value (undefined without one);
 * `applied` says whether the store is known to accept every credential of the Secret now. A new
 * request while a previous credential is in its grace period ends that grace period first: the
 * person asking for a rotation wants the old credentials gone, not a third set.
 */
export function nextRotationStep(state: RotationState, requested: string | undefined, applied: boolean, now: Date): RotationStep {
  if (state.pending !== undefined) return applied ? { kind: 'switch' } : { kind: 'apply' };
  const wanted = requested !== undefined && requested !== state.request;
  if (state.previous !== undefined) {
    if (wanted || state.graceEndsAt === undefined || state.graceEndsAt.getTime() <= now.getTime()) return { kind: 'expire' };
    if (!applied) return { kind: 'apply' };
    return { kind: 'wait', untilMs: state.graceEndsAt.getTime() - now.getTime() };
  }
  return wanted ? { kind: 'generate', request: requested } : { kind: 'idle' };
}

/** The credentials the store must accept in this state: current first. */
export function acceptedCredentials(state: RotationState): Credential[] {
  return [state.current, ...(state.pending === undefined ? [] : [state.pending]), ...(state.previous === undefined ? [] : [state.previous])];
}

/** MongoDB's two alternating app users: the one a rotation moves to. */
export function alternateUsername(username: string): string {
  return username.endsWith('-2') ? username.slice(0, -2) : `${username}-2`;
}

/** The store's next credential: the alternate user for MongoDB, the same user for Redis. */
export function nextCredential(current: Credential, alternateUsers: boolean, password: string): Credential {
  return { username: alternateUsers ? alternateUsername(current.username) : current.username, password };
}

/**
 * Redis's one command for `apply` and `expire`: the app user accepts exactly the given passwords.
 * `resetpass` first makes it idempotent and removes any password the Secret no longer names.
 */
export function redisAclCommand(user: string, passwords: readonly string[]): string[] {
  return ['ACL', 'SETUSER', user, 'resetpass', ...passwords.map((p) => `>${p}`)];
}

export type MongoUserCommand =
  | { readonly createUser: string; readonly pwd: string; readonly roles: readonly { role: string; db: string }[] }
  | { readonly updateUser: string; readonly pwd: string; readonly roles: readonly { role: string; db: string }[] }
  | { readonly dropUser: string };

/**
 * MongoDB's commands for a step, given whether the pending user exists already (an interrupted
 * `apply` may have created it): `apply` creates the pending user with the app's roles, or sets the
 * password and roles of one that exists; `expire` drops the previous user. Never touches the current user.
 */
export function mongoUserCommands(step: 'apply' | 'expire', state: RotationState, pendingExists: boolean, roles: readonly { role: string; db: string }[]): MongoUserCommand[] {
  if (step === 'expire') return state.previous === undefined || state.previous.username === state.current.username ? [] : [{ dropUser: state.previous.username }];
  const pending = state.pending;
  if (pending === undefined || pending.username === state.current.username) return [];
  return [pendingExists ? { updateUser: pending.username, pwd: pending.password, roles } : { createUser: pending.username, pwd: pending.password, roles }];
}

// `kubectl gaim status`: reads the Gaim, its events and its Firestore entries, and prints
// renderStatus's lines; with --watch, again on every change of the Gaim until Ctrl-C. The only I/O
// of the command; what it shows is render.ts's business.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from '../kube/client.js';
import { errorMessage } from '../errors.js';
import { isGone, isNotFound } from '../kube/errors.js';
import type { KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';
import type { FirestoreTarget } from '../firestore/connection.js';
import type { SyncEntryReader } from '../firestore/sync-entries.js';
import type { Target } from './cli.js';
import { newestEvents, type GaimEvent } from './events.js';
import type { PluginIo } from './io.js';
import { DEFAULT_WIDTH, renderStatus, type FirestorePanel } from './render.js';

/** How many events the status lists. */
const EVENT_LIMIT = 5;
/** The watch is restarted when nothing, not even a bookmark (about every minute), arrives for this long. */
const WATCH_INACTIVITY_MS = 120_000;
const WATCH_TIMEOUT_SECONDS = 300;
/** Clears a terminal and puts the cursor home: a watch redraws rather than scrolls. */
const CLEAR_SCREEN = '\u001b[H\u001b[2J';

export class GaimNotFoundError extends Error {
  override name = 'GaimNotFoundError';

  constructor(namespace: string, name: string) {
    super(`Gaim ${namespace}/${name} not found`);
  }
}

export interface StatusDeps {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly firestore: SyncEntryReader;
  readonly io: PluginIo;
}

/** Prints the status once, or (watch) on every change until the signal aborts; the exit code. */
export async function statusCommand(target: Target, watch: boolean, deps: StatusDeps): Promise<number> {
  const { client, namespace, io } = deps;
  const gaim = await getGaim(client, namespace, target.name, io.signal);
  const print = async (object: KubeObject, first: boolean) => {
    const lines = await statusLines(object, deps);
    if (!first) io.out(io.isTty ? CLEAR_SCREEN : '');
    for (const line of lines) io.out(line);
  };
  await print(gaim, true);
  if (!watch) return 0;
  await watchGaim(gaim, target.name, deps, print);
  return 0;
}

/** Env of the plugin's process -> which Firestore: the same variables as the operator's settings. */
export function firestoreTarget(env: NodeJS.ProcessEnv): FirestoreTarget {
  const set = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  return {
    projectId: set('GAIM_FIRESTORE_PROJECT') ?? set('GOOGLE_CLOUD_PROJECT'),
    databaseId: set('GAIM_FIRESTORE_DATABASE') ?? '(default)',
    emulatorHost: set('FIRESTORE_EMULATOR_HOST'),
  };
}

async function getGaim(client: KubeClient, namespace: string, name: string, signal: AbortSignal): Promise<KubeObject> {
  try {
    return await client.get(Resources.gaim, name, namespace, signal);
  } catch (error: unknown) {
    if (isNotFound(error)) throw new GaimNotFoundError(namespace, name);
    throw new Error(`cannot get Gaim ${namespace}/${name}: ${errorMessage(error)}`, { cause: error });
  }
}

/** Events and Firestore are read side by side; either failing shows as a line, never fails the command. */
async function statusLines(gaim: KubeObject, { client, namespace, firestore, io }: StatusDeps): Promise<string[]> {
  const name = gaim.metadata?.name ?? '';
  const gaimId = (gaim['spec'] as { gaimId?: unknown } | undefined)?.gaimId;
  const [events, panel] = await Promise.all([
    listEvents(client, namespace, name, io.signal),
    typeof gaimId === 'string' && gaimId !== ''
      ? firestore.read(gaimId, io.signal).then((entries): FirestorePanel => ({ source: firestore.source, entries }))
      : Promise.resolve<FirestorePanel>({ skipped: 'the Gaim has no spec.gaimId' }),
  ]);
  return renderStatus({ gaim, events, firestore: panel, now: new Date(), width: io.columns ?? DEFAULT_WIDTH });
}

async function listEvents(client: KubeClient, namespace: string, name: string, signal: AbortSignal): Promise<readonly GaimEvent[] | { readonly error: string }> {
  try {
    const { items } = await client.list(Resources.event, { namespace, fieldSelector: `regarding.kind=Gaim,regarding.name=${name}`, signal });
    return newestEvents(items, EVENT_LIMIT);
  } catch (error: unknown) {
    return { error: `cannot list events: ${errorMessage(error)}` };
  }
}

/**
 * Watches the one Gaim (a field selector on its name) from the version shown, and prints it again
 * on each change. Renders run one at a time; changes that arrive during one are shown by the next,
 * so a burst of writes costs one or two renders. Expired versions relist; other failures are said
 * once on stderr and the watch resumes.
 */
async function watchGaim(initial: KubeObject, name: string, deps: StatusDeps, print: (gaim: KubeObject, first: boolean) => Promise<void>): Promise<void> {
  const { client, namespace, io } = deps;
  let latest = initial;
  let resourceVersion = initial.metadata?.resourceVersion ?? '';
  let queued = false;
  let rendering: Promise<void> = Promise.resolve();
  // A function, not the property: the compiler would take `aborted` for false all through the loop.
  const stopped = () => io.signal.aborted;
  const show = () => {
    if (queued) return;
    queued = true;
    rendering = rendering.then(async () => {
      queued = false;
      if (!stopped()) await print(latest, false);
    }).catch((error: unknown) => { io.err(`kubectl gaim: cannot show Gaim ${namespace}/${name}: ${errorMessage(error)}`); });
  };
  while (!stopped()) {
    try {
      resourceVersion = await client.watch<KubeObject>(Resources.gaim, {
        namespace, fieldSelector: `metadata.name=${name}`, resourceVersion, signal: io.signal,
        inactivityMs: WATCH_INACTIVITY_MS, timeoutSeconds: WATCH_TIMEOUT_SECONDS,
        onEvent: (event) => {
          if (event.type === 'BOOKMARK') return;
          if (event.type === 'DELETED') {
            io.out(`Gaim ${namespace}/${name} was deleted; still watching (Ctrl-C ends)`);
            return;
          }
          latest = event.object;
          show();
        },
      });
    } catch (error: unknown) {
      if (stopped()) break;
      if (isGone(error)) {
        // The version shown is too old to resume from: start from the Gaim as it is now.
        const current = await getGaim(client, namespace, name, io.signal).catch(() => undefined);
        resourceVersion = current?.metadata?.resourceVersion ?? '';
        if (current !== undefined) {
          latest = current;
          show();
        }
        continue;
      }
      io.err(`kubectl gaim: watch of Gaim ${namespace}/${name} interrupted (${errorMessage(error)}); resuming`);
      await sleep(2000, undefined, { signal: io.signal }).catch(() => undefined);
    }
  }
  await rendering;
}

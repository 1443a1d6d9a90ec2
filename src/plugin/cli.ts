// The plugin's command line: what each command takes, its help, and the one-line refusals of a wrong
// usage. Pure: parseCommand turns argv into a Command or throws a UsageError.
import { parseArgs } from 'node:util';
import { RETRY_NOW } from '../status/retry-ledger.js';

/** Which Gaim, through which kubeconfig and context. */
export interface Target {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly context: string | undefined;
  readonly kubeconfig: string | undefined;
}

export type Command =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  | { readonly kind: 'status'; readonly target: Target; readonly watch: boolean }
  | { readonly kind: 'retry'; readonly target: Target };

/** A wrong command line: one line on stderr, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

const TARGET_OPTIONS = `  -n, --namespace NS     the Gaim's namespace (default: the context's namespace, else default)
      --context NAME     a kubeconfig context other than the current one
      --kubeconfig FILE  a kubeconfig other than $KUBECONFIG or ~/.kube/config`;

export const HELP = `Usage: kubectl gaim <command> NAME [options]

Shows and nudges the Gaims of the gaim-operator (gaims.gaim.livingcontent.io), with your own
kubeconfig and rights.

Commands:
  status NAME  The Gaim at a glance: sync state and retries, conditions with reason and age, each
               store's endpoint and claim size, queue figures per environment, the last backup,
               the Firestore entry per environment, the latest events. Read-only.
  retry NAME   Retry the Gaim now: sets its ${RETRY_NOW} annotation anew.

Options:
${TARGET_OPTIONS}
  -h, --help             this help; kubectl gaim status --help for a command's own
      --version          the plugin's version

Exit codes: 0 done, 1 failed (no such Gaim, API server unreachable), 2 wrong usage.`;

export const STATUS_HELP = `Usage: kubectl gaim status NAME [-n NS] [--context NAME] [--kubeconfig FILE] [-w]

Shows the Gaim NAME at a glance: sync state, error and retries; each condition with its status,
reason and age; each store's endpoint and claim (requested and actual size); the queue figures per
environment as the operator last sampled them; the last backup; the Firestore entry of each
environment in gaims/{gaimId}; the latest events about the Gaim. Reads only.

Options:
${TARGET_OPTIONS}
  -w, --watch            show it again whenever the Gaim changes, until Ctrl-C

Firestore is read only when reachable, within 3 s: FIRESTORE_EMULATOR_HOST for an emulator, else
Application Default Credentials (gcloud auth application-default login, Workload Identity).
GAIM_FIRESTORE_PROJECT or GOOGLE_CLOUD_PROJECT names the project, GAIM_FIRESTORE_DATABASE the
database (default "(default)"). Otherwise one line says why it was not read.`;

export const RETRY_HELP = `Usage: kubectl gaim retry NAME [-n NS] [--context NAME] [--kubeconfig FILE]

Asks the operator to retry the Gaim NAME now rather than at status.nextRetryAt: sets the annotation
${RETRY_NOW} to the current time (a merge patch; needs patch on gaims). The
operator acts on each new value once and echoes it in status.retryNowHandled. A validation or
conflict error is retried too, and fails again until the spec is fixed.

Options:
${TARGET_OPTIONS}`;

const HELPS: Readonly<Record<string, string>> = { status: STATUS_HELP, retry: RETRY_HELP };

/** Turns the arguments after `kubectl gaim` into a command; a UsageError says what is wrong in one line. */
export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        namespace: { type: 'string', short: 'n' },
        context: { type: 'string' },
        kubeconfig: { type: 'string' },
        watch: { type: 'boolean', short: 'w' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error: unknown) {
    // Node's messages run on with advice about '--'; the first sentence says what is wrong.
    const message = error instanceof Error ? (error.message.split(/\.\s/)[0] ?? error.message) : String(error);
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1));
  }
  const { positionals, values } = parsed;
  const [command, ...names] = positionals;
  if (command === 'help') return { kind: 'help', text: HELPS[names[0] ?? ''] ?? HELP };
  if (values.help === true) return { kind: 'help', text: HELPS[command ?? ''] ?? HELP };
  if (values.version === true) return { kind: 'version' };
  if (command === undefined) throw new UsageError('a command is needed: status or retry');
  if (command !== 'status' && command !== 'retry') throw new UsageError(`unknown command "${command}": status or retry`);
  if (names.length !== 1 || names[0] === '') {
    throw new UsageError(names.length === 0 ? `${command} needs the Gaim's name: kubectl gaim ${command} NAME` : `${command} takes one Gaim name, not ${names.length}`);
  }
  for (const [option, value] of [['--namespace', values.namespace], ['--context', values.context], ['--kubeconfig', values.kubeconfig]] as const) {
    if (value === '') throw new UsageError(`${option} needs a value`);
  }
  const target: Target = { name: names[0] ?? '', namespace: values.namespace, context: values.context, kubeconfig: values.kubeconfig };
  if (command === 'retry') {
    if (values.watch === true) throw new UsageError('retry takes no --watch');
    return { kind: 'retry', target };
  }
  return { kind: 'status', target, watch: values.watch === true };
}

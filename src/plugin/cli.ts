// The plugin's command line: what each command takes, its help, and the one-line refusals of a wrong
// usage. Pure: parseCommand turns argv into a Command or throws a UsageError.
import { parseArgs } from 'node:util';
import { WAKE_ANNOTATION as WAKE } from '../api/v1alpha1/gaim.js';
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
  | { readonly kind: 'retry'; readonly target: Target }
  | { readonly kind: 'wake'; readonly target: Target }
  | { readonly kind: 'backups'; readonly target: Target; readonly all: boolean }
  | { readonly kind: 'backup-export'; readonly target: Target; readonly operatorNamespace: string; readonly output: string | undefined }
  | { readonly kind: 'backup-import'; readonly target: Target; readonly operatorNamespace: string; readonly file: string }
  | { readonly kind: 'backup-allow'; readonly target: Target };

/** A wrong command line: one line on stderr, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

const TARGET_OPTIONS = `  -n, --namespace NS     the Gaim's namespace (default: the context's namespace, else default)
      --context NAME     a kubeconfig context other than the current one
      --kubeconfig FILE  a kubeconfig other than $KUBECONFIG or ~/.kube/config`;

export const HELP = `Usage: kubectl gaim <command> [NAME] [options]

Shows and nudges the Gaims of the gaim-operator (gaims.gaim.livingcontent.io), with your own
kubeconfig and rights.

Commands:
  status NAME  The Gaim at a glance: sync state and retries, conditions with reason and age, each
               store's endpoint and claim size, queue figures per environment, the last backup,
               the Firestore entry per environment, the latest events. Read-only.
  retry NAME   Retry the Gaim now: sets its ${RETRY_NOW} annotation anew.
  wake NAME    Wake a Gaim hibernated by mode Auto: sets its ${WAKE} annotation.
  backups      The backup catalog (GaimBackupRecords) of the namespace, or of all with -A, those
               whose namespace is gone included.
  backup export RECORD | backup import -f FILE | backup allow RECORD -n NS
               Move a backup to another cluster, or let another namespace restore it.

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

export const WAKE_HELP = `Usage: kubectl gaim wake NAME [-n NS] [--context NAME] [--kubeconfig FILE]

Wakes the Gaim NAME, hibernated by spec.hibernation.mode Auto: sets the annotation
${WAKE} to the current time (a merge patch; needs patch on gaims). The operator
starts its stores, awaits them Ready, and says Synced; idle again for idleAfter, it hibernates
again. A Gaim with mode On stays asleep until its mode is Off (the spec is the user's word).
kubectl gaim status shows the hibernation.

Options:
${TARGET_OPTIONS}`;

export const BACKUPS_HELP = `Usage: kubectl gaim backups [-n NS | -A] [--context NAME] [--kubeconfig FILE]

Lists the backup catalog: one GaimBackupRecord per backup, cluster-scoped, kept when its GaimBackup
or its whole namespace is deleted. A namespace that no longer exists reads "(gone)". Needs list on
gaimbackuprecords (a platform administrator's right).

Options:
${TARGET_OPTIONS}
  -A, --all-namespaces   every namespace's backups`;

export const BACKUP_HELP = `Usage: kubectl gaim backup export RECORD [-o FILE] [--operator-namespace NS]
       kubectl gaim backup import -f FILE [--operator-namespace NS]
       kubectl gaim backup allow RECORD -n NAMESPACE

export  Writes the record and its credentials copy (a Secret in the operator's namespace) as one
        YAML List, to stdout or FILE (mode 0600): a disaster-recovery copy to keep, or to take to
        another cluster whose project reads the same snapshots. The copy's deletionPolicy is Retain:
        deleting it never deletes the snapshots.
import  Creates an exported record and its Secret in this cluster (the operator's namespace); an
        existing record of the same name is refused. kubectl create -f FILE does the same.
allow   Lets the Gaims of NAMESPACE (with the backup's gaimId) restore the record
        (spec.allowedNamespaces). A Gaim's author can never grant this: only the catalog's admins.

Options:
${TARGET_OPTIONS}
      --operator-namespace NS  where the operator runs (default gaim-system)
  -o, --output FILE            export: write to FILE instead of stdout
  -f, --filename FILE          import: the exported file`;

const HELPS: Readonly<Record<string, string>> = { status: STATUS_HELP, retry: RETRY_HELP, wake: WAKE_HELP, backups: BACKUPS_HELP, backup: BACKUP_HELP };
const COMMANDS = ['status', 'retry', 'wake', 'backups', 'backup'];

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
        'all-namespaces': { type: 'boolean', short: 'A' },
        'operator-namespace': { type: 'string' },
        output: { type: 'string', short: 'o' },
        filename: { type: 'string', short: 'f' },
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
  if (command === undefined) throw new UsageError(`a command is needed: ${COMMANDS.join(', ')}`);
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${command}": ${COMMANDS.join(', ')}`);
  for (const [option, value] of [['--namespace', values.namespace], ['--context', values.context], ['--kubeconfig', values.kubeconfig], ['--operator-namespace', values['operator-namespace']], ['--output', values.output], ['--filename', values.filename]] as const) {
    if (value === '') throw new UsageError(`${option} needs a value`);
  }
  const onlyFor = (allowed: readonly string[], what: string) => {
    const given = ([['--watch', values.watch], ['--all-namespaces', values['all-namespaces']], ['--operator-namespace', values['operator-namespace']], ['--output', values.output], ['--filename', values.filename]] as const)
      .filter(([option, value]) => value !== undefined && !allowed.includes(option));
    if (given[0] !== undefined) throw new UsageError(`${what} takes no ${given[0][0]}`);
  };
  const at = (name: string): Target => ({ name, namespace: values.namespace, context: values.context, kubeconfig: values.kubeconfig });
  const operatorNamespace = values['operator-namespace'] ?? 'gaim-system';
  if (command === 'backups') {
    onlyFor(['--all-namespaces'], 'backups');
    if (names.length > 0) throw new UsageError('backups takes no name (kubectl gaim backups [-A])');
    if (values['all-namespaces'] === true && values.namespace !== undefined) throw new UsageError('backups takes -n or -A, not both');
    return { kind: 'backups', target: at(''), all: values['all-namespaces'] === true };
  }
  if (command === 'backup') {
    const [verb, ...rest] = names;
    if (verb === 'export') {
      onlyFor(['--operator-namespace', '--output'], 'backup export');
      if (rest.length !== 1) throw new UsageError('backup export needs one record: kubectl gaim backup export RECORD');
      return { kind: 'backup-export', target: at(rest[0] ?? ''), operatorNamespace, output: values.output };
    }
    if (verb === 'import') {
      onlyFor(['--operator-namespace', '--filename'], 'backup import');
      if (rest.length > 0 || values.filename === undefined) throw new UsageError('backup import needs the file: kubectl gaim backup import -f FILE');
      return { kind: 'backup-import', target: at(''), operatorNamespace, file: values.filename };
    }
    if (verb === 'allow') {
      onlyFor([], 'backup allow');
      if (rest.length !== 1 || values.namespace === undefined) throw new UsageError('backup allow needs one record and the namespace: kubectl gaim backup allow RECORD -n NAMESPACE');
      return { kind: 'backup-allow', target: at(rest[0] ?? '') };
    }
    throw new UsageError(verb === undefined ? 'backup needs export, import or allow' : `unknown backup command "${verb}": export, import or allow`);
  }
  onlyFor(command === 'status' ? ['--watch'] : [], command);
  if (names.length !== 1 || names[0] === '') {
    throw new UsageError(names.length === 0 ? `${command} needs the Gaim's name: kubectl gaim ${command} NAME` : `${command} takes one Gaim name, not ${names.length}`);
  }
  const target = at(names[0] ?? '');
  if (command === 'retry') return { kind: 'retry', target };
  if (command === 'wake') return { kind: 'wake', target };
  return { kind: 'status', target, watch: values.watch === true };
}

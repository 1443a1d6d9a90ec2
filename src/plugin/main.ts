// The plugin's commands, wired: parse the command line, connect with the user's kubeconfig, run the
// command, and turn every failure into one line and an exit code (1 failed, 2 wrong usage).
import { errorMessage } from '../errors.js';
import { connectAsUser } from '../kube/user-kubeconfig.js';
import { openSyncEntryReader } from '../firestore/sync-entries.js';
import { packageVersion } from '../version.js';
import { ExitCode, parseCommand, UsageError, type Command } from './cli.js';
import { REQUEST_TIMEOUT_MS, USER_AGENT, type PluginIo } from './io.js';
import { allowCommand, backupsCommand, exportCommand, importCommand } from './backup-commands.js';
import { retryCommand, wakeCommand } from './retry-command.js';
import { firestoreTarget, statusCommand } from './status-command.js';

/** Runs `kubectl gaim ARGV…`; the process exit code. */
export async function runPlugin(argv: readonly string[], io: PluginIo): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error: unknown) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`kubectl gaim: ${error.message} (see kubectl gaim --help)`);
    return ExitCode.usage;
  }
  if (command.kind === 'help') {
    io.out(command.text);
    return ExitCode.ok;
  }
  if (command.kind === 'version') {
    io.out(packageVersion());
    return ExitCode.ok;
  }
  const { target } = command;
  try {
    const cluster = await connectAsUser(target, { userAgent: `${USER_AGENT}/${packageVersion()}`, requestTimeoutMs: REQUEST_TIMEOUT_MS }, io.env);
    try {
      if (command.kind === 'retry') return await retryCommand(target, cluster.client, cluster.namespace, io);
      if (command.kind === 'wake') return await wakeCommand(target, cluster.client, cluster.namespace, io);
      if (command.kind === 'backups') return await backupsCommand(cluster.client, cluster.namespace, command.all, io);
      if (command.kind === 'backup-export') return await exportCommand(cluster.client, target.name, command.operatorNamespace, command.output, io);
      if (command.kind === 'backup-import') return await importCommand(cluster.client, command.file, command.operatorNamespace, io);
      if (command.kind === 'backup-allow') return await allowCommand(cluster.client, target.name, cluster.namespace, io);
      const firestore = openSyncEntryReader(firestoreTarget(io.env));
      try {
        return await statusCommand(target, command.watch, { client: cluster.client, namespace: cluster.namespace, firestore, io });
      } finally {
        await firestore.close();
      }
    } finally {
      await cluster.client.close();
    }
  } catch (error: unknown) {
    // Ctrl-C while a request was under way is the user's way of ending, not a failure.
    if (io.signal.aborted) return ExitCode.ok;
    io.err(`kubectl gaim: ${errorMessage(error)}`);
    return ExitCode.failed;
  }
}

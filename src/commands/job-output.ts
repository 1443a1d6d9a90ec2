// How the seed and maintenance Jobs' commands end: a JSON report on stdout when they succeed; when
// they fail, the message on stderr and in the termination log (what `kubectl describe pod` and the
// operator read), and an exit code that says which kind of failure it was (SeedExit).
import { writeFile } from 'node:fs/promises';
import { errorMessage, OperatorError } from '../errors.js';
import { SeedExit, TERMINATION_LOG, TERMINATION_MESSAGE_LIMIT } from '../resources/seed-storage-args.js';

/**
 * Where the termination message goes: the container's terminationMessagePath, which the kubelet
 * reads (/dev/termination-log unless the pod says otherwise; TERMINATION_MESSAGE_PATH when a runtime
 * other than a kubelet runs the command, such as the local stack).
 */
const terminationLog = () => process.env['TERMINATION_MESSAGE_PATH'] ?? TERMINATION_LOG;

export async function runJobCommand(name: string, work: () => Promise<Record<string, unknown>>): Promise<number> {
  try {
    console.log(JSON.stringify(await work()));
    return SeedExit.ok;
  } catch (error: unknown) {
    const message = errorMessage(error);
    console.error(`gaim-operator ${name}: ${message}`);
    await writeTerminationMessage(message.slice(0, TERMINATION_MESSAGE_LIMIT));
    return exitCodeOf(error);
  }
}

/**
 * Writes the termination message; a command whose success carries news for the operator (a
 * maintenance report) calls it itself. Best effort: outside a pod there may be nowhere to write.
 */
export async function writeTerminationMessage(text: string): Promise<void> {
  await writeFile(terminationLog(), text).catch(() => undefined);
}

function exitCodeOf(error: unknown): number {
  if (!(error instanceof OperatorError)) return SeedExit.failed;
  if (error.errorType === 'validation') return SeedExit.usage;
  if (error.reason === 'SharePermissionDenied') return SeedExit.permission;
  if (error.reason === 'TableSchemaMismatch') return SeedExit.schema;
  if (error.reason === 'FilesystemUnsupported') return SeedExit.filesystem;
  if (error.reason === 'SeedDeadlineExceeded') return SeedExit.deadline;
  return SeedExit.failed;
}

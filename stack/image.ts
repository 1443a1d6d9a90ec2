// The operator's image, as the stack's kubelet runs it: a directory every container user can read.
//
// A real image's filesystem is readable by whatever user the container runs as. The clone is not:
// CI clones under a 0700 temporary directory, developers under a 0700 home. So the kubelet stand-in
// runs the seed containers from a copy made of hard links (one syscall per file, no data copied; a
// plain copy only when the clone and the temporary directory are on different filesystems), placed
// in the node's filesystem, whose directories any user may traverse.
import { execFile } from 'node:child_process';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** What runs in a container: the sources through tsx, or the compiled dist/ (the Dockerfile's form). */
export type ImageEntry = 'source' | 'compiled';

export interface OperatorImage {
  /** The image's working directory: package.json, node_modules, and the code. */
  readonly root: string;
  /** Where the commands' modules are: src/ or dist/src/ under root. */
  readonly code: string;
  readonly entry: ImageEntry;
  /** How the copy was made: `linked` (hard links) or `copied` (across filesystems). */
  readonly made: 'linked' | 'copied';
}

/** The parts of the clone the commands load; for `source`, tsx comes from node_modules too. */
function parts(entry: ImageEntry): string[] {
  return ['package.json', 'node_modules', entry === 'compiled' ? 'dist' : 'src', ...(entry === 'source' ? ['tsconfig.json'] : [])];
}

/** Builds the image under `dir` (replacing any earlier one) from the clone at `repoRoot`. */
export async function buildOperatorImage(repoRoot: string, dir: string, entry: ImageEntry): Promise<OperatorImage> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  let made: OperatorImage['made'] = 'linked';
  for (const part of parts(entry)) {
    const from = join(repoRoot, part);
    const to = join(dir, part);
    try {
      await execFileAsync('cp', ['-al', from, to]);
    } catch {
      // EXDEV (another filesystem): copy instead; slower, same result.
      await rm(to, { recursive: true, force: true });
      await execFileAsync('cp', ['-a', from, to]);
      made = 'copied';
    }
  }
  return { root: dir, code: entry === 'compiled' ? join(dir, 'dist', 'src') : join(dir, 'src'), entry, made };
}

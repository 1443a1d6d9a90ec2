// The V8 flags the operator runs with in a cluster, read from where they are set, so the benchmarks
// measure exactly that: the chart's operator.nodeOptions (NODE_OPTIONS) and the flags on `node` in the
// image's ENTRYPOINT (those NODE_OPTIONS refuses, such as --optimize-for-size).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../stack/stack.js';

export async function chartNodeOptions(): Promise<string> {
  const values = parseYaml(await readFile(join(repoRoot, 'helm', 'gaim-operator', 'values.yaml'), 'utf8')) as { operator?: { nodeOptions?: string } };
  return values.operator?.nodeOptions ?? '';
}

/** The arguments between `node` and the script in the Dockerfile's exec-form ENTRYPOINT. */
export async function imageNodeArgs(): Promise<string[]> {
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(await readFile(join(repoRoot, 'Dockerfile'), 'utf8'))?.[1];
  const entrypoint = line === undefined ? [] : (JSON.parse(line) as string[]);
  if (entrypoint[0] !== 'node') throw new Error(`the Dockerfile's ENTRYPOINT does not start with node: ${line ?? 'none'}`);
  return entrypoint.slice(1, -1);
}

// A small interpreter for this project's Dockerfile: FROM, WORKDIR, COPY (from the context or
// --from a stage), RUN, ENV, USER, ENTRYPOINT, CMD. There is no Docker engine on these machines,
// so the image test builds the image's filesystem with the Dockerfile's own commands, each stage in
// a directory that stands for its root, and runs the entry point from the result.
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A RUN step: bash, no stdin (as in a build), output kept for the error message. */
function runStep(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`RUN ${command} failed (${String(code)}): ${output.slice(-2000)}`));
    });
  });
}

export interface BuiltImage {
  /** Directory standing for the final stage's root. */
  readonly root: string;
  readonly entrypoint: string[];
  readonly cmd: string[];
  readonly env: Record<string, string>;
  readonly user: string | undefined;
}

export async function buildImageFilesystem(dockerfile: string, context: string, workDir: string, env: NodeJS.ProcessEnv): Promise<BuiltImage> {
  const lines = (await readFile(dockerfile, 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages = new Map<string, string>();
  let root = '';
  let cwd = '/';
  let stageEnv: Record<string, string> = {};
  let user: string | undefined;
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  const inRoot = (path: string) => join(root, path.startsWith('/') ? path : join(cwd, path));

  for (const line of lines) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const text = line.slice(instruction.length).trim().replace(/\$\{(\w+)\}/g, (_m, name: string) => args[name] ?? '');
    switch (instruction.toUpperCase()) {
      case 'ARG': {
        const [name = '', value = ''] = text.split('=');
        args[name] = value;
        break;
      }
      case 'FROM': {
        const alias = / AS (\S+)$/i.exec(text)?.[1] ?? `stage${stages.size}`;
        root = join(workDir, alias);
        await mkdir(root, { recursive: true });
        stages.set(alias, root);
        cwd = '/';
        stageEnv = {};
        break;
      }
      case 'WORKDIR':
        cwd = text;
        await mkdir(inRoot('.'), { recursive: true });
        break;
      case 'ENV': {
        const [name = '', value = ''] = text.split('=');
        stageEnv[name] = value;
        break;
      }
      case 'COPY': {
        const from = /^--from=(\S+)\s+/.exec(text)?.[1];
        const parts = text.replace(/^--from=\S+\s+/, '').split(/\s+/);
        const destination = parts.pop() ?? '.';
        for (const source of parts) {
          const origin = from === undefined ? join(context, source) : join(stages.get(from) ?? '', source);
          const target = destination.endsWith('/') || parts.length > 1 ? join(inRoot(destination), source.split('/').pop() ?? '') : inRoot(destination);
          await cp(origin, target, { recursive: true });
        }
        break;
      }
      case 'RUN':
        await runStep(text, inRoot('.'), { ...env, ...stageEnv });
        break;
      case 'USER':
        user = text;
        break;
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(text) as string[];
        break;
      case 'CMD':
        cmd = JSON.parse(text) as string[];
        break;
      default:
        if (rest.length >= 0) throw new Error(`the image test cannot interpret ${instruction}`);
    }
  }
  return { root, entrypoint, cmd, env: stageEnv, user };
}

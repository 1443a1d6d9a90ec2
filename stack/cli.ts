// The local stack for humans and Make:
//
//   stack up [--detach] [--dir DIR] [--env-out FILE]   start (or report the running one)
//   stack down [--dir DIR]                              stop it; nothing left running
//
// (Not --env-file: Node 24 takes that flag as its own wherever it appears on the command line.)
// `up` in the foreground runs until Ctrl-C; with --detach it returns once the stack is ready and a
// background supervisor keeps it running until `down`.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { repoRoot, Stack } from './stack.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    detach: { type: 'boolean', default: false },
    dir: { type: 'string', default: join(repoRoot, '.run', 'stack') },
    'env-out': { type: 'string', default: join(repoRoot, '.run', 'env.sh') },
  },
});
const dir = resolve(values.dir);
const envFile = resolve(values['env-out']);
const pidFile = join(dir, 'stack.pid');
const supervisorLog = join(dir, 'stack.log');
const say = (message: string) => console.log(`[stack] ${message}`);

function runningPid(): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function up(): Promise<void> {
  const pid = runningPid();
  if (pid !== undefined) {
    say(`already running (pid ${pid}); use it with: . ${relative(process.cwd(), envFile)}`);
    return;
  }
  // A stack is always started fresh: old etcd data or certificates would only confuse.
  await rm(dir, { recursive: true, force: true });
  await rm(envFile, { force: true });
  await mkdir(dir, { recursive: true });
  if (values.detach) return detach();
  await supervise();
}

/** Runs the stack in this process until SIGINT/SIGTERM. The run directory is already prepared. */
async function supervise(): Promise<void> {
  await writeFile(pidFile, String(process.pid));
  let stack: Stack;
  try {
    stack = await Stack.start({ runDir: dir, log: say });
  } catch (error: unknown) {
    console.error(error instanceof Error ? error.message : String(error));
    await rm(pidFile, { force: true });
    process.exit(1);
  }
  await writeFile(envFile, stack.envScript());
  say(`ready; in another terminal: . ${relative(process.cwd(), envFile)}`);
  await new Promise<void>((resolveStop) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolveStop());
  });
  say('stopping');
  await stack.stop();
  await rm(envFile, { force: true });
  await rm(pidFile, { force: true });
  say('stopped');
}

/** Starts the foreground supervisor in the background and waits until it is ready or fails. */
async function detach(): Promise<void> {
  const out = openSync(supervisorLog, 'a');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? '', 'supervise', '--dir', dir, '--env-out', envFile], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const state = { exited: false };
  child.once('exit', () => (state.exited = true));
  child.unref();
  for (;;) {
    if (existsSync(envFile)) {
      say(`ready (pid ${child.pid}); use it with: . ${relative(process.cwd(), envFile)}; stop it with: make env-down`);
      return;
    }
    if (state.exited) {
      console.error(readFileSync(supervisorLog, 'utf8').trimEnd());
      process.exit(1);
    }
    await sleep(250);
  }
}

async function down(): Promise<void> {
  const pid = runningPid();
  if (pid === undefined) {
    say('not running');
    await rm(envFile, { force: true });
    return;
  }
  process.kill(pid, 'SIGTERM');
  // The supervisor stops every component (each with its own grace period) before it exits.
  for (let waited = 0; waited < 60_000; waited += 200) {
    if (runningPid() === undefined) {
      say('stopped');
      return;
    }
    await sleep(200);
  }
  console.error(`[stack] supervisor ${pid} did not stop within 60s; killing it (its components stop with it)`);
  process.kill(pid, 'SIGKILL');
  await rm(envFile, { force: true });
}

// Component handles are unref'd and some clients' timers are too: hold the event loop open until
// the command is done, or Node would exit mid-way through start-up.
const keepAlive = setInterval(() => undefined, 60_000);
switch (positionals[0]) {
  case 'up':
    await up();
    break;
  case 'down':
    await down();
    break;
  case 'supervise': // internal: the background half of `up --detach`
    await supervise();
    break;
  default:
    console.error('usage: stack up [--detach] [--dir DIR] [--env-out FILE] | stack down [--dir DIR]');
    process.exit(2);
}
clearInterval(keepAlive);

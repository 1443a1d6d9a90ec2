// `make dev`: the main job, locally. Starts the local stack, installs the CRD, runs the operator
// against it, applies the minimal sample Gaim and shows it reaching Synced, in the CR and in
// Firestore. As in a cluster, the operator generates the Gaim's credentials, its MongoDB and Redis
// pods (each a store of its own in the stack) initialise from them, and the seed Job runs as the
// storage uid on a root-owned share. Any other Gaim applied meanwhile does the same. Ctrl-C stops it all.
import '../src/node-version.js';
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { parse } from 'yaml';
import { KubeClient } from '../src/kube/client.js';
import { isConflict } from '../src/kube/errors.js';
import type { KubeObject } from '../src/kube/objects.js';
import { Resources } from '../src/kube/resources.js';
import { operatorEnvFor, repoRoot, Stack } from '../stack/stack.js';

const run = promisify(execFile);
const say = (message: string) => console.log(`[dev] ${message}`);
const runDir = join(repoRoot, '.run', 'dev');
const envFile = join(repoRoot, '.run', 'env.sh');
const NAMESPACE = 'marvin';
const keepAlive = setInterval(() => undefined, 60_000);

await rm(runDir, { recursive: true, force: true });
say('starting the local stack (Kubernetes, FerretDB, Redis, Firestore emulator)');
const stack = await Stack.start({ runDir, log: (m) => { say(m); } }).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
await writeFile(envFile, stack.envScript());
const env = stack.env;
const kubectl = (...args: string[]) => run(join(repoRoot, 'bin', 'kubectl'), args, { env: { ...process.env, KUBECONFIG: env.KUBECONFIG } });

let operator: ReturnType<typeof spawn> | undefined;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say('stopping the operator and the stack');
  operator?.kill('SIGTERM');
  await sleep(2000);
  await stack.stop();
  await rm(envFile, { force: true });
  clearInterval(keepAlive);
  say('stopped');
  process.exit(code);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void shutdown(0); });

try {
  say('installing the Gaim CRD');
  await kubectl('apply', '--server-side', '-f', join(repoRoot, 'crds'));
  const client = await KubeClient.create(stack.kubeConfig(), { userAgent: 'gaim-dev' });
  for (const ns of ['gaim-system', NAMESPACE]) {
    await client.create(Resources.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).catch((e: unknown) => { if (!isConflict(e)) throw e; });
  }

  const logFile = join(runDir, 'operator.log');
  const out = openSync(logFile, 'a');
  say(`starting the operator (JSON logs: ${relative(process.cwd(), logFile)})`);
  operator = spawn(join(repoRoot, 'bin', 'node'), ['--import', 'tsx', join(repoRoot, 'src', 'main.ts'), 'run'], {
    cwd: repoRoot,
    stdio: ['ignore', out, out],
    env: {
      PATH: process.env['PATH'], HOME: process.env['HOME'],
      ...operatorEnvFor(env),
      POD_NAMESPACE: 'gaim-system',
      GAIM_BIND_ADDRESS: '127.0.0.1',
      GAIM_HEALTH_PORT: '18081',
      GAIM_METRICS_PORT: '18080',
      GAIM_CLUSTER_NAME: 'local-dev',
    },
  });
  closeSync(out);
  operator.once('exit', (code) => {
    if (!stopping) {
      console.error(`[dev] the operator exited (${String(code)}); see ${logFile}`);
      void shutdown(1);
    }
  });

  say(`applying config/samples/minimal.yaml in namespace ${NAMESPACE}`);
  await kubectl('apply', '-n', NAMESPACE, '-f', join(repoRoot, 'config', 'samples', 'minimal.yaml'));

  const sample = parse(await (await import('node:fs/promises')).readFile(join(repoRoot, 'config', 'samples', 'minimal.yaml'), 'utf8')) as { spec: { gaimId: string } };
  let last = '';
  for (;;) {
    const gaim = await client.get<KubeObject & { status?: { syncStatus?: string; message?: string } }>(Resources.gaim, 'marvin', NAMESPACE);
    const line = `${gaim.status?.syncStatus ?? 'Pending'}: ${gaim.status?.message ?? 'waiting for the operator'}`;
    if (line !== last) say(`Gaim marvin: ${line}`);
    last = line;
    if (gaim.status?.syncStatus === 'Synced') break;
    await sleep(1000);
  }
  console.log((await kubectl('get', 'gaims', '-A')).stdout);
  process.env['METADATA_SERVER_DETECTION'] = 'none';
  const firestore = new Firestore({ projectId: env.GOOGLE_CLOUD_PROJECT, host: env.FIRESTORE_EMULATOR_HOST, ssl: false });
  const doc = (await firestore.doc(`gaims/${sample.spec.gaimId}`).get()).data();
  console.log(`Firestore gaims/${sample.spec.gaimId}:\n${JSON.stringify(doc, (_k, v: unknown) => (v instanceof Object && 'toDate' in v ? (v as { toDate(): Date }).toDate().toISOString() : v), 2)}`);
  await firestore.terminate();
  await client.close();
  say(`Synced. The stack and the operator keep running: in another terminal, . ${relative(process.cwd(), envFile)} and use kubectl. Ctrl-C stops everything.`);
  if (process.env['DEV_EXIT_WHEN_SYNCED'] === '1') await shutdown(0);
} catch (error: unknown) {
  console.error(`[dev] ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}

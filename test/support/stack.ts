import { randomBytes, randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject, type RunnerTestCase, TestRunner } from 'vitest';
import type { TestStack } from './global-setup.js';
import type { StackEnv } from '../../stack/stack.js';

/**
 * This file's stack: the global setup starts one per worker, and vitest numbers the workers that run
 * at once from 1 (VITEST_POOL_ID), so two files running side by side never share a stack.
 */
export function testStack(): TestStack {
  const stacks = inject('stacks');
  const pool = Number(process.env['VITEST_POOL_ID'] ?? '1');
  const stack = stacks[(Math.max(pool, 1) - 1) % stacks.length];
  if (stack === undefined) throw new Error('no local stack was provided: run the integration project, whose global setup starts it');
  return stack;
}

/** The running stack's addresses, provided by the integration project's global setup. */
export function stackEnv(): StackEnv {
  return testStack().env;
}

export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(stackEnv().KUBECONFIG);
  return kc;
}

/** Stops, starts or restarts a component of the stack (fault tests), through the stack's control API. */
export async function stackComponent(name: string, action: 'stop' | 'start' | 'restart' | 'pause' | 'resume'): Promise<void> {
  const response = await fetch(`${testStack().control}/components/${name}/${action}`, { method: 'POST' });
  if (!response.ok) throw new Error(`cannot ${action} ${name}: ${await response.text()}`);
}

/** Compacts etcd to its current revision, so older resourceVersions answer 410 Gone. */
export async function compactEtcd(): Promise<void> {
  const response = await fetch(`${testStack().control}/etcd/compact`, { method: 'POST' });
  if (!response.ok) throw new Error(`cannot compact etcd: ${await response.text()}`);
}

/** A Firestore client for the stack's emulator (no credentials, as with FIRESTORE_EMULATOR_HOST). */
export function emulatorFirestore(): Firestore {
  const env = stackEnv();
  process.env['METADATA_SERVER_DETECTION'] ??= 'none'; // no probing for a GCE metadata server
  return new Firestore({ projectId: env.GOOGLE_CLOUD_PROJECT, host: env.FIRESTORE_EMULATOR_HOST, ssl: false });
}

/** Namespaces made by this test file, not yet removed (see suite.ts). */
export const createdNamespaces = new Set<string>();

/**
 * A fresh namespace per test, so tests sharing one stack never see each other's objects, labelled
 * for Pod Security as a platform would label a tenant's namespace: `baseline` enforced (the default:
 * what the seed Job's share preparation needs), `restricted` warned of; or `restricted` enforced.
 */
export async function createNamespace(prefix: string, podSecurity: 'baseline' | 'restricted' = 'baseline', options: { exactName?: boolean } = {}): Promise<string> {
  const name = options.exactName === true ? prefix : `${prefix}-${randomBytes(3).toString('hex')}`;
  await adminKubeConfig().makeApiClient(CoreV1Api).createNamespace({
    body: {
      metadata: {
        name,
        labels: {
          'pod-security.kubernetes.io/enforce': podSecurity, 'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/warn-version': 'latest',
        },
      },
    },
  });
  createdNamespaces.add(name);
  return name;
}

/**
 * Cuts the operator off from every MongoDB or Redis of the stack, or those of one namespace (a
 * partition: their pods stay Ready, as their kubelet still reaches them): `cut` refuses its
 * connections, `silence` accepts them and never answers (a hung store); `heal` ends either.
 */
export async function partitionStores(kind: 'mongodb' | 'redis', action: 'cut' | 'silence' | 'heal', namespace?: string): Promise<void> {
  const query = namespace === undefined ? '' : `?namespace=${encodeURIComponent(namespace)}`;
  const response = await fetch(`${testStack().control}/stores/${kind}/${action}${query}`, { method: 'POST' });
  if (!response.ok) throw new Error(`cannot ${action} ${kind}: ${await response.text()}`);
}

/** Holds or releases a step of the resizes of a namespace's claims (the CSI resizer's, or the kubelet's file-system step). */
export async function holdResizes(step: 'controller' | 'node', action: 'hold' | 'release', namespace: string): Promise<void> {
  const response = await fetch(`${testStack().control}/resizes/${step}/${action}?namespace=${encodeURIComponent(namespace)}`, { method: 'POST' });
  if (!response.ok) throw new Error(`cannot ${action} ${step} resizes: ${await response.text()}`);
}

/** Holds or releases the provisioning of a namespace's claims (a slow CSI driver: they stay Pending). */
export async function holdProvisioning(action: 'hold' | 'release', namespace: string): Promise<void> {
  const response = await fetch(`${testStack().control}/provisioning/${action}?namespace=${encodeURIComponent(namespace)}`, { method: 'POST' });
  if (!response.ok) throw new Error(`cannot ${action} provisioning: ${await response.text()}`);
}

/** Holds or releases the snapshots of a namespace's claims (their CSI driver does not answer while held). */
export async function holdSnapshots(action: 'hold' | 'release', namespace: string): Promise<void> {
  const response = await fetch(`${testStack().control}/snapshots/${action}?namespace=${encodeURIComponent(namespace)}`, { method: 'POST' });
  if (!response.ok) throw new Error(`cannot ${action} snapshots: ${await response.text()}`);
}

/**
 * Waits for the run's one crowd slot (stack-control.ts: CrowdSlot) and returns the function that gives
 * it back. A test that starts a crowd of Gaims takes it first, so no two crowds run at once on any
 * stacks; the wait counts against the test's timeout, which allows for one other crowd before it.
 */
export async function takeCrowdSlot(): Promise<() => Promise<void>> {
  const holder = `${String(process.pid)}-${randomUUID()}`;
  const call = (verb: 'take' | 'give') => fetch(`${testStack().control}/crowd/${verb}?holder=${holder}`, { method: 'POST' });
  for (;;) {
    const response = await call('take');
    if (!response.ok) throw new Error(`cannot take the crowd slot: ${await response.text()}`);
    if (await response.text() === '1') break;
  }
  return async () => {
    const response = await call('give');
    if (!response.ok) throw new Error(`cannot give the crowd slot back: ${await response.text()}`);
  };
}

/**
 * Polls until `check` returns a value other than undefined, or fails naming what it waited for. A
 * wait never outlasts its test: it is cut to the time the test has left (less a margin), so a failure
 * shows this wait's own message and last error, not the runner's bare "Test timed out".
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const limit = Math.min(timeoutMs, testTimeLeftMs() - TEST_END_MARGIN_MS);
  const cut = limit < timeoutMs ? ` (cut from ${String(timeoutMs / 1000)}s to what its test had left: raise the test's timeout)` : '';
  const deadline = Date.now() + limit;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error: unknown) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${String(Math.max(0, Math.round(limit / 1000)))}s${cut} waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Left for a failed wait to report before the runner's timeout. */
const TEST_END_MARGIN_MS = 3000;

/** What the running test has left of its timeout; unbounded outside a test (hooks, the global setup). */
export function testTimeLeftMs(): number {
  const test = TestRunner.getCurrentTest<RunnerTestCase | undefined>();
  if (test === undefined || test.timeout <= 0) return Number.POSITIVE_INFINITY;
  return test.timeout - (Date.now() - (test.result?.startTime ?? Date.now()));
}

/** The HTTP status of a failed Kubernetes API call. */
export function apiStatus(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number'
    ? error.code
    : undefined;
}

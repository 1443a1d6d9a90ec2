// The shared setup of an integration test file: a Kubernetes client with the stack's admin
// credentials, a Firestore client for the stack's emulator, and the operators a test starts —
// stopped after each test, clients closed after the file.
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { Resources } from '../../src/kube/resources.js';
import { adminClient } from './gaims.js';
import type { OperatorProcess } from './operator-process.js';
import { startOperator } from './operator.js';
import { createdNamespaces, emulatorFirestore, takeCrowdSlot } from './stack.js';

export interface Suite {
  /** Admin client (cluster-admin: the test's own hands, never the operator's). */
  readonly client: KubeClient;
  readonly firestore: Firestore;
  /**
   * Starts the real operator, as in a cluster (startOperator): watching every namespace unless
   * `namespaces` names some; stopped after the test.
   */
  operator(namespaces?: string | readonly string[], env?: Record<string, string>): Promise<OperatorProcess>;
  /**
   * Waits for the run's crowd slot (takeCrowdSlot), held until the test ends: a test that starts a
   * crowd of Gaims calls it first.
   */
  crowd(): Promise<void>;
  /** Registers a process started another way, to be stopped after the test. */
  track(operator: OperatorProcess): OperatorProcess;
}

export function useSuite(): Suite {
  let client: KubeClient | undefined;
  let firestore: Firestore | undefined;
  const running: OperatorProcess[] = [];
  let giveCrowdSlot: (() => Promise<void>) | undefined;
  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is used before the suite's beforeAll ran`);
    return value;
  };

  // Namespaces made before a test (in beforeAll) stay for the file; those a test makes go after it,
  // with everything in them (their store processes too), so the next test's operator, which
  // watches every namespace, does not work on them.
  let fileNamespaces = new Set<string>();
  beforeAll(async () => {
    client = await adminClient();
    firestore = emulatorFirestore();
  });
  beforeEach(() => { fileNamespaces = new Set([...fileNamespaces, ...createdNamespaces]); });
  afterEach(async () => {
    try {
      await Promise.all(running.splice(0).map((p) => p.stop()));
      if (client !== undefined) await removeNamespaces(client, [...createdNamespaces].filter((ns) => !fileNamespaces.has(ns)));
    } finally {
      // Given back once the crowd's operator is stopped and its namespaces are on their way out.
      const give = giveCrowdSlot;
      giveCrowdSlot = undefined;
      await give?.();
    }
  });
  afterAll(async () => {
    if (client !== undefined) await removeNamespaces(client, [...createdNamespaces]);
    await client?.close();
    await firestore?.terminate();
  });

  const suite: Suite = {
    get client() { return required(client, 'the admin client'); },
    get firestore() { return required(firestore, 'the Firestore client'); },
    async operator(namespaces = '', env = {}) {
      return suite.track(await startOperator(typeof namespaces === 'string' ? namespaces : namespaces.join(','), env));
    },
    async crowd() {
      giveCrowdSlot ??= await takeCrowdSlot();
    },
    track(operator) {
      running.push(operator);
      return operator;
    },
  };
  return suite;
}

/**
 * Deletes test namespaces. Their Gaims' finalizers are taken off first: no operator runs after a
 * test to finalize them, and a namespace whose Gaim waits for one would stay Terminating.
 */
async function removeNamespaces(client: KubeClient, namespaces: readonly string[]): Promise<void> {
  await Promise.all(namespaces.map(async (ns) => {
    createdNamespaces.delete(ns);
    const gaims = await client.list(Resources.gaim, { namespace: ns }).catch(() => ({ items: [] }));
    // Deleted here, not left to the namespace controller: it deletes a namespace's contents later, when
    // the next file's operator may already run and would put its finalizer back on a Gaim it sees
    // without one, then fail (and write status) against a namespace that refuses new objects.
    for (const gaim of gaims.items) {
      await client.mergePatch(Resources.gaim, gaim.metadata?.name ?? '', ns, { metadata: { finalizers: null } }).catch(() => undefined);
      await client.delete(Resources.gaim, gaim.metadata?.name ?? '', ns).catch(() => undefined);
    }
    await client.delete(Resources.namespace, ns).catch(() => undefined);
  }));
}

// The shared setup of an integration test file: a Kubernetes client with the stack's admin
// credentials, a Firestore client for the stack's emulator, and the operators a test starts —
// stopped after each test, clients closed after the file.
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import { adminClient } from './gaims.js';
import type { OperatorProcess } from './operator-process.js';
import { startOperator } from './operator.js';
import { emulatorFirestore } from './stack.js';

export interface Suite {
  /** Admin client (cluster-admin: the test's own hands, never the operator's). */
  readonly client: KubeClient;
  readonly firestore: Firestore;
  /** Starts the real operator watching `namespaces`; stopped after the test. */
  operator(namespaces: string | readonly string[], env?: Record<string, string>): Promise<OperatorProcess>;
  /** Registers a process started another way, to be stopped after the test. */
  track(operator: OperatorProcess): OperatorProcess;
}

export function useSuite(): Suite {
  let client: KubeClient | undefined;
  let firestore: Firestore | undefined;
  const running: OperatorProcess[] = [];
  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is used before the suite's beforeAll ran`);
    return value;
  };

  beforeAll(async () => {
    client = await adminClient();
    firestore = emulatorFirestore();
  });
  afterEach(async () => { await Promise.all(running.splice(0).map((p) => p.stop())); });
  afterAll(async () => {
    await client?.close();
    await firestore?.terminate();
  });

  const suite: Suite = {
    get client() { return required(client, 'the admin client'); },
    get firestore() { return required(firestore, 'the Firestore client'); },
    async operator(namespaces, env = {}) {
      return suite.track(await startOperator(typeof namespaces === 'string' ? namespaces : namespaces.join(','), env));
    },
    track(operator) {
      running.push(operator);
      return operator;
    },
  };
  return suite;
}

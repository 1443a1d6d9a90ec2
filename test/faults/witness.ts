// What a fault test leaves behind, gathered for the secret scan: every line the operators it ran
// printed, the events and Gaim statuses in its namespaces, and every credential those namespaces hold.
import { expect } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import type { OperatorProcess } from '../support/operator-process.js';
import { startOperator } from '../support/operator.js';
import { stackEnv } from '../support/stack.js';

interface Secret extends KubeObject {
  data?: Record<string, string>;
}

export interface Leak {
  readonly secret: string;
  readonly where: string;
}

/**
 * Collects what the operators and namespaces of one fault test file leave behind, for the secret
 * scan at the end of the file: after each test (before its namespaces are removed) it stops the
 * test's operators and gathers their output, and the events, statuses and credentials of its namespaces.
 */
export class Witness {
  readonly #running: OperatorProcess[] = [];
  readonly #namespaces = new Set<string>();
  readonly #secrets = new Set<string>();
  readonly #haystacks: Haystack[] = [];

  /** Starts the operator (watching `namespaces`, or every namespace when none are given). */
  async operator(namespaces: string[] = [], env: Record<string, string> = {}): Promise<OperatorProcess> {
    for (const ns of namespaces) this.#namespaces.add(ns);
    const started = await startOperator(namespaces.join(','), env);
    this.#running.push(started);
    return started;
  }

  namespace(ns: string): string {
    this.#namespaces.add(ns);
    return ns;
  }

  /** Stops the test's operators and gathers what they and its namespaces hold. */
  async stopAll(client: KubeClient): Promise<void> {
    const operators = this.#running.splice(0);
    await Promise.all(operators.map((p) => p.stop()));
    operators.forEach((operator) => {
      this.#haystacks.push({ where: `operator ${String(operator.pid)} output`, text: [...operator.records.map((r) => JSON.stringify(r)), ...operator.stderr].join('\n') });
    });
    await this.#gather(client);
  }

  /**
   * Every credential value seen, and every text to search: `generated` are those the Gaims' Secrets
   * hold (what the operator minted), `secrets` adds the stack's own passwords.
   */
  async collect(client: KubeClient): Promise<{ secrets: string[]; generated: string[]; haystacks: Haystack[] }> {
    await this.#gather(client);
    const generated = [...this.#secrets];
    const env = stackEnv();
    const stack = [env.MONGODB_URL, env.REDIS_URL].map((url) => decodeURIComponent(new URL(url).password));
    return { secrets: [...new Set([...generated, ...stack])], generated, haystacks: [...this.#haystacks] };
  }

  async #gather(client: KubeClient): Promise<void> {
    const secrets = this.#secrets;
    const haystacks = this.#haystacks;
    for (const ns of [...this.#namespaces]) {
      this.#namespaces.delete(ns);
      for (const secret of (await client.list<Secret>(Resources.secret, { namespace: ns })).items) {
        const keys = Object.keys(secret.data ?? {});
        for (const encoded of Object.values(secret.data ?? {})) {
          const value = Buffer.from(encoded, 'base64').toString('utf8');
          // Usernames and fixed test values are not secrets; generated and stack passwords are long and random.
          if (value.length >= 16 && !keys.includes(value)) secrets.add(value);
        }
      }
      const events = await client.list(Resources.event, { namespace: ns });
      haystacks.push({ where: `events in ${ns}`, text: JSON.stringify(events.items) });
      const gaims = await client.list(Resources.gaim, { namespace: ns });
      haystacks.push({ where: `Gaim statuses in ${ns}`, text: JSON.stringify(gaims.items.map((g) => (g as { status?: unknown }).status ?? null)) });
      haystacks.push({ where: `Gaim annotations in ${ns}`, text: JSON.stringify(gaims.items.map((g) => g.metadata?.annotations ?? null)) });
      for (const resource of [Resources.statefulSet, Resources.job, Resources.configMap]) {
        // What the operator writes into objects (commands, args, probes, annotations): never a credential.
        const objects = await client.list(resource, { namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=gaim-operator' });
        haystacks.push({ where: `${resource.plural} in ${ns}`, text: JSON.stringify(objects.items) });
      }
    }
  }
}

export interface Haystack {
  readonly where: string;
  readonly text: string;
}

/** Where any secret appears, verbatim or base64-encoded (only a hint of the value is reported). */
export function findLeaks(secrets: readonly string[], haystacks: readonly Haystack[]): Leak[] {
  const leaks: Leak[] = [];
  for (const secret of secrets) {
    const forms = [secret, Buffer.from(secret).toString('base64')];
    for (const { where, text } of haystacks) {
      if (forms.some((form) => text.includes(form))) leaks.push({ secret: `${secret.slice(0, 3)}…(${String(secret.length)} chars)`, where });
    }
  }
  return leaks;
}

/**
 * The scan every fault file ends with. It must have Gaims' own generated credentials to look for (not
 * only the stack's passwords), and a generated one planted in a real haystack, verbatim and base64 as
 * a log line or an event would carry it, must be found there first: the scan would see a leak.
 */
export async function expectNoLeaks(client: KubeClient, witness: Witness): Promise<void> {
  const { secrets, generated, haystacks } = await witness.collect(client);
  expect(generated.length, 'credentials the operator generated for the Gaims under test').toBeGreaterThanOrEqual(2);
  const planted = generated[0] ?? '';
  const [hay] = haystacks;
  expect(hay).toBeDefined();
  const plantedIn = (text: string) => [{ where: hay?.where ?? '', text: `${hay?.text ?? ''}\n${text}` }];
  expect(findLeaks(secrets, plantedIn(`{"msg":"connect","url":"mongodb://app:${planted}@db"}`)).map((l) => l.where)).toEqual([hay?.where]);
  expect(findLeaks(secrets, plantedIn(`{"data":{"password":"${Buffer.from(planted).toString('base64')}"}}`)).map((l) => l.where)).toEqual([hay?.where]);
  expect(haystacks.reduce((n, h) => n + h.text.length, 0)).toBeGreaterThan(10_000);
  expect(findLeaks(secrets, haystacks)).toEqual([]);
}

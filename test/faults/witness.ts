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

/** Collects the operators and namespaces of one fault test file, and stops the operators after each test. */
export class Witness {
  readonly #operators: OperatorProcess[] = [];
  readonly #running: OperatorProcess[] = [];
  readonly #namespaces = new Set<string>();

  async operator(namespaces: string[], env: Record<string, string> = {}): Promise<OperatorProcess> {
    for (const ns of namespaces) this.#namespaces.add(ns);
    const started = await startOperator(namespaces.join(','), env);
    this.#operators.push(started);
    this.#running.push(started);
    return started;
  }

  namespace(ns: string): string {
    this.#namespaces.add(ns);
    return ns;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#running.splice(0).map((p) => p.stop()));
  }

  /** Every credential value in the watched namespaces (and the stack's own passwords), and every text to search. */
  async collect(client: KubeClient): Promise<{ secrets: string[]; haystacks: Haystack[] }> {
    const secrets = new Set<string>();
    const env = stackEnv();
    for (const url of [env.MONGODB_URL, env.REDIS_URL]) secrets.add(decodeURIComponent(new URL(url).password));
    const haystacks: Haystack[] = [];
    for (const ns of this.#namespaces) {
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
    }
    this.#operators.forEach((operator, i) => {
      haystacks.push({ where: `operator ${String(i)} output`, text: [...operator.records.map((r) => JSON.stringify(r)), ...operator.stderr].join('\n') });
    });
    return { secrets: [...secrets], haystacks };
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

/** The scan every fault file ends with; a planted leak first proves it would see one. */
export async function expectNoLeaks(client: KubeClient, witness: Witness): Promise<void> {
  const { secrets, haystacks } = await witness.collect(client);
  expect(secrets.length).toBeGreaterThanOrEqual(1);
  const planted = secrets[secrets.length - 1] ?? '';
  expect(findLeaks(secrets, [{ where: 'planted', text: `{"msg":"connect","url":"mongodb://root:${planted}@db"}` }])).toHaveLength(1);
  expect(haystacks.reduce((n, h) => n + h.text.length, 0)).toBeGreaterThan(10_000);
  expect(findLeaks(secrets, haystacks)).toEqual([]);
}

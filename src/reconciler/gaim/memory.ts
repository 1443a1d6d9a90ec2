// Everything the Gaim reconciler remembers between reconciles, in one place with one forget(key):
// a deleted Gaim leaves nothing behind (at 1,000 Gaims, a map forgotten by hand in one place but not
// another is a leak), and a reader sees at a glance what state survives a reconcile. Each part stays
// its own small class with its own job; this only holds them and forgets a Gaim in all of them.
import type { Caches } from '../../controller/caches.js';
import type { Metrics } from '../../observability/metrics.js';
import { objectNames } from '../../resources/meta.js';
import { SeedSlots } from '../stores/seed-slots.js';
import { StatusExpectations } from './expectations.js';
import { Recreations } from './recreate.js';
import { RolloutSlots } from './rollouts.js';
import { StartupWatch } from './startup.js';
import type { FirestoreWriteBack } from './write-back.js';

export interface GaimMemoryDeps {
  readonly caches: Caches;
  readonly writeBack: FirestoreWriteBack;
  readonly maxConcurrentRollouts: number;
  readonly maxConcurrentSeeds: number;
  readonly metrics: Pick<Metrics, 'backupLastSuccess' | 'backedUp' | 'hibernated'>;
}

export class GaimMemory {
  /** What was last written to Firestore per Gaim, and its failures in a row. */
  readonly writeBack: FirestoreWriteBack;
  /** Status writes whose echo the cache has not shown yet. */
  readonly expectations = new StatusExpectations();
  /** StatefulSets whose template change holds a rollout slot (shared by all Gaims; keyed by StatefulSet). */
  readonly rollouts: RolloutSlots;
  /** Seed Jobs running and Gaims in line for one. */
  readonly seedSlots: SeedSlots;
  /** Pod templates of StatefulSets deleted to be recreated with a new immutable field. */
  readonly recreations = new Recreations();
  /** Since when each store has not been ready on its current revision. */
  readonly startup = new StartupWatch();
  readonly #retained = new Map<string, Set<string>>();

  constructor(private readonly deps: GaimMemoryDeps) {
    this.writeBack = deps.writeBack;
    this.rollouts = new RolloutSlots(deps.maxConcurrentRollouts, deps.caches);
    this.seedSlots = new SeedSlots(deps.maxConcurrentSeeds, deps.caches);
  }

  /** The Gaim's volumes set to Retain whose change the (label-selected) volume cache has not shown yet. */
  retained(key: string): Set<string> {
    const known = this.#retained.get(key);
    if (known !== undefined) return known;
    const created = new Set<string>();
    this.#retained.set(key, created);
    return created;
  }

  /** The Gaim (`namespace/name`) is gone: forget it everywhere, its metric series included. */
  forget(key: string): void {
    const [namespace = '', gaim = ''] = key.split('/');
    this.writeBack.forget(key);
    this.expectations.forget(key);
    this.seedSlots.forget(key);
    // Its own StatefulSets only: a refused sibling's deletion must not touch the namespace owner's.
    const names = objectNames({ metadata: { name: gaim, namespace } });
    const statefulSets = [`${namespace}/${names.mongodb}`, `${namespace}/${names.redis}`];
    this.rollouts.forget(statefulSets);
    this.recreations.forget(statefulSets);
    this.startup.forget(statefulSets);
    this.#retained.delete(key);
    this.deps.metrics.backupLastSuccess.remove({ namespace, gaim });
    this.deps.metrics.backedUp.remove({ namespace, gaim });
    this.deps.metrics.hibernated.remove({ namespace, gaim });
  }

  /** How many Gaims or StatefulSets each part remembers (what the memory test checks forget by). */
  sizes(): Readonly<Record<string, number>> {
    return {
      writeBack: this.writeBack.size, expectations: this.expectations.size, rollouts: this.rollouts.size, seedSlots: this.seedSlots.size,
      recreations: this.recreations.size, startup: this.startup.size, retained: this.#retained.size,
    };
  }
}

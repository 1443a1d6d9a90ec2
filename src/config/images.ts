// The store images a Gaim gets when its spec names none: pinned by version and digest, here and
// nowhere else (the settings GAIM_MONGODB_IMAGE and GAIM_REDIS_IMAGE default to these; the chart's
// values repeat them, checked by a unit test). A new operator version that changes them rolls every
// tenant's stores, gradually (GAIM_MAX_CONCURRENT_ROLLOUTS).

export interface StoreImages {
  readonly mongodb: string;
  readonly redis: string;
}

export const PINNED_IMAGES: StoreImages = {
  mongodb: 'mongo:7.0.41@sha256:b096b4cb9269f3ebcf363be63f1c50920f786879d03a1890347a3bf33f1f0df0',
  redis: 'redis:7.2.16@sha256:cbbf906f1c3abe4959f4c2bed45706eae7f89802a8a9fe105f252032f4eb864a',
};


/** The shortest startup budget of a store pod, in seconds, when the settings name none. */
export const DEFAULT_STARTUP_BASE_SECONDS = 300;

/** The operator's own pods, as the chart labels them: the only pods of its namespace a store admits. */
export const DEFAULT_OPERATOR_POD_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'gaim-operator' };

/** What the operator's settings decide of a store's objects: its default image, its startup budget, the operator's pods it admits. */
export interface StoreForm {
  readonly images: StoreImages;
  readonly startupBaseSeconds: number;
  readonly operatorPods: Readonly<Record<string, string>>;
}

export const DEFAULT_STORE_FORM: StoreForm = { images: PINNED_IMAGES, startupBaseSeconds: DEFAULT_STARTUP_BASE_SECONDS, operatorPods: DEFAULT_OPERATOR_POD_LABELS };

/** The repositories a store's image may come from unless the settings say otherwise: the pinned defaults'. */
export const DEFAULT_STORE_REPOSITORIES = ['mongo', 'docker.io/library/mongo', 'redis', 'docker.io/library/redis'] as const;

/**
 * Whether an image comes from one of the repositories: the repository itself, then a tag or a digest
 * (the admission policy's statefulset-image rule reads it the same way).
 */
export function fromRepositories(image: string, repositories: readonly string[]): boolean {
  return repositories.some((r) => image === r || image.startsWith(`${r}:`) || image.startsWith(`${r}@`));
}

// Which image a store runs: the spec's, or the operator's pinned default (config/images.ts).
import type { StoreImages } from '../config/images.js';

/**
 * What earlier versions of the CRD wrote into every Gaim as a default. The API server stored them in
 * each Gaim, so they read as if a person chose them; they are taken as "no choice" and follow the
 * operator's pinned default (the same major and minor version).
 */
const LEGACY_DEFAULTS: StoreImages = { mongodb: 'mongo:7.0', redis: 'redis:7.2' };

/** The image a store runs: the spec's, unless it names none (or only a legacy default). */
export function storeImage(store: keyof StoreImages, specImage: string | undefined, defaults: StoreImages): string {
  return specImage === undefined || specImage === LEGACY_DEFAULTS[store] ? defaults[store] : specImage;
}

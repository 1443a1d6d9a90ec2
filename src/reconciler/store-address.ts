import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { Settings } from '../config/settings.js';
import { serviceHost } from '../resources/connections.js';
import { objectNames } from '../resources/meta.js';
import { MONGODB_PORT } from '../resources/mongodb.js';
import { REDIS_PORT } from '../resources/redis.js';

/**
 * host:port where the operator reaches a Gaim's store: its Service in the cluster, or — run out of
 * cluster against shared local servers — the address override of the settings.
 */
export function storeAddress(gaim: Gaim, store: 'mongodb' | 'redis', overrides: Settings['overrides']): string {
  const names = objectNames(gaim);
  return store === 'mongodb'
    ? overrides.mongodb ?? `${serviceHost(gaim, names.mongodb)}:${MONGODB_PORT}`
    : overrides.redis ?? `${serviceHost(gaim, names.redis)}:${REDIS_PORT}`;
}

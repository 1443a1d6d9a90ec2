import { z } from 'zod';
import type { Tier } from '../api/v1alpha1/gaim.js';

/** What a tier gives one store: CPU and memory requests (memory is also the limit) and volume size. */
export interface StoreSize {
  readonly cpu: string;
  readonly memory: string;
  readonly storage: string;
}

export type StoreApp = 'mongodb' | 'redis';
export type TierSizes = Readonly<Record<StoreApp, StoreSize>>;

/**
 * Built-in sizes, used when the app registry has no document for an app (or no entry for a tier).
 * Quantities are in the form the API server keeps, so comparing desired and observed objects works.
 */
export const BUILT_IN_TIERS: Readonly<Record<Tier, TierSizes>> = {
  // MongoDB needs 1 GiB at the least: WiredTiger's cache alone takes 0.25 GB, and mongod more besides.
  small: { mongodb: { cpu: '250m', memory: '1Gi', storage: '10Gi' }, redis: { cpu: '100m', memory: '256Mi', storage: '2Gi' } },
  medium: { mongodb: { cpu: '500m', memory: '2Gi', storage: '50Gi' }, redis: { cpu: '250m', memory: '1Gi', storage: '8Gi' } },
  large: { mongodb: { cpu: '1', memory: '8Gi', storage: '200Gi' }, redis: { cpu: '500m', memory: '4Gi', storage: '32Gi' } },
};

const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, { message: 'expected a Kubernetes quantity such as 500m, 1Gi' });

/** One tier's entry in a registry document's tier_defaults. */
export const RegistryTierSchema = z.object({ cpu: quantity, memory: quantity, storage: quantity });

/**
 * An app registry document, tenant_manager/config/apps/{app}. Only the fields the operator uses
 * are checked; others are the platform's and are left alone.
 */
export const AppRegistrySchema = z.looseObject({
  is_stateful: z.boolean().optional(),
  is_required: z.boolean().optional(),
  has_secrets: z.boolean().optional(),
  volume_field: z.string().optional(),
  tier_defaults: z.object({ small: RegistryTierSchema.optional(), medium: RegistryTierSchema.optional(), large: RegistryTierSchema.optional() }).optional(),
});
export type AppRegistryEntry = z.output<typeof AppRegistrySchema>;

/** A tier's sizes from registry entries (absent entries fall back to the built-in sizes). */
export function tierSizes(tier: Tier, registry: Partial<Record<StoreApp, AppRegistryEntry>>): TierSizes {
  const pick = (app: StoreApp): StoreSize => registry[app]?.tier_defaults?.[tier] ?? BUILT_IN_TIERS[tier][app];
  return { mongodb: pick('mongodb'), redis: pick('redis') };
}

/** What a running store's StatefulSet asks for: its container's requests and its claim template's size. */
export type RunningSizes = Partial<Record<StoreApp, { readonly cpu?: string | undefined; readonly memory?: string | undefined; readonly storage?: string | undefined }>>;

/**
 * Sizes when the registry's are unknown (Firestore unreachable before its first read): a running
 * store keeps exactly what it has, so nothing restarts; a store not made yet gets the built-in size.
 */
export function keepRunning(builtIn: TierSizes, running: RunningSizes): TierSizes {
  const pick = (app: StoreApp): StoreSize => {
    const now = running[app];
    return now?.cpu === undefined || now.memory === undefined ? builtIn[app]
      : { cpu: now.cpu, memory: now.memory, storage: now.storage ?? builtIn[app].storage };
  };
  return { mongodb: pick('mongodb'), redis: pick('redis') };
}

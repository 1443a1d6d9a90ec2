import type { Firestore } from '@google-cloud/firestore';
import type { Environment, GaimSpec } from '../api/v1alpha1/gaim.js';
import { firestorePaths } from '../datamodel.js';
import { Message } from '../messages.js';
import { withDeadline } from './deadline.js';
import { classifyFirestoreError, isAlreadyExists } from './errors.js';

type Section = Record<string, unknown>;

/**
 * The configuration a GAIM starts with when its spec says nothing: the data model's example, with
 * optional features off. spec.config sections are merged over it key by key.
 */
export const DEFAULT_CONFIG: Readonly<Record<'settings' | 'system' | 'prompts' | 'fe', Section>> = {
  settings: {
    llm_clients: { vertex_ai: { enabled: true }, claude: { enabled: false }, openai: { enabled: false } },
    tools: { knowledge: { enabled: true, reindex: 'auto' }, image_generator: { enabled: false } },
  },
  system: { lineage: { enabled: true }, ingress: { rate_limit: 100 } },
  prompts: { persona: 'You are a helpful AI assistant.' },
  fe: { theme: 'light', features: { voice_input: false } },
};

function merge(base: Section, over: Section | undefined): Section {
  if (over === undefined) return base;
  const out: Section = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value;
  }
  return out;
}

const isPlainObject = (v: unknown): v is Section => typeof v === 'object' && v !== null && !Array.isArray(v);

export function initialConfig(config: GaimSpec['config']): Record<string, Section> {
  return {
    settings: merge(DEFAULT_CONFIG.settings, config?.settings),
    system: merge(DEFAULT_CONFIG.system, config?.system),
    prompts: merge(DEFAULT_CONFIG.prompts, config?.prompts),
    fe: merge(DEFAULT_CONFIG.fe, config?.fe),
  };
}

/**
 * Creates gaims/{gaimId}/env/{env}/config/current for each environment that has none. `create`
 * fails on an existing document, so a document someone edited is never modified, even by a race.
 */
export async function seedFirestoreConfig(firestore: Firestore, gaimId: string, environments: readonly Environment[], config: GaimSpec['config'], signal?: AbortSignal): Promise<{ created: string[] }> {
  const created: string[] = [];
  const data = initialConfig(config);
  try {
    for (const env of environments) {
      const path = firestorePaths.config(gaimId, env);
      try {
        await withDeadline(firestore.doc(path).create(data), `create ${path}`, signal);
        created.push(path);
      } catch (error: unknown) {
        if (!isAlreadyExists(error)) throw error; // someone's document: never touched
      }
    }
  } catch (error: unknown) {
    throw classifyFirestoreError(error, Message.seedFirestoreConfig, signal);
  }
  return { created };
}

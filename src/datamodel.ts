// Names from the platform's data model (shared/reference/data-stores.md), to the letter. Every
// store name the operator creates or hands to applications comes from here.
import type { Environment } from './api/v1alpha1/gaim.js';

/** MongoDB database of an environment: lco-gaim-stage, lco-gaim-prod; `local` follows the same rule. */
export const databaseName = (env: Environment): string => `lco-gaim-${env}`;

export const MONGO_COLLECTIONS = { contentSessions: 'content_sessions', notifications: 'notifications' } as const;

/** Redis names: `local` has no suffix (gaim:tasks, gaim:workers), the others end in :{env}. */
const suffix = (env: Environment) => (env === 'local' ? '' : `:${env}`);
export const taskStream = (env: Environment): string => `gaim:tasks${suffix(env)}`;
export const consumerGroup = (env: Environment): string => `gaim:workers${suffix(env)}`;
export const deadLetterStream = (env: Environment): string => `${taskStream(env)}:dlq`;

/** Where the LanceDB claim is mounted in every pod that uses it. */
export const LANCEDB_MOUNT_PATH = '/data';

/** LanceDB layout of an environment, relative to the mount root. */
export function lancePaths(env: Environment, root = LANCEDB_MOUNT_PATH) {
  return {
    root: `${root}/${env}`,
    toolSelector: `${root}/${env}/tool_selector/tools.lance`,
    knowledgeText: `${root}/${env}/knowledge/knowledge_text.lance`,
    knowledgeImage: `${root}/${env}/knowledge/knowledge_image.lance`,
    knowledgeVideo: `${root}/${env}/knowledge/knowledge_video.lance`,
    knowledgeAudio: `${root}/${env}/knowledge/knowledge_audio.lance`,
    metadata: `${root}/${env}/knowledge/metadata`,
  } as const;
}

/** Embedding sizes fixed by the data model. */
export const EMBEDDING_DIMENSIONS = { text: 3072, toolSelector: 3072, image: 1408 } as const;

/** Firestore paths. */
export const firestorePaths = {
  gaim: (gaimId: string) => `gaims/${gaimId}`,
  config: (gaimId: string, env: Environment) => `gaims/${gaimId}/env/${env}/config/current`,
  app: (appName: string) => `tenant_manager/config/apps/${appName}`,
} as const;

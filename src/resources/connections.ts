import type { Gaim, GaimStatus } from '../api/v1alpha1/gaim.js';
import { consumerGroup, databaseName, deadLetterStream, LANCEDB_MOUNT_PATH, lancePaths, taskStream } from '../datamodel.js';
import type { KubeObject } from '../kube/objects.js';
import { MONGODB_PORT, MongoSecretKeys } from './mongodb.js';
import { objectNames, ownedMeta } from './meta.js';
import { REDIS_PORT, RedisSecretKeys } from './redis.js';

/** In-cluster DNS name of a Service in the Gaim's namespace. */
export const serviceHost = (gaim: Gaim, service: string): string => `${service}.${gaim.metadata.namespace}.svc.cluster.local`;

/** Where the GAIM's applications reach its stores (status.endpoints): a pure function of the spec. */
export function endpointsOf(gaim: Gaim): NonNullable<GaimStatus['endpoints']> {
  const names = objectNames(gaim);
  return {
    ...(gaim.spec.mongodb.enabled ? { mongodb: `${serviceHost(gaim, names.mongodb)}:${MONGODB_PORT}` } : {}),
    ...(gaim.spec.redis.enabled ? { redis: `${serviceHost(gaim, names.redis)}:${REDIS_PORT}` } : {}),
    lancedbClaim: names.lancedbClaim,
  };
}

/**
 * The ConfigMap the GAIM's applications read: per environment, where MongoDB, Redis and the LanceDB
 * tables are, and which Secrets hold the credentials (never the credentials themselves).
 */
export function connectionsConfigMap(gaim: Gaim): KubeObject {
  const names = objectNames(gaim);
  const data: Record<string, string> = {
    'environments': gaim.spec.environments.join(','),
    'lancedb.claimName': names.lancedbClaim,
    'lancedb.mountPath': LANCEDB_MOUNT_PATH,
  };
  if (gaim.spec.mongodb.enabled) {
    Object.assign(data, {
      'mongodb.host': `${serviceHost(gaim, names.mongodb)}:${MONGODB_PORT}`,
      // The app user lives in admin (it has roles on every environment's database).
      'mongodb.authSource': 'admin',
      'mongodb.secretName': names.mongodbSecret,
      'mongodb.usernameKey': MongoSecretKeys.appUsername,
      'mongodb.passwordKey': MongoSecretKeys.appPassword,
    });
  }
  if (gaim.spec.redis.enabled) {
    Object.assign(data, {
      'redis.host': `${serviceHost(gaim, names.redis)}:${REDIS_PORT}`,
      'redis.secretName': names.redisSecret,
      'redis.passwordKey': RedisSecretKeys.password,
    });
  }
  for (const env of gaim.spec.environments) {
    const paths = lancePaths(env);
    if (gaim.spec.mongodb.enabled) {
      data[`${env}.mongodb.database`] = databaseName(env);
      // Connectable as it is: the username and password go in the driver's auth options, from the Secret.
      data[`${env}.mongodb.uri`] = `mongodb://${serviceHost(gaim, names.mongodb)}:${MONGODB_PORT}/${databaseName(env)}?authSource=admin`;
    }
    if (gaim.spec.redis.enabled) {
      data[`${env}.redis.taskStream`] = taskStream(env);
      data[`${env}.redis.consumerGroup`] = consumerGroup(env);
      data[`${env}.redis.deadLetterStream`] = deadLetterStream(env);
    }
    data[`${env}.lancedb.root`] = paths.root;
    data[`${env}.lancedb.toolSelector`] = paths.toolSelector;
    data[`${env}.lancedb.knowledgeText`] = paths.knowledgeText;
    data[`${env}.lancedb.knowledgeImage`] = paths.knowledgeImage;
    data[`${env}.lancedb.knowledgeVideo`] = paths.knowledgeVideo;
    data[`${env}.lancedb.knowledgeAudio`] = paths.knowledgeAudio;
    data[`${env}.lancedb.metadata`] = paths.metadata;
  }
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: ownedMeta(gaim, names.connections, 'connections'), data };
}

// A Kubernetes client for unit tests of the reconcile's steps: it answers reads (get, list) from a map of
// objects (404 otherwise) and records every write, in order, as `verb Kind name` with its body, so a
// test can say exactly what a step changed and in which order. No API server: logic only.
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import type { KubeObject } from '../kube/objects.js';
import type { Resource } from '../kube/resources.js';

export interface Write {
  readonly verb: 'apply' | 'create' | 'patch' | 'delete';
  readonly target: string;
  readonly body?: unknown;
}

/** A write the test makes the API server refuse: return the error to answer with, or undefined to accept. */
export type Refuse = (verb: Write['verb'], resource: Resource) => Error | undefined;

export function recordingClient(objects: Record<string, KubeObject> = {}, refuse: Refuse = () => undefined): { client: KubeClient; writes: Write[]; objects: Record<string, KubeObject> } {
  const writes: Write[] = [];
  const target = (resource: Resource, name: string | undefined, namespace?: string) => `${resource.kind} ${namespace === undefined ? '' : `${namespace}/`}${name ?? ''}`;
  const notFound = (what: string) => new KubeApiError(404, 'NotFound', `${what} not found`);
  const fake = {
    get: (resource: Resource, name: string, namespace?: string) => {
      const found = objects[target(resource, name, namespace)];
      return found === undefined ? Promise.reject(notFound(target(resource, name, namespace))) : Promise.resolve(found);
    },
    apply: (resource: Resource, object: KubeObject, options: { subresource?: string }) => {
      writes.push({ verb: 'apply', target: `${target(resource, object.metadata?.name, object.metadata?.namespace)}${options.subresource === undefined ? '' : `/${options.subresource}`}`, body: object });
      return Promise.resolve({ ...object, metadata: { ...object.metadata, resourceVersion: String(writes.length) } });
    },
    create: (resource: Resource, object: KubeObject) => {
      const key = target(resource, object.metadata?.name, object.metadata?.namespace);
      writes.push({ verb: 'create', target: key, body: object });
      objects[key] = { ...object, metadata: { ...object.metadata, resourceVersion: String(writes.length) } };
      return Promise.resolve(objects[key]);
    },
    mergePatch: (resource: Resource, name: string, namespace: string | undefined, patch: unknown, _signal?: AbortSignal, subresource?: string) => {
      const refused = refuse('patch', resource);
      if (refused !== undefined) return Promise.reject(refused);
      const key = target(resource, name, namespace);
      writes.push({ verb: 'patch', target: `${key}${subresource === undefined ? '' : `/${subresource}`}`, body: patch });
      // Merged one level deep (metadata, spec, status), enough for what the steps read back.
      const current = (objects[key] ?? { metadata: { name, ...(namespace === undefined ? {} : { namespace }) } }) as Record<string, unknown>;
      const merged: Record<string, unknown> = { ...current };
      for (const [field, value] of Object.entries(patch as Record<string, unknown>)) {
        merged[field] = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(current[field] as object | undefined), ...value } : value;
      }
      objects[key] = merged;
      return Promise.resolve(objects[key]);
    },
    /** Lists by kind and namespace; a `k=v` label selector is matched exactly. */
    list: (resource: Resource, options: { namespace?: string; labelSelector?: string } = {}) => {
      const [label, value] = (options.labelSelector ?? '').split('=');
      const items = Object.entries(objects).filter(([key, object]) => key.startsWith(`${resource.kind} ${options.namespace === undefined ? '' : `${options.namespace}/`}`)
        && (label === undefined || label === '' || object.metadata?.labels?.[label] === value)).map(([, object]) => object);
      return Promise.resolve({ items });
    },
    delete: (resource: Resource, name: string, namespace?: string) => {
      writes.push({ verb: 'delete', target: target(resource, name, namespace) });
      return Promise.resolve();
    },
  };
  return { client: fake as unknown as KubeClient, writes, objects };
}

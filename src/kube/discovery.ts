// Which optional APIs the cluster serves, asked once at start-up. The CSI snapshot APIs come with a
// snapshot-controller that a cluster may not run (GKE installs it; a bare cluster does not): without
// them the operator still runs, and a GaimBackup fails saying the cluster serves no snapshots.
import type { KubeClient } from './client.js';
import { isNotFound } from './errors.js';
import type { Resource } from './resources.js';

interface ResourceList { resources?: { name?: string }[] }

/** Whether the API server serves `resource` (its group and version, and the plural in that version). */
export async function serves(client: KubeClient, resource: Resource, signal?: AbortSignal): Promise<boolean> {
  const path = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  try {
    const list = await client.request<ResourceList>('GET', 'discovery', 'GET', path, signal === undefined ? {} : { signal });
    return (list.resources ?? []).some((r) => r.name === resource.plural);
  } catch (error: unknown) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

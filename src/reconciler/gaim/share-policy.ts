// Which static NFS shares a Gaim may name: a Gaim author is not trusted, so a share outside what
// the platform allowed — another server, another tenant's directory, a parent of every tenant's —
// is refused before any PersistentVolume exists. Pure.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { NfsAllowList } from '../../config/settings.js';

/** The template with the Gaim's namespace and name filled in: the root of what it may use. */
export function allowedRoot(template: string, gaim: Pick<Gaim, 'metadata'>): string {
  return template.replaceAll('{namespace}', gaim.metadata.namespace).replaceAll('{gaim}', gaim.metadata.name);
}

/**
 * Why the Gaim's static NFS share is not allowed, or undefined when it is (or the Gaim uses a
 * dynamic claim). The server must be one of GAIM_NFS_SERVERS exactly (case-insensitive; a name is
 * never resolved, so an address is not the same server as its name); the path, as written (refused
 * rather than cleaned: no `.` or `..` segments, no doubled or trailing slashes), must be the
 * rendered GAIM_NFS_PATH_TEMPLATE or below it.
 */
export function shareRefusal(gaim: Gaim, allow: NfsAllowList): string | undefined {
  const nfs = gaim.spec.lancedb.storage.nfs;
  if (nfs === undefined) return undefined;
  const share = `${nfs.server}:${nfs.path}`;
  if (allow.servers.length === 0 || allow.pathTemplate === undefined) {
    return `static NFS shares are not allowed here (GAIM_NFS_SERVERS is empty); ask the platform team, or use storageClassName`;
  }
  if (!allow.servers.includes(nfs.server.toLowerCase())) {
    return `server ${nfs.server} of ${share} is not one of GAIM_NFS_SERVERS (${allow.servers.join(', ')})`;
  }
  const segments = nfs.path.split('/').slice(1);
  if (!nfs.path.startsWith('/') || segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return `path ${nfs.path} of ${share} is not a plain absolute path (no ".", "..", doubled or trailing slashes)`;
  }
  const root = allowedRoot(allow.pathTemplate, gaim);
  if (nfs.path !== root && !nfs.path.startsWith(`${root}/`)) {
    return `path ${nfs.path} of ${share} is not ${root} or below it (GAIM_NFS_PATH_TEMPLATE=${allow.pathTemplate})`;
  }
  return undefined;
}

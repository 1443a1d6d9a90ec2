// What the stack's kubelet can pull. The stack has no registry and no container runtime: a store
// pod's image only decides whether it runs at all. Every image is pullable except one from a host
// under the reserved `.invalid` top-level domain (RFC 2606), which no resolver anywhere answers —
// so a test can ask for an image that no cluster could pull, and see what a kubelet shows for it.

/** The registry host of an image reference (`registry.invalid/redis:7.2` → `registry.invalid`); Docker Hub when it names none. */
export function registryHost(image: string): string {
  const first = image.split('/')[0] ?? '';
  const named = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return named ? first.replace(/:\d+$/, '') : 'registry-1.docker.io';
}

/** Undefined when the image can be pulled; otherwise the error a kubelet (containerd) reports. */
export function pullError(image: string): string | undefined {
  const host = registryHost(image);
  if (!host.endsWith('.invalid')) return undefined;
  return `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": `
    + `failed to do request: Head "https://${host}/v2/": dial tcp: lookup ${host}: no such host`;
}

/** The kubelet's waiting message once it backs off from pulling. */
export const backOffMessage = (image: string): string => `Back-off pulling image "${image}"`;

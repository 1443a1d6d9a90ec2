import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inClusterAccess, loadClusterAccess } from './access.js';

async function serviceAccountDir(token = 'first-token'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sa-'));
  await writeFile(join(dir, 'token'), `${token}\n`);
  await writeFile(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
  return dir;
}

describe('cluster access', () => {
  it('in a pod, reads the service account token each time, so a rotated token is used', async () => {
    const dir = await serviceAccountDir();
    const access = await inClusterAccess('10.0.0.1', '443', dir);
    expect(access.server).toBe('https://10.0.0.1:443');
    expect(access.tls.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(await access.authorization()).toBe('Bearer first-token');
    await writeFile(join(dir, 'token'), 'rotated-token');
    expect(await access.authorization()).toBe('Bearer rotated-token');
    expect(access.source).not.toContain('first-token'); // logged at start-up: never the credential
  });

  it('brackets an IPv6 service host', async () => {
    const access = await inClusterAccess('fd00::1', '6443', await serviceAccountDir());
    expect(access.server).toBe('https://[fd00::1]:6443');
  });

  it('fails at start-up, naming the file, when the CA is not mounted', async () => {
    await expect(inClusterAccess('10.0.0.1', '443', join(tmpdir(), 'no-such-sa-dir'))).rejects.toThrow(/cannot read the service account CA .*no-such-sa-dir\/ca\.crt/);
  });

  it('takes the in-cluster path only in a pod without KUBECONFIG', async () => {
    const dir = await serviceAccountDir();
    const inPod = await loadClusterAccess(dir, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' });
    expect(inPod.source).toBe(`service account (${dir})`);

    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, [
      'apiVersion: v1', 'kind: Config',
      'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:6443/" } }]',
      'users: [{ name: u, user: { token: kubeconfig-token } }]',
      'contexts: [{ name: dev, context: { cluster: c, user: u } }]', 'current-context: dev', '',
    ].join('\n'));
    const saved = process.env['KUBECONFIG'];
    process.env['KUBECONFIG'] = kubeconfig; // client-node reads it from the process
    try {
      const outside = await loadClusterAccess(dir, { ...process.env, KUBERNETES_SERVICE_HOST: '10.0.0.1' });
      expect(outside.source).toBe('kubeconfig context dev');
      expect(outside.server).toBe('https://127.0.0.1:6443');
      expect(await outside.authorization()).toBe('Bearer kubeconfig-token');
    } finally {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
    }
  });
});

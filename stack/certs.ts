import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Certificates {
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  /** RSA key pair that signs and verifies service account tokens. */
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

/**
 * A throwaway PKI for one stack: a CA, the API server's serving certificate (valid for 127.0.0.1
 * and localhost), an admin client certificate in group system:masters, and the service account
 * signing keys. Made with openssl, so the API server sees exactly what a real cluster gives it.
 */
export async function generateCertificates(dir: string): Promise<Certificates> {
  const path = (name: string) => join(dir, name);
  const certs: Certificates = {
    caCert: path('ca.crt'),
    caKey: path('ca.key'),
    servingCert: path('apiserver.crt'),
    servingKey: path('apiserver.key'),
    adminCert: path('admin.crt'),
    adminKey: path('admin.key'),
    serviceAccountKey: path('sa.key'),
    serviceAccountPub: path('sa.pub'),
  };
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });

  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '365', '-subj', '/CN=gaim-stack-ca',
    '-keyout', certs.caKey, '-out', certs.caCert);

  const sign = async (name: string, subject: string, extensions: string) => {
    const ext = path(`${name}.ext`);
    await writeFile(ext, extensions);
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject,
      '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`));
    await openssl('x509', '-req', '-in', path(`${name}.csr`), '-CA', certs.caCert, '-CAkey', certs.caKey,
      '-CAcreateserial', '-days', '365', '-extfile', ext, '-out', path(`${name}.crt`));
  };

  await Promise.all([
    sign('apiserver', '/CN=kube-apiserver',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\n' +
      'extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n'),
    sign('admin', '/O=system:masters/CN=stack-admin',
      'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n'),
    openssl('genrsa', '-out', certs.serviceAccountKey, '2048').then(() =>
      openssl('rsa', '-in', certs.serviceAccountKey, '-pubout', '-out', certs.serviceAccountPub)),
  ]);
  return certs;
}

/** A kubeconfig that authenticates with the admin client certificate. */
export function adminKubeconfig(server: string, certs: Certificates): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: gaim-stack
  cluster:
    server: ${server}
    certificate-authority: ${certs.caCert}
users:
- name: stack-admin
  user:
    client-certificate: ${certs.adminCert}
    client-key: ${certs.adminKey}
contexts:
- name: gaim-stack
  context:
    cluster: gaim-stack
    user: stack-admin
current-context: gaim-stack
`;
}

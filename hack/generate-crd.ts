// `make manifests`: writes the Gaim CRD generated from src/api/v1alpha1 to crds/.
//   node --import tsx hack/generate-crd.ts [--check]
// With --check it writes nothing and exits 1 when the committed file is out of date.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CRD_PATH, HELM_CRD_PATH, REFERENCE_PATH, renderCrdYaml, renderHelmCrd, renderReference } from './crd-yaml.js';

for (const [path, rendered] of [[CRD_PATH, renderCrdYaml()], [HELM_CRD_PATH, renderHelmCrd()], [REFERENCE_PATH, renderReference()]] as const) {
  const target = fileURLToPath(new URL(`../${path}`, import.meta.url));
  if (process.argv.includes('--check')) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    if (committed !== rendered) {
      console.error(`${path} is out of date: run make manifests`);
      process.exitCode = 1;
    }
  } else {
    await writeFile(target, rendered);
    console.log(`wrote ${path}`);
  }
}

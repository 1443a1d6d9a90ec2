// `make manifests`: writes the Gaim, GaimBackup and GaimBackupRecord CRDs generated from src/api/v1alpha1 to crds/ (and the chart, and their references to docs/).
//   node --import tsx hack/generate-crd.ts [--check]
// With --check it writes nothing and exits 1 when the committed file is out of date.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  BACKUP_CRD_PATH, BACKUP_REFERENCE_PATH, CRD_PATH, HELM_CRD_PATH, RECORD_CRD_PATH, RECORD_REFERENCE_PATH, REFERENCE_PATH, renderBackupCrdYaml, renderBackupReference, renderCrdYaml, renderHelmCrd,
  renderRecordCrdYaml, renderRecordReference, renderReference,
} from './crd-yaml.js';

for (const [path, rendered] of [[CRD_PATH, renderCrdYaml()], [BACKUP_CRD_PATH, renderBackupCrdYaml()], [HELM_CRD_PATH, renderHelmCrd()], [REFERENCE_PATH, renderReference()], [BACKUP_REFERENCE_PATH, renderBackupReference()],
  [RECORD_CRD_PATH, renderRecordCrdYaml()], [RECORD_REFERENCE_PATH, renderRecordReference()]] as const) {
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

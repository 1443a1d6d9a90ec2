// The release's software bill of materials: `make sbom` writes what `npm sbom` makes of the lock
// file, the image's production dependencies (the Dockerfile installs with --omit=dev) and nothing of
// the tools that only build and test it.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('make sbom', () => {
  it('lists every production dependency of package.json, with versions, and no development one', async () => {
    const { stdout } = await promisify(execFile)('make', ['-s', 'sbom'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    const file = /wrote (dist\/\S+\.sbom\.cdx\.json)/.exec(stdout)?.[1];
    expect(file).toBeDefined();
    const sbom = JSON.parse(await readFile(join(root, file ?? ''), 'utf8')) as { bomFormat: string; specVersion: string; components: { name: string; group?: string; version: string }[] };
    expect([sbom.bomFormat, sbom.specVersion]).toEqual(['CycloneDX', '1.5']);
    const names = new Set(sbom.components.map((c) => (c.group === undefined || c.group === '' ? c.name : `${c.group}/${c.name}`)));
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies)) expect(names.has(name), name).toBe(true);
    for (const name of ['vitest', 'eslint', 'typescript', 'tsx']) expect(names.has(name), name).toBe(false);
    expect(sbom.components.every((c) => c.version !== '')).toBe(true);
  }, 60_000);
});

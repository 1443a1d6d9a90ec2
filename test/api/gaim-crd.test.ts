// The Gaim CRD in a real API server: samples are accepted, every invalid manifest in the table is
// rejected with a message naming its field, and the operator's zod schema gives the same verdicts.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGaim } from '../../src/api/v1alpha1/validate.js';
import { installCrd, kubectl } from '../support/crd.js';
import { createNamespace } from '../support/stack.js';
import { cases, samples, type Manifest } from './cases.js';

const applyDryRun = (ns: string, manifest: Manifest) =>
  kubectl(['apply', '-n', ns, '--dry-run=server', '-f', '-'], JSON.stringify(manifest));

/** What the zod schema says about a manifest, as the operator would see it from the API server. */
function zodVerdict(manifest: Manifest): { ok: boolean; paths: string[] } {
  const result = parseGaim({ ...manifest, metadata: { ...manifest.metadata, namespace: 'any' } });
  return result.ok ? { ok: true, paths: [] } : { ok: false, paths: result.error.issues.map((i) => i.path) };
}

describe('the Gaim CRD', () => {
  // Samples and update cases create objects; the dry-run table gets a namespace of its own so
  // that every one of its manifests is a create.
  let ns = '';
  let dryRunNs = '';
  beforeAll(async () => {
    await installCrd();
    ns = await createNamespace('api');
    dryRunNs = await createNamespace('api-dry');
  });

  it.each(samples())('accepts the sample $file with kubectl apply', async ({ manifest }) => {
    const result = await kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify(manifest));
    expect(result.output).toMatch(/^gaim.gaim.livingcontent.io\/[a-z]+ created$/m);
    expect(result.ok).toBe(true);
    expect(zodVerdict(manifest)).toEqual({ ok: true, paths: [] });
  });

  it('has at least 20 invalid manifests in its table', () => {
    expect(cases.filter((c) => c.invalid !== undefined).length).toBeGreaterThanOrEqual(20);
  });

  describe.each(cases.filter((c) => c.before === undefined))('$name', ({ manifest, invalid }) => {
    it(invalid === undefined ? 'is accepted by the API server' : `is rejected naming ${invalid.field}`, async () => {
      const result = await applyDryRun(dryRunNs, manifest);
      if (invalid === undefined) {
        expect(result.output).toContain('created (server dry run)');
      } else {
        expect(result.ok).toBe(false);
        expect(result.output).toContain(invalid.apiMessage);
        expect(result.output).toContain(invalid.field);
      }
    });

    it('gets the same verdict from the operator\'s zod schema', () => {
      const verdict = zodVerdict(manifest);
      expect(verdict.ok).toBe(invalid === undefined);
      // The same field, exactly: a prefix would let any error under `spec` pass for `spec`.
      if (invalid !== undefined) expect(verdict.paths).toContain(invalid.field);
    });
  });

  describe.each(cases.filter((c) => c.before !== undefined))('$name', ({ name, before, manifest, invalid }) => {
    it(invalid === undefined ? 'is accepted on update' : 'is rejected on update, naming the field', async () => {
      const objectName = `u${String(cases.indexOf(cases.find((c) => c.name === name) as never)).padStart(2, '0')}-${manifest.metadata.name}`.slice(0, 12);
      const created = await kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify({ ...before, metadata: { name: objectName } }));
      expect(created.output).toContain('created');
      const result = await kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify({ ...manifest, metadata: { name: objectName } }));
      if (invalid === undefined) {
        expect(result.output).toContain('configured');
        expect(result.ok).toBe(true);
      } else {
        expect(result.ok).toBe(false);
        expect(result.output).toContain(invalid.apiMessage);
        expect(result.output).toContain(invalid.field);
      }
      // The same manifest is fine as a new object: it is the change that is refused.
      expect(zodVerdict(manifest).ok).toBe(true);
    });
  });

  it('shows the printer columns in kubectl get', async () => {
    const result = await kubectl(['get', 'gaims', '-n', ns]);
    expect(result.ok).toBe(true);
    expect(result.output.split('\n')[0]?.split(/\s+/).filter(Boolean)).toEqual(['NAME', 'ENVS', 'TIER', 'SYNC', 'READY', 'RETRIES', 'AGE']);
    expect(result.output).toMatch(/zaphod\s+\["stage","prod"\]\s+medium/);
  });

  it('applies defaults in the API server', async () => {
    const result = await kubectl(['get', 'gaim', 'marvin', '-n', ns, '-o', 'json']);
    const spec = (JSON.parse(result.output) as { spec: Record<string, unknown> }).spec;
    expect(spec).toMatchObject({
      tier: 'small',
      deletionPolicy: 'Retain',
      suspend: false,
      tenantIds: [],
      mongodb: { enabled: true },
      redis: { enabled: true },
      lancedb: { embeddingDimensions: { video: 1408, audio: 1408 } },
    });
    // No image default: the operator's pinned one applies, and follows the operator's version.
    expect(spec['mongodb']).not.toHaveProperty('image');
  });

  it('teaches a new user through kubectl explain', async () => {
    const storage = await kubectl(['explain', 'gaim.spec.lancedb.storage']);
    expect(storage.output).toContain('exactly one of storageClassName');
    expect(storage.output).toMatch(/nfs\s+<Object>\s+Static provisioning/);
    const spec = await kubectl(['explain', 'gaim.spec.deletionPolicy']);
    expect(spec.output).toContain('Retain (default) keeps volumes');
  });
});

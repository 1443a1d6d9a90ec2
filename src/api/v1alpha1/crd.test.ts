import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  BACKUP_CRD_PATH, BACKUP_REFERENCE_PATH, CRD_PATH, HELM_CRD_PATH, RECORD_CRD_PATH, RECORD_REFERENCE_PATH, REFERENCE_PATH, renderBackupCrdYaml, renderBackupReference, renderCrdYaml, renderHelmCrd,
  renderRecordCrdYaml, renderRecordReference, renderReference,
} from '../../../hack/crd-yaml.js';
import { gaimCrd, toStructural } from './crd.js';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema };

function openApiSchema(): Schema {
  const crd = gaimCrd() as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
  const version = crd.spec.versions[0];
  if (version === undefined) throw new Error('CRD has no version');
  return version.schema.openAPIV3Schema;
}

/** Every field's path, depth first. */
function fields(schema: Schema, path = ''): [string, Schema][] {
  const own = Object.entries(schema.properties ?? {}).flatMap(([name, child]) => [
    [`${path}.${name}`, child] as [string, Schema],
    ...fields(child, `${path}.${name}`),
  ]);
  return schema.items === undefined ? own : [...own, ...fields(schema.items, `${path}[]`)];
}

describe('the generated Gaim CRD', () => {
  it('is what is committed in crds/ (run `make manifests` after changing the API)', () => {
    expect(readFileSync(new URL(`../../../${CRD_PATH}`, import.meta.url), 'utf8')).toBe(renderCrdYaml());
    expect(readFileSync(new URL(`../../../${HELM_CRD_PATH}`, import.meta.url), 'utf8')).toBe(renderHelmCrd());
    expect(readFileSync(new URL(`../../../${REFERENCE_PATH}`, import.meta.url), 'utf8')).toBe(renderReference());
    expect(readFileSync(new URL(`../../../${BACKUP_CRD_PATH}`, import.meta.url), 'utf8')).toBe(renderBackupCrdYaml());
    expect(readFileSync(new URL(`../../../${BACKUP_REFERENCE_PATH}`, import.meta.url), 'utf8')).toBe(renderBackupReference());
    expect(readFileSync(new URL(`../../../${RECORD_CRD_PATH}`, import.meta.url), 'utf8')).toBe(renderRecordCrdYaml());
    expect(readFileSync(new URL(`../../../${RECORD_REFERENCE_PATH}`, import.meta.url), 'utf8')).toBe(renderRecordReference());
  });

  it('reads back as it was generated under YAML 1.1, as Kubernetes reads it (On and Off stay strings)', () => {
    expect(parse(renderCrdYaml(), { version: '1.1' })).toEqual(parse(renderCrdYaml(), { version: '1.2' }));
    expect(renderCrdYaml()).toContain('- "On"');
  });

  it('describes every field under spec and status, for kubectl explain', () => {
    const undocumented = fields(openApiSchema())
      .filter(([path]) => path.startsWith('.spec') || path.startsWith('.status'))
      .filter(([, schema]) => typeof schema['description'] !== 'string' || schema['description'] === '')
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it('gives every field a type or marks it free-form, as a structural schema must', () => {
    const untyped = fields(openApiSchema())
      .filter(([, s]) => s['type'] === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true)
      .map(([path]) => path);
    expect(untyped).toEqual([]);
  });

  it('keeps conditions a list-map keyed by type, and environments a set', () => {
    const all = Object.fromEntries(fields(openApiSchema()));
    expect(all['.status.conditions']).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
    expect(all['.spec.environments']).toMatchObject({ 'x-kubernetes-list-type': 'set', minItems: 1, items: { enum: ['local', 'stage', 'prod'] } });
    expect(all['.spec.config.settings']).toMatchObject({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });
});

describe('toStructural', () => {
  const convert = (schema: z.ZodType) =>
    toStructural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }));

  it('drops what Kubernetes defaults anyway and keeps the constraints', () => {
    expect(convert(z.strictObject({ n: z.int().min(1) }))).toEqual({
      type: 'object',
      properties: { n: { type: 'integer', minimum: 1 } },
      required: ['n'],
    });
  });

  it('turns a record into a free-form object', () => {
    expect(convert(z.record(z.string(), z.unknown()))).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });

  it('refuses a union, which a structural schema cannot express', () => {
    expect(() => convert(z.strictObject({ size: z.union([z.string(), z.number()]) }))).toThrow(/cannot express "anyOf" at \.size/);
  });

  it('refuses a field of unknown type, which a structural schema cannot have', () => {
    expect(() => convert(z.strictObject({ anything: z.unknown() }))).toThrow(/schema at \.anything has no type/);
  });
});

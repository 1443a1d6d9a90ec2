import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { storeImage } from '../resources/images.js';
import { PINNED_IMAGES } from './images.js';
import { parseSettings } from './settings.js';

describe('pinned store images', () => {
  it('are pinned by version and digest, and the chart\'s values and the settings\' defaults are the same', async () => {
    for (const image of Object.values(PINNED_IMAGES)) expect(image).toMatch(/^[a-z]+:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    const values = parse(await readFile(new URL('../../helm/gaim-operator/values.yaml', import.meta.url), 'utf8')) as { operator: { images: unknown } };
    expect(values.operator.images).toEqual(PINNED_IMAGES);
    expect(parseSettings({}).images).toEqual(PINNED_IMAGES);
  });

  it('run a spec\'s own image, and the pinned default for none or for a default an older CRD stored', () => {
    expect(storeImage('mongodb', 'registry.example.com/mongo:8.0', PINNED_IMAGES)).toBe('registry.example.com/mongo:8.0');
    expect(storeImage('mongodb', undefined, PINNED_IMAGES)).toBe(PINNED_IMAGES.mongodb);
    expect(storeImage('mongodb', 'mongo:7.0', PINNED_IMAGES)).toBe(PINNED_IMAGES.mongodb);
    expect(storeImage('redis', 'redis:7.2', PINNED_IMAGES)).toBe(PINNED_IMAGES.redis);
    expect(storeImage('redis', 'redis:7.4', PINNED_IMAGES)).toBe('redis:7.4');
  });
});

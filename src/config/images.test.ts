import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { storeImage } from '../resources/images.js';
import { DEFAULT_STORE_REPOSITORIES, fromRepositories, PINNED_IMAGES } from './images.js';
import { parseSettings } from './settings.js';

describe('pinned store images', () => {
  it('are pinned by version and digest, and the chart\'s values and the settings\' defaults are the same', async () => {
    for (const image of Object.values(PINNED_IMAGES)) expect(image).toMatch(/^[a-z]+:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    const values = parse(await readFile(new URL('../../helm/gaim-operator/values.yaml', import.meta.url), 'utf8')) as { operator: { images: Record<string, unknown> } };
    const { allowedRepositories, ...images } = values.operator.images;
    expect(images).toEqual(PINNED_IMAGES);
    expect(parseSettings({}).images).toEqual(PINNED_IMAGES);
    // The repositories the chart allows are the settings' default, and hold the pinned images.
    expect(allowedRepositories).toEqual([...DEFAULT_STORE_REPOSITORIES]);
    for (const image of [PINNED_IMAGES.mongodb, PINNED_IMAGES.redis]) expect(fromRepositories(image, DEFAULT_STORE_REPOSITORIES)).toBe(true);
  });

  it('refuses at start-up a default image from a repository the settings do not allow, in one line', () => {
    expect(() => parseSettings({ GAIM_STORE_IMAGE_REPOSITORIES: 'mirror.example/mongo,redis' })).toThrow(
      `invalid setting GAIM_MONGODB_IMAGE="${PINNED_IMAGES.mongodb}": its repository is not in GAIM_STORE_IMAGE_REPOSITORIES (mirror.example/mongo, redis)`);
  });

  it('run a spec\'s own image, and the pinned default for none or for a default an older CRD stored', () => {
    expect(storeImage('mongodb', 'registry.example.com/mongo:8.0', PINNED_IMAGES)).toBe('registry.example.com/mongo:8.0');
    expect(storeImage('mongodb', undefined, PINNED_IMAGES)).toBe(PINNED_IMAGES.mongodb);
    expect(storeImage('mongodb', 'mongo:7.0', PINNED_IMAGES)).toBe(PINNED_IMAGES.mongodb);
    expect(storeImage('redis', 'redis:7.2', PINNED_IMAGES)).toBe(PINNED_IMAGES.redis);
    expect(storeImage('redis', 'redis:7.4', PINNED_IMAGES)).toBe('redis:7.4');
  });
});

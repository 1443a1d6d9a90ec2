// The container image, built as the Dockerfile builds it (no Docker engine here): production
// dependencies only, and the entry point runs both subcommands from the result.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/stack.js';
import { buildImageFilesystem, type BuiltImage } from './dockerfile.js';

const run = promisify(execFile);

describe('container image', () => {
  let work = '';
  afterAll(async () => { if (work !== '') await rm(work, { recursive: true, force: true }); });

  it('builds with the Dockerfile\'s own commands and runs --version and seed-storage from the result', async () => {
    work = await mkdtemp(join(repoRoot, '.run', 'image-'));
    // The machine's environment as a build would have it (registry, CA certificates, npm cache).
    const image: BuiltImage = await buildImageFilesystem(join(repoRoot, 'Dockerfile'), repoRoot, work, process.env);
    expect(image.user).toBe('1000:1000');
    expect(image.entrypoint).toEqual(['node', '--optimize-for-size', '--no-opt', '--no-maglev', '/app/dist/src/main.js']);
    expect(image.cmd).toEqual(['run']);
    // Production dependencies only.
    expect(existsSync(join(image.root, 'app/node_modules/mongodb'))).toBe(true);
    expect(existsSync(join(image.root, 'app/node_modules/vitest'))).toBe(false);
    expect(existsSync(join(image.root, 'app/node_modules/typescript'))).toBe(false);
    expect(existsSync(join(image.root, 'app/src'))).toBe(false);

    // Run as the entry point runs it, V8 flags included (node refuses one it does not know).
    const [, ...flags] = image.entrypoint.slice(0, -1);
    const entry = join(image.root, image.entrypoint.at(-1) ?? '');
    const node = join(repoRoot, 'bin', 'node');
    const version = await run(node, [...flags, entry, '--version'], { cwd: '/', env: { PATH: process.env['PATH'], ...image.env } });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const seed = await run(node, [...flags, entry, 'seed-storage', `--root=${join(work, 'data')}`, '--environments=stage'], { cwd: '/', env: { PATH: process.env['PATH'], ...image.env } });
    expect(JSON.parse(seed.stdout)).toMatchObject({ command: 'seed-storage' });
  }, 600_000); // an npm install and a build: over five minutes on a busy two-core machine
});

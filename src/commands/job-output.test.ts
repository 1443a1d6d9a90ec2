import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OperatorError } from '../errors.js';
import { SeedExit } from '../resources/seed-storage-args.js';
import { runJobCommand } from './job-output.js';

// The exit code is the contract by which the operator tells a Job's failures apart.
describe('runJobCommand', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'job-output-'));
    vi.stubEnv('TERMINATION_MESSAGE_PATH', join(dir, 'termination-log'));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, Error, number]>([
    ['a validation error', new OperatorError('validation', 'bad'), SeedExit.usage],
    ['a refused write', new OperatorError('storage', 'denied', { reason: 'SharePermissionDenied' }), SeedExit.permission],
    ['a schema mismatch', new OperatorError('storage', 'schema', { reason: 'TableSchemaMismatch' }), SeedExit.schema],
    ['an unsupported filesystem', new OperatorError('storage', 'no links', { reason: 'FilesystemUnsupported' }), SeedExit.filesystem],
    ['the seed\'s own deadline', new OperatorError('timeout', 'past its deadline', { reason: 'SeedDeadlineExceeded' }), SeedExit.deadline],
    ['another storage failure', new OperatorError('storage', 'other'), SeedExit.failed],
    ['anything else thrown', new Error('boom'), SeedExit.failed],
  ])('exits with its own code for %s, the message in the termination log', async (_name, error, code) => {
    expect(await runJobCommand('test', () => Promise.reject(error))).toBe(code);
    expect(await readFile(join(dir, 'termination-log'), 'utf8')).toBe(error.message);
  });

  it('prints the report and exits 0 on success', async () => {
    expect(await runJobCommand('test', () => Promise.resolve({ command: 'test' }))).toBe(SeedExit.ok);
    expect(console.log).toHaveBeenCalledWith('{"command":"test"}');
  });
});

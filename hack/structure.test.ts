import { describe, expect, it } from 'vitest';
import { functionsOf, lineCount, measure, render, resolveSpecifier } from './structure.js';

const files = [
  {
    path: 'reconciler/gaim.ts',
    text: [
      "import { z } from 'zod';",
      "import { readFile } from 'node:fs';",
      "import { step } from './step.js';",
      "import type { Gaim } from '../api/v1alpha1/gaim.js';",
      "import { desired } from '../resources/desired.js';",
      "export { pod } from '../resources/pod.js';",
      "import '../errors.js';",
      '',
      '/** Doc comments are not the function. */',
      'export function reconcile(gaim: Gaim): void {',
      '  [1, 2].map((n) => {',
      '    return n;',
      '  });',
      '  step(desired(gaim));',
      '}',
      '',
    ].join('\n'),
  },
  {
    path: 'reconciler/step.ts',
    text: [
      "import { desired } from '../resources/desired.js';",
      "const lazy = () => import('../seeders/redis.js');",
      'export class Step {',
      '  run(): void {',
      '    desired();',
      '  }',
      '',
      '  get name(): string { return "step"; }',
      '}',
      'export const step = async (',
      '  value: unknown,',
      ') => {',
      '  await lazy();',
      '  return value;',
      '};',
    ].join('\n'),
  },
  { path: 'resources/desired.ts', text: "import { Gaim } from '../api/v1alpha1/gaim.js';\nexport const desired = function (gaim?: Gaim) { return gaim; };\n" },
  { path: 'resources/pod.ts', text: 'export const pod = 1;\n' },
  { path: 'api/v1alpha1/gaim.ts', text: "import type { X } from '../../errors.js';\nexport type Gaim = X;\n" },
  { path: 'errors.ts', text: 'export type X = string;\n' },
];

describe('the structure of src/', () => {
  it('counts import statements into other folders only, type imports and re-exports included, packages not', () => {
    const data = measure(files);
    expect(data.folders).toEqual([
      { folder: '.', modules: 1, lines: 1, importsOut: 0, importsTo: {}, importsIn: 2, lazyTo: {} },
      { folder: 'api/v1alpha1', modules: 1, lines: 2, importsOut: 1, importsTo: { '.': 1 }, importsIn: 2, lazyTo: {} },
      { folder: 'reconciler', modules: 2, lines: 15 + 15, importsOut: 5, importsTo: { '.': 1, 'api/v1alpha1': 1, resources: 3 }, importsIn: 0, lazyTo: { seeders: 1 } },
      { folder: 'resources', modules: 2, lines: 3, importsOut: 1, importsTo: { 'api/v1alpha1': 1 }, importsIn: 3, lazyTo: {} },
    ]);
  });

  it('measures modules in lines, a final newline starting none', () => {
    expect([lineCount(''), lineCount('a'), lineCount('a\n'), lineCount('a\n\nb')]).toEqual([0, 1, 1, 3]);
    expect(measure(files, 3).largestModules).toEqual([
      { path: 'reconciler/gaim.ts', lines: 15 },
      { path: 'reconciler/step.ts', lines: 15 },
      { path: 'api/v1alpha1/gaim.ts', lines: 2 },
    ]);
  });

  it('measures declarations, methods and functions held by a variable; an anonymous callback counts toward its function', () => {
    expect(functionsOf(files[0] ?? { path: '', text: '' })).toEqual([{ path: 'reconciler/gaim.ts', name: 'reconcile', lines: 6 }]);
    expect(measure(files).largestFunctions).toEqual([
      { path: 'reconciler/gaim.ts', name: 'reconcile', lines: 6 },
      { path: 'reconciler/step.ts', name: 'step', lines: 6 },
      { path: 'reconciler/step.ts', name: 'Step.run', lines: 3 },
      { path: 'reconciler/step.ts', name: 'Step.get name', lines: 1 },
      { path: 'reconciler/step.ts', name: 'lazy', lines: 1 },
      { path: 'resources/desired.ts', name: 'desired', lines: 1 },
    ]);
  });

  it('resolves a relative specifier to the .ts module and leaves packages alone', () => {
    expect(resolveSpecifier('reconciler/backups/run.ts', '../../kube/client.js')).toBe('kube/client.ts');
    expect(resolveSpecifier('main.ts', './reconciler/gaim.js')).toBe('reconciler/gaim.ts');
    expect(resolveSpecifier('main.ts', 'node:fs')).toBeUndefined();
  });

  it('renders the folders, the reconciler\'s top-level modules and the largest modules and functions', () => {
    const text = render(measure(files));
    expect(text).toContain('| reconciler | 2 | 30 | 5 | .: 1, api/v1alpha1: 1, resources: 3 | 0 | 1 (seeders: 1) |');
    expect(text).toContain('| **all** | 6 | 36 | 7 |  | 7 |  |');
    expect(text).toContain('src/reconciler top-level modules: 2\n');
    expect(text).toContain('| reconciler/gaim.ts | 15 |');
    expect(text).toContain('| reconciler/step.ts | `Step.run` | 3 |');
  });
});

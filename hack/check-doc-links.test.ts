import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLinks, slug } from './check-doc-links.js';

describe('the docs\' links', () => {
  it('all lead to a file and, with an anchor, to a heading of it', () => {
    expect(brokenLinks()).toEqual([]);
  });

  it('finds a missing file and a missing heading (GitHub\'s slugs), in a folder\'s README too', () => {
    const root = mkdtempSync(join(tmpdir(), 'links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'README.md'), '# Title\n\n[a](docs/a.md#day-two-operations) [b](docs/b.md) [c](#title) [d](docs/a.md#nope)\n');
    writeFileSync(join(root, 'docs', 'a.md'), '## Day-two operations\n');
    mkdirSync(join(root, 'stack'));
    writeFileSync(join(root, 'stack', 'README.md'), '[a](../docs/a.md) [gone](../docs/gone.md)\n');
    expect(brokenLinks(root)).toEqual(['README.md: docs/b.md (no such file)', 'README.md: docs/a.md#nope (no such heading)', 'stack/README.md: ../docs/gone.md (no such file)']);
    expect(slug('Sync status: the Gaim and Firestore')).toBe('sync-status-the-gaim-and-firestore');
  });
});

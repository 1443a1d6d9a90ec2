import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLinks, slug } from './check-doc-links.js';

describe('the docs\' links', () => {
  it('all lead to a file and, with an anchor, to a heading of it', () => {
    expect(brokenLinks()).toEqual([]);
  });

  it('finds a missing file and a missing heading (GitHub\'s slugs)', () => {
    const root = mkdtempSync(join(tmpdir(), 'links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'README.md'), '# Title\n\n[a](docs/a.md#day-two-operations) [b](docs/b.md) [c](#title) [d](docs/a.md#nope)\n');
    writeFileSync(join(root, 'docs', 'a.md'), '## Day-two operations\n');
    expect(brokenLinks(root)).toEqual(['README.md: docs/b.md (no such file)', 'README.md: docs/a.md#nope (no such heading)']);
    expect(slug('Sync status: the Gaim and Firestore')).toBe('sync-status-the-gaim-and-firestore');
  });
});

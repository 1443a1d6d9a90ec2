// Every relative link in README.md, docs/ and the README.md of each top-level folder (stack/, crds/)
// points at a file that exists and, with an anchor, at a heading of that file (GitHub's slugs). Run
// by its unit test; `node --import tsx hack/check-doc-links.ts` prints the broken ones.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, '').replaceAll(' ', '-');
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdownFiles(path) : name.endsWith('.md') ? [path] : [];
  });
}

/** `file: link` for each link that leads nowhere. */
export function brokenLinks(root = repoRoot): string[] {
  const folderReadmes = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules' && entry.name !== 'docs')
    .map((entry) => join(root, entry.name, 'README.md'))
    .filter((file) => existsSync(file));
  const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs')), ...folderReadmes];
  const anchors = (file: string) => new Set(readFileSync(file, 'utf8').split('\n').flatMap((line) => {
    const m = /^#{1,6} (.*)$/.exec(line);
    return m?.[1] === undefined ? [] : [slug(m[1])];
  }));
  const broken: string[] = [];
  for (const file of files) {
    // Outside code blocks and code spans only.
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]*)\)/g)) {
      const link = m[1] ?? '';
      if (/^(https?:|mailto:)/.test(link)) continue;
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? file : resolve(dirname(file), path);
      if (!existsSync(target)) broken.push(`${relative(root, file)}: ${link} (no such file)`);
      else if (anchor !== undefined && anchor !== '' && target.endsWith('.md') && !anchors(target).has(anchor)) broken.push(`${relative(root, file)}: ${link} (no such heading)`);
    }
  }
  return broken;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const broken = brokenLinks();
  for (const line of broken) console.log(line);
  process.exitCode = broken.length === 0 ? 0 : 1;
}

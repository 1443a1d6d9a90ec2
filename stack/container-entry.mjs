// How the stack's kubelet stand-in starts a container of the operator's image as the user its
// securityContext names: `node [--import tsx] container-entry.mjs <spec.json>`, started as root.
//
// It loads the operator's code first, still as root, then takes the container's user, group and
// supplementary groups, and only then runs the command. The operator's code may sit where that user
// cannot read it (a clone under a 0700 temporary directory, a tool cache under /root); what the
// command does on the volumes it does as the container's user, which is what the stack must show.
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import process from 'node:process';

/** @type {{ uid: number, gid: number, groups: number[], preload: string[], main: string, args: string[] }} */
const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8'));

for (const module of spec.preload) await import(pathToFileURL(module).href);
if (spec.uid !== 0) {
  process.setgroups(spec.groups);
  process.setgid(spec.gid);
  process.setuid(spec.uid);
}
process.argv = [process.argv[0] ?? 'node', spec.main, ...spec.args];
await import(pathToFileURL(spec.main).href);

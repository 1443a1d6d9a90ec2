#!/usr/bin/env node
// kubectl-gaim: the kubectl plugin (`kubectl gaim status NAME`, `kubectl gaim retry NAME`, `kubectl gaim wake NAME`…). kubectl
// finds it as an executable named kubectl-gaim on PATH and passes it the arguments after `gaim`.
import './node-version.js';
import { runPlugin } from './plugin/main.js';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { stop.abort(new Error(signal)); });
// The reader went away (`kubectl gaim status x | head`): stop quietly, as other command-line tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stop.abort(error);
  process.exit(0);
});

const code = await runPlugin(process.argv.slice(2), {
  out: (line) => { process.stdout.write(`${line}\n`); },
  err: (line) => { process.stderr.write(`${line}\n`); },
  columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  isTty: process.stdout.isTTY,
  env: process.env,
  signal: stop.signal,
});
// Exit once the output is out, rather than when the event loop drains: a Firestore call that
// outlived its 3 s deadline keeps gRPC reconnecting for up to a minute, and the command is done.
process.stdout.write('', () => { process.stderr.write('', () => process.exit(code)); });

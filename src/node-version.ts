// Imported first by every entry point: on an older Node the operator fails deep inside a library
// (undici needs APIs Node 20 lacks), which looks random. Say in one line what is needed instead.
const REQUIRED_MAJOR = 24;

const major = Number(process.versions.node.split('.')[0]);
if (!(major >= REQUIRED_MAJOR)) {
  console.error(`gaim-operator: needs Node ${REQUIRED_MAJOR} or newer, this is ${process.version}; run it through make (make run, make dev), `
    + 'or after `make tools` put the pinned Node first on PATH: export PATH="$PWD/bin:$PATH"');
  process.exit(1);
}

export {};

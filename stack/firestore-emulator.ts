// Runs the Firestore emulator (@firestore-emulator/server, Firestore's gRPC API in-process) as its
// own process of the stack, so tests can stop and restart it like any other store.
//
//   node --import tsx stack/firestore-emulator.ts <port> [<stack run dir>]
//
// The run directory only names the process (its command line), so checks for leftover processes
// of a stack find the emulator as they find every other component.
//
// Stricter than the package where the operator relies on Firestore's behaviour: a write whose
// precondition names an update time (optimistic concurrency: "only if nobody wrote since I read")
// is refused with FAILED_PRECONDITION unless the document is at that version, as Firestore refuses
// it; the package ignores such preconditions and would pass any lost update. Every write of a
// document also gets its own update time (a later millisecond than the one before), as every
// version of a Firestore document has, so two writes in one millisecond are two versions.
import { createRequire } from 'node:module';
import { FirestoreServer } from '@firestore-emulator/server';

interface GrpcServer {
  bindAsync(address: string, credentials: unknown, callback: (error: Error | null, port: number) => void): void;
  forceShutdown(): void;
}

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: firestore-emulator.ts <port>');
  process.exit(2);
}

const emulator = new FirestoreServer();
enforceUpdateTimePreconditions(emulator.state as unknown as EmulatorState);
// FirestoreServer.start() binds 0.0.0.0; the stack keeps every server on 127.0.0.1, so bind the
// emulator's own gRPC server here, with credentials from the same @grpc/grpc-js copy it uses.
const server = Reflect.get(emulator, 'server') as GrpcServer | undefined;
if (server === undefined || typeof server.bindAsync !== 'function') {
  console.error('@firestore-emulator/server changed shape: no gRPC server to bind');
  process.exit(1);
}
const grpc = createRequire(import.meta.resolve('@firestore-emulator/server'))('@grpc/grpc-js') as {
  ServerCredentials: { createInsecure(): unknown };
};
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error !== null) {
    console.error(`cannot bind 127.0.0.1:${port}: ${error.message}`);
    process.exit(1);
  }
  console.log(`firestore emulator listening on 127.0.0.1:${port}`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.forceShutdown();
    process.exit(0);
  });
}

interface Timestamp { readonly seconds: number | { toNumber(): number }; readonly nanos: number }
interface V1Write {
  readonly has_delete: boolean;
  readonly delete: string;
  readonly update: { readonly name: string };
  readonly has_current_document: boolean;
  readonly current_document: { readonly has_update_time: boolean; readonly update_time: Timestamp };
}
interface EmulatorState {
  writeV1Document(date: Date, write: V1Write): unknown;
  getDocument(path: string): { readonly metadata: { readonly hasExist: boolean; readonly updatedAt: Date } };
}

function enforceUpdateTimePreconditions(state: EmulatorState): void {
  const write = state.writeV1Document.bind(state);
  // The package's error class is not exported, and its Commit turns only that class into a gRPC
  // status: take it from a refusal of its own (a delete that requires a missing document to exist).
  const refusal = (() => {
    try {
      write(new Date(), { has_delete: true, delete: 'projects/gaim-stack-probe/databases/(default)/documents/probe/missing', update: { name: '' },
        has_current_document: true, current_document: { has_exists: true, exists: true } as unknown as V1Write['current_document'] });
    } catch (error: unknown) {
      return error as Error & { code: number };
    }
    throw new Error('@firestore-emulator/server changed behaviour: a delete of a missing document that must exist was not refused');
  })();
  const EmulatorError = refusal.constructor as new (code: number, message: string) => Error;
  const FAILED_PRECONDITION = 9;
  let last = 0;
  state.writeV1Document = (date, v1) => {
    if (v1.has_current_document && v1.current_document.has_update_time) {
      const path = v1.has_delete ? v1.delete : v1.update.name;
      const { seconds, nanos } = v1.current_document.update_time;
      const required = (typeof seconds === 'number' ? seconds : seconds.toNumber()) * 1000 + Math.floor(nanos / 1e6);
      const { metadata } = state.getDocument(path);
      if (!metadata.hasExist || metadata.updatedAt.getTime() !== required) {
        throw new EmulatorError(FAILED_PRECONDITION, `the stored version of ${path} does not match the required base version`);
      }
    }
    last = Math.max(date.getTime(), last + 1);
    return write(new Date(last), v1);
  };
}

// Runs the Firestore emulator (@firestore-emulator/server, Firestore's gRPC API in-process) as its
// own process of the stack, so tests can stop and restart it like any other store.
//
//   node --import tsx test/stack/firestore-emulator.ts <port> [<stack run dir>]
//
// The run directory only names the process (its command line), so checks for leftover processes
// of a stack find the emulator as they find every other component.
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

// MongoDB's readiness probe: the server answers `ping` — as `mongosh --eval "db.adminCommand('ping')"`
// asked before, without starting a JavaScript runtime every 10 s. mongosh is a Node process: each
// probe cost about a CPU-second of a pod that requests a quarter of a CPU (make bench: "probe
// cost"). This one is bash, from the official image (Ubuntu), writing one OP_MSG to the server over
// /dev/tcp and reading the reply's `ok: 1` — a few milliseconds of CPU.
//
// `ping` needs no authentication ("the ping command does not require authentication": MongoDB's
// list of commands allowed before auth), so the probe holds no credential, as mongosh's did not.
// The message (MongoDB Wire Protocol, OP_MSG, opCode 2013): a 16-byte header, flagBits 0, one kind-0
// section holding the BSON document {ping: 1, $db: "admin"}. The unit test rebuilds it with the
// driver's BSON serializer and the stack's FerretDB answers it (store-runtime test).

/** OP_MSG {ping: 1, $db: "admin"}, as bytes. */
export const PING_OP_MSG = Buffer.from(
  '33000000' + '01000000' + '00000000' + 'dd070000' // messageLength 51, requestID 1, responseTo 0, opCode 2013
  + '00000000' + '00' // flagBits, section kind 0
  + '1e000000' + '1070696e670001000000' + '022464620006000000' + '61646d696e00' + '00', // {ping: int32 1, $db: "admin"}
  'hex',
);

/** `ok` as the double 1.0 (mongod, FerretDB) or the int32 1, as hex in the reply's body. */
const OK = ['016f6b00000000000000f03f', '106f6b0001000000'];

/** The probe's script: connect, send, read the reply's length, then the reply, and look for `ok: 1`. */
export function pingScript(host: string, port: number): string {
  const bytes = [...PING_OP_MSG].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  return [
    `exec 3<>/dev/tcp/${host}/${String(port)}`,
    `printf '${bytes}' >&3`,
    // The reply's length (its first four bytes, little-endian), then exactly the rest: the server
    // keeps the connection open, so reading "to the end" would wait for the probe's timeout.
    `n=$(head -c 4 <&3 | od -An -tu4 | tr -d ' ')`,
    `[ "\${n:-0}" -gt 20 ] && [ "$n" -lt 1048576 ] || exit 1`,
    `head -c $((n - 4)) <&3 | od -An -v -tx1 | tr -d ' \\n' | grep -qE '${OK.join('|')}'`,
  ].join('\n');
}

/** The container's readiness probe command. */
export function mongodbPingProbe(port: number): string[] {
  return ['bash', '-c', pingScript('127.0.0.1', port)];
}

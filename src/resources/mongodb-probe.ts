// MongoDB's readiness probe: the server answers `ping` — as `mongosh --eval "db.adminCommand('ping')"`
// asked before, without starting a JavaScript runtime every 10 s. mongosh is a Node process: each
// probe cost 1.4 CPU-seconds, 58 % of the small tier's 250m request (make bench-probes). This one is
// bash, from the official image (Ubuntu), writing one OP_MSG to the server over /dev/tcp and reading
// the reply's `ok: 1`: 12 ms a probe, 0.5 % of the request.
//
// `ping` needs no authentication — MongoDB's release notes for 2.0, "Most Commands Require
// Authentication", list it among the commands that do not (with isMaster, buildInfo, getnonce), and
// the stack's FerretDB answers it unauthenticated too — so the probe holds no credential, as mongosh's did not.
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

/**
 * The probe's script: connect, send, read the reply's length, then the reply, and look for `ok: 1`.
 * Bash builtins only — every extra process (head, od, grep) costs a fork and an exec each period.
 * Bytes are read one at a time (`read -d ''` returns a NUL byte as an empty string) and kept as hex;
 * exactly the reply's length is read, since the server keeps the connection open.
 */
export function pingScript(host: string, port: number): string {
  const bytes = [...PING_OP_MSG].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  return [
    'export LC_ALL=C',
    `exec 3<>/dev/tcp/${host}/${String(port)} || exit 1`,
    `printf '${bytes}' >&3`,
    'take() { hex=; for ((i = 0; i < $1; i++)); do IFS= read -r -d \'\' -n 1 -t 4 c <&3 || exit 1; printf -v h %02x "\'$c"; hex+=$h; done; }',
    'take 4',
    'n=$((16#${hex:6:2}${hex:4:2}${hex:2:2}${hex:0:2}))',
    '((n > 20 && n < 1048576)) || exit 1',
    'take $((n - 4))',
    `[[ $hex == *${OK[0] ?? ''}* || $hex == *${OK[1] ?? ''}* ]]`,
  ].join('\n');
}

/** The container's readiness probe command. */
export function mongodbPingProbe(port: number): string[] {
  return ['bash', '-c', pingScript('127.0.0.1', port)];
}

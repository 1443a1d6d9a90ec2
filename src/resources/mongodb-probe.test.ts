import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { BSON } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { mongodbPingProbe, PING_OP_MSG, pingScript } from './mongodb-probe.js';

const run = promisify(execFile);

/** An OP_MSG as the wire protocol frames it: header, flagBits, one kind-0 section. */
function opMsg(document: Record<string, unknown>, requestId: number, responseTo = 0): Buffer {
  const body = Buffer.from(BSON.serialize(document));
  const header = Buffer.alloc(21);
  header.writeInt32LE(21 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(2013, 12);
  return Buffer.concat([header, body]);
}

describe('the MongoDB readiness probe', () => {
  it('sends OP_MSG {ping: 1, $db: "admin"}, byte for byte as the driver\'s BSON would frame it', () => {
    expect(PING_OP_MSG.equals(opMsg({ ping: 1, $db: 'admin' }, 1))).toBe(true);
  });

  it('is bash the image has, with no credential and no JavaScript runtime', () => {
    const [shell, flag, script] = mongodbPingProbe(27017);
    expect([shell, flag]).toEqual(['bash', '-c']);
    expect(script).toContain('/dev/tcp/127.0.0.1/27017');
    expect(script).not.toMatch(/mongosh|node|PASSWORD|--pass/i);
  });

  // The script's framing and verdict, against a server that answers as told; store-runtime.test.ts
  // runs it against the stack's FerretDB.
  describe('reading the reply', () => {
    let server: Server | undefined;
    afterEach(() => { server?.close(); });
    const answering = async (reply: (request: Buffer) => Buffer | undefined): Promise<number> => {
      server = createServer((socket) => {
        socket.once('data', (request) => { const out = reply(request); if (out !== undefined) socket.write(out); });
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve); });
      const address = server.address();
      return typeof address === 'object' && address !== null ? address.port : 0;
    };
    const probe = async (port: number) => run('bash', ['-c', pingScript('127.0.0.1', port)], { timeout: 5000 }).then(() => true, () => false);

    it.each([
      ['ok: 1.0, as mongod answers', { ok: 1.0 }, true],
      ['ok: 1 with more fields (a replica set member\'s $clusterTime)', { $clusterTime: { clusterTime: new BSON.Timestamp({ t: 1, i: 1 }) }, operationTime: new BSON.Timestamp({ t: 1, i: 1 }), ok: 1.0 }, true],
      ['ok: 0 (an error)', { ok: 0, errmsg: 'not ready', code: 91 }, false],
    ])('%s → %s', async (_name, document, ready) => {
      const port = await answering((request) => (request.equals(PING_OP_MSG) ? opMsg(document, 7, 1) : undefined));
      expect(await probe(port)).toBe(ready);
    });

    it('fails on a closed port', async () => {
      const port = await answering(() => undefined);
      server?.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await probe(port)).toBe(false);
    });

    it('fails on a server that is not MongoDB (a short, unframed answer)', async () => {
      expect(await probe(await answering(() => Buffer.from('-ERR unknown command\r\n')))).toBe(false);
    });
  });
});

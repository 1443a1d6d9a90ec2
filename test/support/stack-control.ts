import { createServer, type Server } from 'node:http';
import type { Component, Stack } from '../../stack/stack.js';

/** How long a take waits before answering "not yet" (fetch's own header timeout is 300 s). */
const CROWD_POLL_MS = 20_000;
/** A holder that never gives the slot back (its worker died) loses it after the longest test's timeout. */
const CROWD_LEASE_MS = 15 * 60_000;

/**
 * The crowd slot: one test at a time, across every stack of the run, that starts a crowd (a hundred
 * Gaims: hundreds of store and seed processes). On two cores, two crowds at once starved each other
 * and every file beside them (on one machine: 38 minutes and eight tests failed, each a wait cut
 * by its test's timeout, where each crowd alone takes about five). Module state: every stack's control
 * server runs in the process that owns the stacks, and shares it.
 */
export class CrowdSlot {
  #holder: { id: string; until: number } | undefined;
  readonly #waiters = new Set<() => void>();

  /** Resolves true once `holder` has the slot, or false after `waitMs` without it (ask again). */
  async take(holder: string, waitMs: number, now = Date.now): Promise<boolean> {
    const deadline = now() + waitMs;
    for (;;) {
      if (this.#holder !== undefined && this.#holder.until <= now()) this.#holder = undefined;
      if (this.#holder === undefined || this.#holder.id === holder) {
        this.#holder = { id: holder, until: now() + CROWD_LEASE_MS };
        return true;
      }
      const left = Math.min(deadline, this.#holder.until) - now();
      if (deadline <= now()) return false;
      await new Promise<void>((resolve) => {
        const wake = () => { clearTimeout(timer); this.#waiters.delete(wake); resolve(); };
        const timer = setTimeout(wake, Math.max(left, 1));
        this.#waiters.add(wake);
      });
    }
  }

  /** Gives the slot back if `holder` has it; the waiters race for it. */
  give(holder: string): void {
    if (this.#holder?.id !== holder) return;
    this.#holder = undefined;
    for (const wake of [...this.#waiters]) wake();
  }
}
const crowdSlot = new CrowdSlot();

/**
 * A small HTTP API in the process that owns the stack, so tests in worker processes can stop and
 * start components (fault tests) and compact etcd:
 *   POST /components/<name>/stop | /start | /restart | /pause | /resume (SIGSTOP / SIGCONT),  POST /etcd/compact,
 *   POST /stores/<mongodb|redis>/cut | /silence | /heal [?namespace=NS] (connections refused, or accepted and never answered, between the operator and those stores)
 *   POST /resizes/<controller|node>/hold | /release ?namespace=NS (a slow resize, each step watchable)
 *   POST /snapshots/hold | /release ?namespace=NS (a slow snapshot driver for a namespace's claims)
 *   POST /provisioning/hold | /release ?namespace=NS (a slow driver provisioning a namespace's claims)
 *   POST /crowd/take | /give ?holder=ID (the one crowd slot, shared by every stack: crowdSlot below)
 */
export async function startControlServer(stack: Stack): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: string) => { res.writeHead(status, { 'content-type': 'text/plain' }).end(body); };
    const url = new URL(req.url ?? '/', 'http://control');
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method !== 'POST') {
      reply(405, 'POST only');
      return;
    }
    let action: Promise<unknown>;
    if (parts[0] === 'components' && parts.length === 3) {
      const name = parts[1] as Component;
      const verb = parts[2];
      action = verb === 'stop' ? stack.stopComponent(name)
        : verb === 'start' ? stack.startComponent(name)
          : verb === 'restart' ? stack.restartComponent(name)
            : verb === 'pause' || verb === 'resume' ? Promise.resolve().then(() => { stack.pauseComponent(name, verb === 'pause'); })
              : Promise.reject(new Error(`unknown action ${String(verb)}`));
    } else if (parts[0] === 'stores' && parts.length === 3 && (parts[1] === 'mongodb' || parts[1] === 'redis') && (parts[2] === 'cut' || parts[2] === 'silence' || parts[2] === 'heal')) {
      action = stack.partitionStores(parts[1], parts[2], url.searchParams.get('namespace') ?? undefined);
    } else if (parts[0] === 'resizes' && parts.length === 3 && (parts[1] === 'controller' || parts[1] === 'node') && (parts[2] === 'hold' || parts[2] === 'release')) {
      const namespace = url.searchParams.get('namespace');
      if (namespace !== null) stack.holdResizes(parts[1], namespace, parts[2] === 'hold');
      action = namespace === null ? Promise.reject(new Error('namespace is required')) : Promise.resolve();
    } else if (parts[0] === 'provisioning' && parts.length === 2 && (parts[1] === 'hold' || parts[1] === 'release')) {
      const namespace = url.searchParams.get('namespace');
      if (namespace !== null) stack.holdProvisioning(namespace, parts[1] === 'hold');
      action = namespace === null ? Promise.reject(new Error('namespace is required')) : Promise.resolve();
    } else if (parts[0] === 'snapshots' && parts.length === 2 && (parts[1] === 'hold' || parts[1] === 'release')) {
      const namespace = url.searchParams.get('namespace');
      if (namespace !== null) stack.holdSnapshots(namespace, parts[1] === 'hold');
      action = namespace === null ? Promise.reject(new Error('namespace is required')) : Promise.resolve();
    } else if (parts[0] === 'crowd' && parts.length === 2 && (parts[1] === 'take' || parts[1] === 'give')) {
      const holder = url.searchParams.get('holder');
      action = holder === null ? Promise.reject(new Error('holder is required'))
        : parts[1] === 'take' ? crowdSlot.take(holder, CROWD_POLL_MS).then((granted) => (granted ? 1 : 0)) : Promise.resolve().then(() => { crowdSlot.give(holder); });
    } else if (parts.join('/') === 'etcd/compact') {
      action = stack.compactEtcd();
    } else {
      reply(404, 'not found');
      return;
    }
    action.then((value) => { reply(200, typeof value === 'number' ? String(value) : 'ok'); }, (error: unknown) => { reply(500, error instanceof Error ? error.message : String(error)); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('control server has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => { server.close(() => { resolve(); }); server.closeAllConnections(); }),
  };
}

import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Probes {
  /** The process is alive and its event loop turns. */
  healthy(): boolean;
  /** Caches are synced and, on the leader, workers run. Returns the reason when not ready. */
  ready(): string | undefined;
}

function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** `/healthz` and `/readyz` on one port, `/metrics` (and `/debug/memory`) on another, as controller-runtime serves them. */
export async function startServers(options: { host: string; healthPort: number; metricsPort: number; probes: Probes; registry: Registry }): Promise<() => Promise<void>> {
  const health = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      const ok = options.probes.healthy();
      res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'unhealthy');
    } else if (path === '/readyz') {
      const reason = options.probes.ready();
      res.writeHead(reason === undefined ? 200 : 503, { 'content-type': 'text/plain' }).end(reason ?? 'ok');
    } else {
      res.writeHead(404).end();
    }
  });
  const metrics = createServer((req, res) => {
    // The process's memory now, cheaply (the benchmark reads it every second; /metrics is far larger).
    if ((req.url ?? '').split('?')[0] === '/debug/memory') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(process.memoryUsage()));
      return;
    }
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    options.registry.metrics().then(
      (text) => { res.writeHead(200, { 'content-type': options.registry.contentType }).end(text); },
      (error: unknown) => { res.writeHead(500).end(String(error)); },
    );
  });
  await listen(health, options.healthPort, options.host);
  await listen(metrics, options.metricsPort, options.host);
  return async () => {
    await Promise.all([health, metrics].map((server) => new Promise<void>((resolve) => {
      server.close(() => { resolve(); });
      server.closeAllConnections();
    })));
  };
}

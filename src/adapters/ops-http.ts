/**
 * The operator's HTTP listener (`[metrics] listen`): `/metrics`, `/healthz`, `/readyz`.
 *
 * Why one small node:http server and no framework: three read-only routes, scraped
 * every few seconds by Prometheus and an orchestrator.
 *
 * Rules kept:
 * - `/healthz` answers 200 while the process runs its event loop (liveness);
 * - `/readyz` answers 200 only when every readiness check passes (the component link
 *   is online, the database is writable), else 503 with one line per failing check;
 * - `/metrics` is the Prometheus text exposition;
 * - GET and HEAD only (405 otherwise), anything else 404; bodies are small text;
 * - bounded: at most MAX_SOCKETS sockets, a request must arrive within
 *   REQUEST_TIMEOUT_MS; the server never keeps the process alive (unref), so
 *   shutdown needs nothing from it.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

const MAX_SOCKETS = 32;
const REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;

export interface OpsHttpOptions {
  host: string;
  port: number;
  log: Logger;
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Why the gateway is not ready, one reason per failing check; empty when ready. */
  notReady(): string[];
}

export interface OpsHttpServer {
  address: AddressInfo;
  close(): Promise<void>;
}

export class ListenError extends Error {
  override name = 'ListenError';
}

function reply(res: http.ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export async function startOpsHttp(opts: OpsHttpOptions): Promise<OpsHttpServer> {
  const { log } = opts;
  // node:http is loaded here, not at start: a gateway without a metrics listener never needs it (issue 11 §3).
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      reply(res, 405, 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        reply(res, 200, 'ok\n');
        return;
      case '/readyz': {
        const reasons = opts.notReady();
        reply(res, reasons.length === 0 ? 200 : 503, reasons.length === 0 ? 'ready\n' : `${reasons.join('\n')}\n`);
        return;
      }
      case '/metrics':
        opts.scrape().then(
          ({ contentType, body }) => reply(res, 200, body, contentType),
          (err: unknown) => {
            log.error({ err }, 'collecting metrics failed');
            reply(res, 500, 'collecting metrics failed\n');
          },
        );
        return;
      default:
        reply(res, 404, 'not found\n');
    }
  });
  server.maxConnections = MAX_SOCKETS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ListenError(`cannot listen on ${opts.host}:${opts.port} for metrics: ${err.code ?? err.message}`)),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('error', (err) => log.error({ err }, 'metrics listener error'));
  server.unref();
  const address = server.address() as AddressInfo;
  log.info({ address: address.address, port: address.port }, 'metrics listening');
  return {
    address,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

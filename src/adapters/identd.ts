/**
 * The ident server (RFC 1413) for the gateway's IRC connections.
 *
 * Why: IRC servers ask identd who owns a connection; answering with a per-user ident
 * lets a network tell the gateway's users apart. The protocol is core/ident.ts; this
 * module is the socket side.
 *
 * Rules kept:
 * - one query per connection: the reply is written and the socket ended (RFC 1413 §2
 *   lets either side close after a reply);
 * - a connection is ours only if the pool has a socket with exactly that port pair to
 *   the host that asks (the lookup checks the peer address), else NO-USER;
 * - bounded, so a slow or hostile client cannot hold sockets: at most `maxSockets` at
 *   once (more are closed on accept), `timeoutMs` of silence ends a socket, and a line
 *   longer than IDENT_MAX_QUERY_BYTES ends it without a reply; a line that is not a
 *   query ends it without a reply too;
 * - logs at debug only (one line per query); never throws out of a socket event.
 */
import net from 'node:net';
import { IDENT_MAX_QUERY_BYTES, identReply, invalidPortReply, parseIdentQuery } from './ident-protocol.js';
import type { Logger } from '../log.js';
import { ListenError } from './ops-http.js';

export interface IdentdOptions {
  /** Undefined: every address. */
  host: string | undefined;
  port: number;
  log: Logger;
  /** The ident of the connection from our `localPort` to `peer`:`remotePort`, if it is ours. */
  lookup(localPort: number, remotePort: number, peer: string): string | undefined;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 64. */
  maxSockets?: number;
}

export interface IdentdServer {
  address: net.AddressInfo;
  close(): Promise<void>;
}

export async function startIdentd(opts: IdentdOptions): Promise<IdentdServer> {
  const { log } = opts;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.setTimeout(timeoutMs, () => socket.destroy());
    let buffered = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      try {
        buffered += chunk;
        const nl = buffered.indexOf('\n');
        if (nl < 0) {
          if (buffered.length > IDENT_MAX_QUERY_BYTES) socket.destroy();
          return;
        }
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        socket.removeAllListeners('data');
        const query = line.length <= IDENT_MAX_QUERY_BYTES ? parseIdentQuery(line) : undefined;
        if (query === undefined) {
          socket.destroy();
          return;
        }
        if (query.kind === 'invalid-port') {
          socket.end(`${invalidPortReply(query.localPort, query.remotePort)}\r\n`);
          return;
        }
        const peer = socket.remoteAddress ?? '';
        const ident = opts.lookup(query.localPort, query.remotePort, peer);
        log.debug({ localPort: query.localPort, remotePort: query.remotePort, peer, found: ident !== undefined }, 'ident query');
        socket.end(`${identReply(query.localPort, query.remotePort, ident)}\r\n`);
      } catch (err) {
        log.error({ err }, 'ident query failed');
        socket.destroy();
      }
    });
  });
  server.maxConnections = opts.maxSockets ?? 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ListenError(`cannot listen on ${opts.host ?? '*'}:${opts.port} for identd: ${err.code ?? err.message}`)),
    );
    server.listen({ port: opts.port, host: opts.host }, () => resolve());
  });
  server.on('error', (err) => log.error({ err }, 'identd listener error'));
  server.unref();
  const address = server.address() as net.AddressInfo;
  log.info({ address: address.address, port: address.port }, 'identd listening');
  return { address, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Listener addresses as the operator writes them: `host:port`, `[v6]:port` or a bare port.
 *
 * Why one parser: `[metrics] listen` and `[identd] listen` share the syntax, and the
 * schema validates with the same function the adapters use, so what passes
 * `check-config` is what binds.
 *
 *     parseListen('9107')            → { host: undefined, port: 9107 }
 *     parseListen('127.0.0.1:9107')  → { host: '127.0.0.1', port: 9107 }
 *     parseListen('[::1]:113')       → { host: '::1', port: 113 }
 *     parseListen('localhost:0')     → { host: 'localhost', port: 0 }  (any free port)
 *
 * A bare port leaves the host to the caller: metrics then binds loopback, identd every
 * address (the IRC server asks from outside).
 */
import net from 'node:net';

export interface ListenAddress {
  /** Undefined when only a port was given. */
  host: string | undefined;
  port: number;
}

export function parseListen(text: string): ListenAddress | undefined {
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):)?(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const v6 = m[1];
  if (v6 !== undefined && net.isIPv6(v6) === false) return undefined;
  return { host: v6 ?? m[2], port };
}

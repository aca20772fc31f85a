/**
 * The Identification Protocol (RFC 1413), as pure functions: the query parsed, the
 * reply built, and which ident a user gets.
 *
 * Why: an IRC server that asks identd about a connection learns which of the
 * gateway's users it is, so a network can ban one user instead of the whole gateway.
 * The socket side is identd.ts. It lives with the adapters, not in src/core, because it
 * hashes with node:crypto and only the adapters use it.
 *
 * Worked examples (RFC 1413 §6, from our side: the first port is ours):
 *
 *     parseIdentQuery('6193, 23')          → { kind: 'query', localPort: 6193, remotePort: 23 }
 *     parseIdentQuery('70000 , 23')        → { kind: 'invalid-port', localPort: '70000', remotePort: '23' }
 *     parseIdentQuery('hello')             → undefined (not a query: close without a reply)
 *     identReply('6193', '23', 'k3a9')     → '6193 , 23 : USERID : UNIX : k3a9'
 *     identReply('6195', '23', undefined)  → '6195 , 23 : ERROR : NO-USER'
 *     identFor('Alice@example.org', 'localpart') → 'alice'
 *     identFor('al\\20ice@example.org', 'localpart') → identFor(…, 'hash'), 10 hex digits
 */
import { createHash } from 'node:crypto';

export type IdentQuery =
  | { kind: 'query'; localPort: number; remotePort: number }
  /** RFC 1413 §6 INVALID-PORT: the shape of a query with a port out of 1–65535. */
  | { kind: 'invalid-port'; localPort: string; remotePort: string };

export type IdentMode = 'hash' | 'localpart';

/** The longest query line we read; a real one is at most 13 characters plus spaces. */
export const IDENT_MAX_QUERY_BYTES = 128;

/** A query line without its CR LF; undefined when it is not a query at all. */
export function parseIdentQuery(line: string): IdentQuery | undefined {
  const m = /^[ \t]*(\d{1,10})[ \t]*,[ \t]*(\d{1,10})[ \t]*$/.exec(line);
  if (!m) return undefined;
  const [, l = '', r = ''] = m;
  const localPort = Number(l);
  const remotePort = Number(r);
  const valid = (p: number): boolean => p >= 1 && p <= 65535;
  return valid(localPort) && valid(remotePort)
    ? { kind: 'query', localPort, remotePort }
    : { kind: 'invalid-port', localPort: l, remotePort: r };
}

/** The reply line without CR LF (RFC 1413 §6): USERID with the ident, else ERROR : NO-USER. */
export function identReply(localPort: number | string, remotePort: number | string, ident: string | undefined): string {
  return ident === undefined
    ? `${localPort} , ${remotePort} : ERROR : NO-USER`
    : `${localPort} , ${remotePort} : USERID : UNIX : ${ident}`;
}

export function invalidPortReply(localPort: string, remotePort: string): string {
  return `${localPort} , ${remotePort} : ERROR : INVALID-PORT`;
}

/** An ident an IRC server takes as is: at most 10 characters (a common USERLEN), no `~` or `@`. */
const IRC_SAFE_IDENT = /^[a-z0-9][a-z0-9._-]{0,9}$/;

/** A user's ident: stable for a bare JID, whatever the connection. */
export function identFor(bareJid: string, mode: IdentMode): string {
  const jid = bareJid.toLowerCase();
  if (mode === 'localpart') {
    const at = jid.indexOf('@');
    const local = at > 0 ? jid.slice(0, at) : '';
    if (IRC_SAFE_IDENT.test(local)) return local;
  }
  return createHash('sha256').update(jid).digest('hex').slice(0, 10);
}

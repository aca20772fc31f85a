/**
 * Effects: what the pure core asks the adapters to do, and the IRC-side inputs it takes.
 *
 * Why: the core takes inputs (a stanza, an IRC line, a connection event, a timer tick)
 * and returns these values; only adapters perform IO. This keeps every bridging rule
 * testable without sockets (../shared/STYLE.md, "A pure core").
 *
 * An IRC connection is named by its `ConnKey`: one per (XMPP bare JID, network).
 */
import type { Element } from '@xmpp/xml';

/** `${bareJid} ${network}` — a space never occurs in either part. */
export type ConnKey = string & { readonly __connKey: true };

export function connKey(bareJid: string, network: string): ConnKey {
  return `${bareJid} ${network}` as ConnKey;
}

/** What the IRC adapter needs to open one connection. */
export interface IrcConnectParams {
  /** Network name as in addresses (also the TLS server name when `host` is not set). */
  network: string;
  host: string;
  port: number;
  tls: boolean;
  nick: string;
  username: string;
  realname: string;
  /** When false, the adapter refuses hosts that resolve to loopback, private or link-local addresses. */
  allowPrivateAddresses: boolean;
  /** PASS sent before registration (RFC 2812 §3.1.1), if any. */
  serverPassword?: string;
  /** SASL PLAIN credentials (IRCv3 sasl-3.1), if any. */
  sasl?: { account: string; password: string };
  /** Verify the TLS certificate (default true; a user may turn it off for a self-signed server). */
  verifyCertificate?: boolean;
  /** WHATWG label of the encoding for lines that are not valid UTF-8 (the user's setting). */
  encoding?: string;
  /**
   * Strings this connection's trace log must not show: the after-connect commands and
   * the NickServ password. Scoped to this connection's own wire lines (issue 8 §2): no
   * user's data can change what any other log line says. `serverPassword` and
   * `sasl.password` are always included.
   */
  traceSecrets?: readonly string[];
}

export type Effect =
  | { kind: 'send-stanza'; stanza: Element }
  /** Open an IRC connection; the adapter answers with `registered`, or `closed`. */
  | { kind: 'irc-connect'; key: ConnKey; params: IrcConnectParams }
  /** Send lines already built by `irc-writer.ts` (never raw user text), paced by the adapter. */
  | { kind: 'irc-send'; key: ConnKey; lines: string[] }
  /** Send QUIT with this message and close; the adapter answers with `closed`. */
  | { kind: 'irc-quit'; key: ConnKey; message: string }
  /** Call `onTimer(id)` after `delayMs`; a timer with the same id is replaced. */
  | { kind: 'set-timer'; id: string; delayMs: number }
  | { kind: 'clear-timer'; id: string };

/** IRC connection events reported by the adapter (raw lines go to `onIrcLine`). */
export type IrcConnEvent =
  /** Registration finished (RPL_WELCOME 001): `nick` is the nick the server gave us. */
  | { kind: 'registered'; nick: string }
  /**
   * The connection waits for a free dial slot (`irc.parallel_connects`): neither the
   * connect timeout nor the joins' timers run until `dialing`.
   */
  | { kind: 'waiting' }
  /** The connection that was `waiting` is being dialled now: the timers run from here. */
  | { kind: 'dialing' }
  /** The connection ended or could not be made; `refused` when the gateway's policy refused it. */
  | { kind: 'closed'; reason: string; refused?: boolean };

export function sendStanza(stanza: Element): Effect {
  return { kind: 'send-stanza', stanza };
}

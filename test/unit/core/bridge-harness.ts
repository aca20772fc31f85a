/**
 * A scenario harness for the pure bridge: a GatewayCore and a Bridge built as
 * src/main.ts builds them, with no sockets. The test plays both peers: it sends
 * stanzas as the XMPP server would deliver them, and raw lines and connection events
 * as the IRC adapter would report them; it asserts on the effects that come back.
 *
 * Why a harness: the join handshake (connect → registered → JOIN → 353/366) is
 * repeated by almost every scenario; `joinChannel` drives it once, as STYLE.md's
 * "reusable steps" ask.
 *
 * Rule kept for every test that uses it: every effect of every input goes through
 * `assertWireSafe`, so no IRC line, QUIT message or connect parameter ever carries CR,
 * LF or NUL (issue 3 §4) without the test that produced it failing.
 */
import type { Archive } from '../../../src/core/history/archive-port.js';
import type { ChannelStore, ContactStore, IdentityStore } from '../../../src/core/ports.js';
import type { RoomEncodingStore } from '../../../src/core/ports.js';
import xml, { type Element } from '@xmpp/xml';
import { expect } from 'vitest';
import { Bridge } from '../../../src/core/bridge/index.js';
import { connKey, type ConnKey, type Effect, type IrcConnEvent } from '../../../src/core/effects.js';
import { GatewayCore } from '../../../src/core/gateway.js';
import { silentLog } from '../../../src/core/log-port.js';

export const GW = 'irc.example.org';
export const NET = 'irc.example.net';
export const OTHER_NET = 'irc.other.net';
export const USER_DOMAIN = 'example.org';
export const IRC_SERVER = 'irc.local';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
export const NS_PING = 'urn:xmpp:ping';
export const NS_STANZA_ID = 'urn:xmpp:sid:0';
export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';

export interface ScenarioOptions {
  fixedNetwork?: string;
  maxChannelsPerUser?: number;
  maxConnectionsPerUser?: number;
  /** Networks users may reach; default NET and OTHER_NET. */
  networks?: readonly string[];
  joinTimeoutMs?: number;
  identities?: IdentityStore;
  channels?: ChannelStore;
  roomEncodings?: RoomEncodingStore;
  contacts?: ContactStore;
  archive?: Archive;
  /** XEP-0421 occupant ids, as `oid(<seed>)` so tests can read what they were made from. */
  occupantIds?: boolean;
}

/** One XMPP client of a user. */
export interface User {
  local: string;
  bare: string;
  full: string;
}

export function user(local: string, resource = 'laptop'): User {
  const bare = `${local}@${USER_DOMAIN}`;
  return { local, bare, full: `${bare}/${resource}` };
}

/** Fails the test when an effect could put CR, LF or NUL on the IRC wire. */
export function assertWireSafe(effects: readonly Effect[]): void {
  const bad = /[\r\n\0]/;
  for (const e of effects) {
    const texts =
      e.kind === 'irc-send'
        ? e.lines
        : e.kind === 'irc-quit'
          ? [e.message]
          : e.kind === 'irc-connect'
            ? [e.params.nick, e.params.username, e.params.realname, e.params.host]
            : [];
    for (const t of texts) {
      if (bad.test(t)) throw new Error(`${e.kind} carries CR, LF or NUL: ${JSON.stringify(t)}`);
    }
  }
}

export class Scenario {
  readonly core: GatewayCore;
  readonly bridge: Bridge;
  readonly fixed: boolean;
  /** Every effect of this scenario, in order. */
  readonly all: Effect[] = [];

  constructor(opts: ScenarioOptions = {}) {
    let n = 0;
    const networks = new Set(opts.networks ?? [NET, OTHER_NET]);
    this.fixed = opts.fixedNetwork !== undefined;
    // A variable, not a literal: options the Bridge of this checkout does not know yet
    // (it is edited alongside) are not an excess-property error.
    const bridgeOptions = {
      domain: GW,
      fixedNetwork: opts.fixedNetwork,
      network: (name: string) => (networks.has(name) ? { host: name, port: 6697, tls: true } : undefined),
      allowPrivateAddresses: false,
      maxConnectionsPerUser: opts.maxConnectionsPerUser ?? 5,
      maxChannelsPerUser: opts.maxChannelsPerUser ?? 20,
      joinTimeoutMs: opts.joinTimeoutMs ?? 30_000,
      reconnectBaseMs: 2_000,
      reconnectCapMs: 300_000,
      newId: () => `gen-${++n}`,
      random: () => 0.5,
      now: () => 1_700_000_000_000,
      log: silentLog,
      identities: opts.identities,
      channels: opts.channels,
      roomEncodings: opts.roomEncodings,
      contacts: opts.contacts,
      archive: opts.archive,
      occupantId: opts.occupantIds ? (seed: string) => `oid(${seed})` : undefined,
      restoreSpacingMs: 1000,
    };
    this.core = new GatewayCore({
      domain: GW,
      allowedDomains: [USER_DOMAIN],
      software: { name: 'Jabirc', version: '0.0.0-test' },
      log: silentLog,
      fixedNetwork: opts.fixedNetwork,
      bridge: (this.bridge = new Bridge(bridgeOptions)),
    });
  }

  #record(effects: Effect[]): Effect[] {
    assertWireSafe(effects);
    this.all.push(...effects);
    return effects;
  }

  // ------------------------------------------------------------ addresses

  room(channel: string, network = NET): string {
    return this.fixed ? `${channel}@${GW}` : `${channel}%${network}@${GW}`;
  }
  occupant(channel: string, nick: string, network = NET): string {
    return `${this.room(channel, network)}/${nick}`;
  }
  ircUser(nick: string, network = NET): string {
    return this.fixed ? `${nick}@${GW}` : `${nick}%${network}@${GW}`;
  }
  /** The outlines (see `outline`) of a complete room state: the others, self, subject. */
  roomState(channel: string, others: readonly string[], self: string): string[] {
    return [...others.map((n) => `presence ${this.occupant(channel, n)}`), `presence ${this.occupant(channel, self)}`, `subject ${this.room(channel)}`];
  }
  key(u: User, network = NET): ConnKey {
    return connKey(u.bare, network);
  }

  // ------------------------------------------------------------ inputs

  stanza(el: Element): Effect[] {
    return this.#record(this.core.onStanza(el));
  }
  irc(u: User, ...lines: string[]): Effect[] {
    return this.ircOn(u, NET, ...lines);
  }
  ircOn(u: User, network: string, ...lines: string[]): Effect[] {
    return lines.flatMap((line) => this.#record(this.core.onIrcLine(this.key(u, network), line)));
  }
  event(u: User, ev: IrcConnEvent, network = NET): Effect[] {
    return this.#record(this.core.onIrcEvent(this.key(u, network), ev));
  }
  timer(id: string): Effect[] {
    return this.#record(this.core.onTimer(id));
  }

  // ------------------------------------------------------------ steps

  /** The join presence of XEP-0045 §7.2.2. */
  joinPresence(u: User, channel: string, nick = u.local, network = NET, children: Element[] = []): Element {
    return xml('presence', { from: u.full, to: this.occupant(channel, nick, network) }, xml('x', { xmlns: NS_MUC }, ...children));
  }

  join(u: User, channel: string, nick = u.local, network = NET): Effect[] {
    return this.stanza(this.joinPresence(u, channel, nick, network));
  }

  leave(u: User, channel: string, nick = u.local, network = NET): Effect[] {
    return this.stanza(xml('presence', { from: u.full, to: this.occupant(channel, nick, network), type: 'unavailable' }));
  }

  /**
   * The IRC side of registration: CAP ACK (when caps are given), 001 as the adapter's
   * `registered` event, then 005 with a full PREFIX. Returns what the bridge did.
   */
  register(u: User, opts: { nick?: string; caps?: string[]; isupport?: string[]; network?: string } = {}): Effect[] {
    const nick = opts.nick ?? u.local;
    const network = opts.network ?? NET;
    const out: Effect[] = [];
    if (opts.caps?.length) out.push(...this.ircOn(u, network, `:${IRC_SERVER} CAP * ACK :${opts.caps.join(' ')}`));
    out.push(...this.event(u, { kind: 'registered', nick }, network));
    const tokens = opts.isupport ?? ['PREFIX=(qaohv)~&@%+', 'CHANTYPES=#&', 'CASEMAPPING=rfc1459'];
    out.push(...this.ircOn(u, network, `:${IRC_SERVER} 005 ${nick} ${tokens.join(' ')} :are supported by this server`));
    return out;
  }

  /** The server's answer to our JOIN: JOIN echo, optional 332, 353 NAMES, 366. */
  ircJoinReply(u: User, channel: string, opts: { nick?: string; names?: string; topic?: string; network?: string } = {}): Effect[] {
    const nick = opts.nick ?? u.local;
    const lines = [`:${nick}!${u.local}@gateway.host JOIN ${channel}`];
    if (opts.topic !== undefined) lines.push(`:${IRC_SERVER} 332 ${nick} ${channel} :${opts.topic}`);
    lines.push(`:${IRC_SERVER} 353 ${nick} = ${channel} :${opts.names ?? nick}`);
    lines.push(`:${IRC_SERVER} 366 ${nick} ${channel} :End of /NAMES list.`);
    return this.ircOn(u, opts.network ?? NET, ...lines);
  }

  /**
   * The whole handshake of `u` joining `channel`: presence, connect and registration
   * when this is the first use of the network, the JOIN line, and the server's reply.
   * Asserts the JOIN went out once; returns every effect, in order.
   */
  joinChannel(
    u: User,
    channel: string,
    opts: { nick?: string; ircNick?: string; names?: string; topic?: string; caps?: string[]; network?: string } = {},
  ): Effect[] {
    const network = opts.network ?? NET;
    const ircNick = opts.ircNick ?? u.local;
    const out = this.join(u, channel, opts.nick ?? u.local, network);
    if (out.some((e) => e.kind === 'irc-connect')) {
      out.push(...this.register(u, { nick: ircNick, caps: opts.caps, network }));
    }
    expect(ircLines(out).filter((l) => l.startsWith('JOIN ')), `JOIN lines for ${channel}`).toEqual([`JOIN ${channel}`]);
    out.push(...this.ircJoinReply(u, channel, { nick: ircNick, names: opts.names, topic: opts.topic, network }));
    return out;
  }
}

// ------------------------------------------------------------ reading effects

export function stanzas(effects: readonly Effect[]): Element[] {
  return effects.flatMap((e) => (e.kind === 'send-stanza' ? [e.stanza] : []));
}

export function stanzasTo(effects: readonly Effect[], to: string): Element[] {
  return stanzas(effects).filter((s) => s.attrs.to === to);
}

export function ircLines(effects: readonly Effect[]): string[] {
  return effects.flatMap((e) => (e.kind === 'irc-send' ? e.lines : []));
}

export function ofKind<K extends Effect['kind']>(effects: readonly Effect[], kind: K): Array<Extract<Effect, { kind: K }>> {
  return effects.filter((e): e is Extract<Effect, { kind: K }> => e.kind === kind);
}

/** XEP-0045 status codes of a presence, as numbers. */
export function statusCodes(el: Element): number[] {
  return (el.getChild('x', NS_MUC_USER)?.getChildren('status') ?? []).map((s) => Number(s.attrs.code));
}

export function mucItem(el: Element): Element | undefined {
  return el.getChild('x', NS_MUC_USER)?.getChild('item');
}

/** `affiliation/role` of an occupant presence. */
export function standing(el: Element): string {
  const item = mucItem(el);
  return `${item?.attrs.affiliation}/${item?.attrs.role}`;
}

/** The defined condition of an error stanza (RFC 6120 §8.3.3), or undefined. */
export function errorCondition(el: Element): string | undefined {
  return el
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== 'text')?.name;
}

export function errorText(el: Element): string | undefined {
  return el.getChild('error')?.getChildText('text', NS_STANZAS) ?? undefined;
}

export function resourceOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? '' : jid.slice(slash + 1);
}

/** A short line per stanza, for asserting order: `presence #c%n@gw/bob`, `subject`, `message`. */
export function outline(el: Element): string {
  if (el.name === 'message' && el.getChild('subject')) return `subject ${el.attrs.from}`;
  return `${el.name}${el.attrs.type ? `[${el.attrs.type}]` : ''} ${el.attrs.from}`;
}

/**
 * A populated gateway for the benchmark: a GatewayCore and a Bridge built as
 * src/main.ts builds them, with no sockets, filled with users who each have one
 * registered IRC session joined to one channel.
 *
 * Why not test/unit/core/bridge-harness.ts: that harness asserts through vitest and
 * records every effect, which would cost memory and time the benchmark must not count.
 * This one drives the same handshake (presence → connect → 001 → 005 → JOIN echo →
 * 353 → 366) and checks only that each join ended with the room state, so the figures
 * never come from a core that silently stopped doing the work.
 *
 * With `archive` (issue 10 §7), the bridge records every channel line as src/main.ts
 * wires it: the caller passes the store main.ts would build (a database file, the worker
 * writer).
 */
import xml, { type Element } from '@xmpp/xml';
import { Bridge } from '../src/core/bridge/index.js';
import { connKey, type ConnKey, type Effect } from '../src/core/effects.js';
import { GatewayCore } from '../src/core/gateway.js';
import type { Archive } from '../src/core/history/archive-port.js';
import { silentLog } from '../src/core/log-port.js';

export const GW = 'irc.example.org';
export const NET = 'irc.example.net';
export const USER_DOMAIN = 'example.org';
const IRC_SERVER = 'irc.local';
const NS_MUC = 'http://jabber.org/protocol/muc';
const ISUPPORT = 'PREFIX=(qaohv)~&@%+ CHANTYPES=#& CASEMAPPING=rfc1459';

/** One joined user: its session key, its resources, its channel and room. */
export interface Member {
  key: ConnKey;
  bare: string;
  resources: string[];
  nick: string;
  channel: string;
  room: string;
  /** Nicks of the other occupants (IRC users) of the channel. */
  others: string[];
}

export function stanzaCount(effects: readonly Effect[]): number {
  let n = 0;
  for (const e of effects) if (e.kind === 'send-stanza') n++;
  return n;
}

export function ircLineCount(effects: readonly Effect[]): number {
  let n = 0;
  for (const e of effects) if (e.kind === 'irc-send') n += e.lines.length;
  return n;
}

export class World {
  readonly core: GatewayCore;
  readonly bridge: Bridge;
  readonly members: Member[] = [];
  #ids = 0;

  constructor(opts: { archive?: Archive } = {}) {
    this.bridge = new Bridge({
      domain: GW,
      network: (name) => (name === NET ? { host: name, port: 6697, tls: true } : undefined),
      allowPrivateAddresses: false,
      maxConnectionsPerUser: 5,
      maxChannelsPerUser: 20,
      joinTimeoutMs: 30_000,
      reconnectBaseMs: 2_000,
      reconnectCapMs: 300_000,
      newId: () => `b${++this.#ids}`,
      random: () => 0.5,
      now: () => 1_700_000_000_000,
      log: silentLog,
      ...(opts.archive ? { archive: opts.archive, historyOnJoin: 20 } : {}),
    });
    this.core = new GatewayCore({
      domain: GW,
      allowedDomains: [USER_DOMAIN],
      software: { name: 'Jabirc', version: 'bench' },
      log: silentLog,
      bridge: this.bridge,
    });
  }

  /**
   * Adds user number `i` with one resource, registered on NET and joined to its own
   * channel `#c<i>` whose occupants are the user and `occupants - 1` IRC users; or to
   * `channel`, shared, whose IRC users are the same for every member who joins it.
   */
  addMember(i: number, occupants: number, channel = `#c${i}`): Member {
    const local = `u${i}`;
    const bare = `${local}@${USER_DOMAIN}`;
    const room = `${channel}%${NET}@${GW}`;
    const tag = channel === `#c${i}` ? String(i) : channel.slice(1);
    const others = Array.from({ length: occupants - 1 }, (_, k) => `irc${tag}_${k}`);
    const m: Member = { key: connKey(bare, NET), bare, resources: [], nick: local, channel, room, others };
    const full = `${bare}/r0`;
    const first = this.core.onStanza(this.#joinPresence(full, room, local));
    if (!first.some((e) => e.kind === 'irc-connect')) throw new Error(`${bare}: the first join opened no IRC connection`);
    // JOIN goes out on registration (001) or once 005 is known; either may carry it.
    const joinSent =
      ircLineCount(this.core.onIrcEvent(m.key, { kind: 'registered', nick: local })) +
      ircLineCount(this.core.onIrcLine(m.key, `:${IRC_SERVER} 005 ${local} ${ISUPPORT} :are supported by this server`));
    if (joinSent === 0) throw new Error(`${bare}: registration sent no JOIN`);
    this.core.onIrcLine(m.key, `:${local}!${local}@gateway.host JOIN ${channel}`);
    this.core.onIrcLine(m.key, `:${IRC_SERVER} 353 ${local} = ${channel} :@${local} ${others.join(' ')}`);
    const state = this.core.onIrcLine(m.key, `:${IRC_SERVER} 366 ${local} ${channel} :End of /NAMES list.`);
    // Occupants, self-presence, subject (XEP-0045 §7.2.3–§7.2.15).
    if (stanzaCount(state) !== occupants + 1) {
      throw new Error(`${bare}: the join sent ${stanzaCount(state)} stanzas, expected ${occupants + 1}`);
    }
    m.resources.push(full);
    this.members.push(m);
    return m;
  }

  /** Joins one more resource of `m` to its channel (the session is shared; no IRC JOIN). */
  addResource(m: Member): string {
    const full = `${m.bare}/r${m.resources.length}`;
    const state = this.core.onStanza(this.#joinPresence(full, m.room, m.nick));
    if (stanzaCount(state) !== m.others.length + 2) throw new Error(`${full}: the extra join got no room state`);
    m.resources.push(full);
    return full;
  }

  #joinPresence(full: string, room: string, nick: string): Element {
    return xml('presence', { from: full, to: `${room}/${nick}` }, xml('x', { xmlns: NS_MUC }));
  }
}

/** A world of `users` members, each in its own channel of `occupants`. */
export function populate(users: number, occupants: number, opts: { archive?: Archive } = {}): World {
  const w = new World(opts);
  for (let i = 0; i < users; i++) w.addMember(i, occupants);
  if (w.bridge.sessionCount !== users) throw new Error(`expected ${users} sessions, the bridge has ${w.bridge.sessionCount}`);
  return w;
}

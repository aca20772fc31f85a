/**
 * The bridge: IRC channels as MUC rooms (XEP-0045) and IRC users as contacts, both ways.
 *
 * Why a façade: this is the one entry to the part of the core that knows both protocols'
 * semantics. It is pure: inputs are stanzas addressed below the gateway, parsed IRC lines
 * and connection events of one session, and timer ticks; outputs are `Effect`s. Each
 * input is handed to the module of its concern (README "Where things are"):
 *   xmpp-to-irc/   presence, message, room requests
 *   irc-to-xmpp/   dispatch table → membership, text, server text
 *   rooms.ts       open and close a channel;  connection.ts  the life of a link
 *   channel-list.ts, reflection.ts, persistence.ts, admin.ts, registry.ts, context.ts
 *
 * Rules kept (each proven by a test):
 * - one IRC session per (bare JID, network), shared by all of that user's resources;
 *   QUIT when the last resource has left the last channel;
 * - a join always ends: with the room state or with an error presence, never a hang;
 * - a message the gateway cannot deliver goes back to its sender as an error;
 * - every IRC line is built by `irc-writer.ts`; user text never becomes a command;
 * - a refused stanza has no effects but its error (thrown to the error boundary);
 * - lookups are by folded name in per-session maps and a per-user index: nothing on
 *   the message path scans all sessions.
 */
import type { Element } from '@xmpp/xml';
import type { Address } from '../address.js';
import { BoundedCache } from '../bounded-cache.js';
import { connKey, sendStanza, type ConnKey, type Effect, type IrcConnEvent } from '../effects.js';
import { StanzaError } from '../errors.js';
import { NS_STANZAS } from '../namespaces.js';
import { decodeIrcBytes } from '../formatting.js';
import { parseIrcLine, RAW_BYTES_TAG, type IrcMessage, type ParsedLine } from '../irc-message.js';
import type { BareJid, FullJid } from '../jid.js';
import type { GatewayAction, LiveConnection, PersistentChannel } from '../ports.js';
import type { Session } from '../session.js';
import { applyAction, closeUser, liveConnections, shutdown } from './admin.js';
import { listChannels, listTimer } from './channel-list.js';
import { isonDue } from './contacts.js';
import { closed, reconnectDue, registered } from './connection.js';
import { BridgeContext, type BridgeOptions } from './context.js';
import { dispatchIrc } from './irc-to-xmpp/dispatch.js';
import { mayReachSeveral } from './irc-to-xmpp/text.js';
import { restore } from './persistence.js';
import { releaseDue } from './reconnect.js';
import { mam, PRUNE_TIMER, pruneDue, schedulePruning } from './history.js';
import { SessionRegistry } from './registry.js';
import { closeChannel, removeResource } from './rooms.js';
import { xmppMessageToIrc } from './xmpp-to-irc/message.js';
import { xmppPresenceToIrc } from './xmpp-to-irc/presence.js';
import { moderate, roomView, selfPing, type RoomView } from './xmpp-to-irc/room-iq.js';

export type { BridgeOptions, NetworkSettings } from './context.js';
export type { RoomView } from './xmpp-to-irc/room-iq.js';
export { ircSafeNick } from './connection.js';

/**
 * What the gateway keeps for the bridge per sender (one `from` text) and never reads: the
 * route of its last groupchat message (xmpp-to-irc/message.ts).
 */
export interface RouteMemo {
  route?: object;
}

/** Error conditions that blame the stanza we sent, not the recipient's presence (RFC 6120 §8.3.3). */
const STANZA_FAULTS = new Set(['bad-request', 'jid-malformed', 'not-acceptable', 'policy-violation']);

function errorConditionOf(stanza: Element): string | undefined {
  return stanza
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== 'text')?.name;
}

/** Text lines kept parsed (`#parsed`): more than the lines of one socket read, bounded in memory. */
const MAX_PARSED_TEXT = 64;
/** Longer lines (tags up to 8 KB, IRCv3) are not kept: 64 of them at most 256 KB of strings. */
const MAX_PARSED_TEXT_CHARS = 2048;

export class Bridge {
  readonly #ctx: BridgeContext;

  constructor(opts: BridgeOptions) {
    this.#ctx = new BridgeContext(opts, new SessionRegistry());
  }

  get sessionCount(): number {
    return this.#ctx.registry.size;
  }

  // ============================================================ XMPP → IRC

  /**
   * A presence or message from an allowed user to a channel, occupant, IRC user or network
   * address, or an error bounce from one of their resources. Throws `StanzaError` for the
   * error boundary; returns the effects otherwise. `user` is `from`'s bare JID, which the
   * gateway parsed already, and `memo` what the bridge keeps per sender (`RouteMemo`).
   */
  onStanza(stanza: Element, from: FullJid, user: BareJid, address: Address, memo?: RouteMemo): Effect[] {
    return this.#refusable(() => {
      if (stanza.attrs.type === 'error') {
        // A bounce: the resource is gone (RFC 6120 §8.3; XEP-0045 §7.2 "ghost" users) —
        // unless the error blames the stanza itself: a server that refuses, say, an
        // occupant JID a hostile IRC nick made unusual must not take the user out of
        // every room (issue 8 §1).
        const condition = errorConditionOf(stanza);
        if (condition !== undefined && STANZA_FAULTS.has(condition)) {
          this.#ctx.log.warn({ condition }, 'a stanza we sent was refused; the resource stays');
          return;
        }
        removeResource(this.#ctx, from, 'error bounce');
        return;
      }
      if (stanza.name === 'presence') xmppPresenceToIrc(this.#ctx, stanza, from, user, address);
      else if (stanza.name === 'message') xmppMessageToIrc(this.#ctx, stanza, from, user, address, memo);
      else throw new StanzaError('service-unavailable');
    });
  }

  /** disco#items on `net@gw`: the network's channels (channel-list.ts). */
  listChannels(iq: Element, query: Element, from: FullJid, network: string): Effect[] {
    return this.#refusable(() => listChannels(this.#ctx, iq, query, from, network));
  }

  /** muc#admin set on a room: kick, ban, voice, op (room-iq.ts). */
  moderate(iq: Element, query: Element, from: FullJid, network: string, channel: string): Effect[] {
    return this.#refusable(() => moderate(this.#ctx, iq, query, from, network, channel));
  }

  /** XEP-0410 self-ping of an occupant JID. */
  selfPing(iq: Element, from: FullJid, network: string, channel: string, nick: string): Effect[] {
    return this.#refusable(() => selfPing(this.#ctx, iq, from, network, channel, nick));
  }

  /** XEP-0313 MAM on a room; undefined when the gateway keeps no history. */
  mam(iq: Element, user: BareJid, network: string, channel: string): Effect[] | undefined {
    let stanzas: Element[] | undefined;
    const out = this.#refusable(() => {
      stanzas = mam(this.#ctx, iq, user, network, channel);
    });
    return stanzas === undefined ? undefined : [...out, ...stanzas.map(sendStanza)];
  }

  /** What the user's connection knows of a channel, for its disco#info. */
  roomView(user: BareJid, network: string, channel: string): RoomView {
    return roomView(this.#ctx, user, network, channel);
  }

  #refusable(step: () => void): Effect[] {
    try {
      step();
    } catch (err) {
      this.#ctx.discard();
      throw err;
    }
    return this.#ctx.drain();
  }

  // ============================================================ IRC → XMPP

  onIrcLine(key: ConnKey, line: string): Effect[] {
    const s = this.#ctx.registry.byKey(key);
    if (!s) return [];
    let msg = this.#parsed(line);
    if (msg.kind === 'malformed') {
      this.#ctx.log.warn({ network: s.network, reason: msg.reason }, 'ignored a malformed IRC line');
      return [];
    }
    msg = this.#roomDecoded(s, msg);
    try {
      dispatchIrc(this.#ctx, s, msg);
    } catch (err) {
      this.#ctx.log.error({ err, network: s.network, command: msg.command }, 'failed to handle an IRC line');
    }
    return this.#ctx.drain();
  }

  /**
   * A channel's PRIVMSG or NOTICE reaches every user's own connection as the same line,
   * and a socket read holds several: the last MAX_PARSED_TEXT such lines are parsed once
   * (parsing was 7 % of fan-out's CPU, issue 11 §2). Text handlers only read the
   * message, so sharing it is safe. A private message reaches one connection: not kept.
   */
  readonly #parsedText = new BoundedCache<string, IrcMessage>(MAX_PARSED_TEXT);
  #parsed(line: string): ParsedLine {
    const cached = this.#parsedText.get(line);
    if (cached !== undefined) return cached;
    const msg = parseIrcLine(line);
    if (
      msg.kind === 'message' &&
      line.length <= MAX_PARSED_TEXT_CHARS &&
      (msg.command === 'PRIVMSG' || msg.command === 'NOTICE') &&
      mayReachSeveral(msg.params[0] ?? '')
    ) {
      this.#parsedText.set(line, msg);
    }
    return msg;
  }

  /**
   * A line that was not UTF-8, in a channel for which the user chose an encoding, is
   * decoded again from its original bytes with that encoding (the transport's
   * `RAW_BYTES_TAG`); otherwise the connection's fallback stands.
   */
  #roomDecoded(s: Session, msg: IrcMessage): IrcMessage {
    const raw = msg.tags[RAW_BYTES_TAG];
    const store = this.#ctx.o.roomEncodings;
    if (raw === undefined || !store) return msg;
    const channel = msg.command === '332' ? msg.params[1] : msg.params[0];
    if (channel === undefined || !s.channels.has(channel)) return msg;
    const encoding = store.get(s.user, s.network, s.channels.get(channel)!.name);
    if (encoding === undefined) return msg;
    try {
      const again = parseIrcLine(decodeIrcBytes(Buffer.from(raw, 'base64'), encoding));
      return again.kind === 'message' ? again : msg;
    } catch {
      return msg; // an encoding label the store should not have held: keep the fallback
    }
  }

  onIrcEvent(key: ConnKey, ev: IrcConnEvent): Effect[] {
    const s = this.#ctx.registry.byKey(key);
    if (!s) return [];
    if (ev.kind === 'registered') registered(this.#ctx, s, ev.nick);
    else if (ev.kind === 'waiting' || ev.kind === 'dialing') {
      // The wait for a dial slot is the gateway's, not the network's slowness: the joins'
      // timers stop while it lasts and start again at the dial.
      s.dialQueued = ev.kind === 'waiting';
      for (const channel of s.channels.values()) {
        if (channel.joinTimer === undefined) continue;
        if (s.dialQueued) this.#ctx.clearTimer(channel.joinTimer);
        else this.#ctx.armJoinTimer(s, channel);
      }
    } else {
      s.dialQueued = false;
      closed(this.#ctx, s, ev.reason, ev.refused === true);
    }
    return this.#ctx.drain();
  }

  // ============================================================ timers and lifecycle

  onTimer(id: string): Effect[] {
    const [kind, user, network] = id.split(' ');
    const ctx = this.#ctx;
    if (id === PRUNE_TIMER) {
      pruneDue(ctx);
      return ctx.drain();
    }
    if (kind === 'release') {
      releaseDue(ctx, network ?? '');
      return ctx.drain();
    }
    const s = ctx.registry.byKey(connKey(user ?? '', network ?? ''));
    if (!s) return [];
    if (kind === 'reconnect') {
      reconnectDue(ctx, s);
    } else if (kind === 'ison') {
      isonDue(ctx, s);
    } else if (kind === 'list') {
      listTimer(ctx, s);
    } else if (kind === 'join') {
      for (const [, channel] of s.channels) {
        if (channel.joinTimer !== id || channel.state !== 'joining') continue;
        channel.joinTimer = undefined;
        const error = new StanzaError('remote-server-timeout', `${s.network} did not answer the join of ${channel.name} within ${Math.round(ctx.o.joinTimeoutMs / 1000)} s`);
        closeChannel(ctx, s, channel, { kind: 'failed', error });
        break;
      }
    }
    return ctx.drain();
  }

  /** Start-up: rejoin every persistent channel (persistence.ts), and start the history pruning. */
  restore(channels: readonly PersistentChannel[]): Effect[] {
    restore(this.#ctx, channels);
    schedulePruning(this.#ctx);
    return this.#ctx.drain();
  }

  /** Closes every session of a user (unregistration, an admin's disconnect). */
  closeUser(user: string, message: string): Effect[] {
    closeUser(this.#ctx, user as BareJid, message);
    return this.#ctx.drain();
  }

  /** Carries out what registration and ad-hoc commands decided (unregister, disconnect, announce). */
  onAction(action: GatewayAction): Effect[] {
    applyAction(this.#ctx, action);
    return this.#ctx.drain();
  }

  /** The gateway is stopping: rooms end with 332, every link QUITs, nothing reconnects. */
  shutdown(message: string): Effect[] {
    shutdown(this.#ctx, message);
    return this.#ctx.drain();
  }

  /** Live sessions, for the administrators' ad-hoc command. */
  liveConnections(): Array<LiveConnection & { state: string }> {
    return liveConnections(this.#ctx);
  }

  /** What the metrics read at scrape time: sessions, and channels joined summed over them. */
  stats(): { sessions: number; channels: number } {
    let channels = 0;
    for (const s of this.#ctx.registry.all()) for (const [, channel] of s.channels) if (channel.state === 'joined') channels++;
    return { sessions: this.#ctx.registry.size, channels };
  }

  /** Users with at least one live session (for announcements). */
  activeUsers(): string[] {
    return this.#ctx.registry.users();
  }
}

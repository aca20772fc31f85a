/**
 * The bridge: IRC channels as MUC rooms (XEP-0045) and IRC users as contacts, both ways.
 *
 * Why here: this is the one module that knows both protocols' semantics. It is pure:
 * inputs are stanzas addressed below the gateway, parsed IRC lines and connection
 * events of one session, and timer ticks; outputs are `Effect`s.
 *
 * Rules kept (each proven by a test):
 * - one IRC session per (bare JID, network), shared by all of that user's resources;
 *   QUIT when the last resource has left the last channel;
 * - a join always ends: with the room state (occupants, self-presence 110 [+210],
 *   subject) or with an error presence — an IRC refusal, a connection failure, or the
 *   join timer; never a hang;
 * - a message the gateway cannot deliver goes back to its sender as an error;
 * - the sender's own groupchat message is reflected exactly once per joined resource
 *   with its original id: on the echo when the server has echo-message, at once when not;
 * - every IRC line is built by `irc-writer.ts`; user text never becomes a command;
 * - lookups are by folded name in per-session maps and a per-user index: nothing on
 *   the message path scans all sessions.
 * Handlers are grouped by direction: XMPP → IRC first, then IRC → XMPP, then lifecycle.
 */
import xml, { type Element } from '@xmpp/xml';
import { buildJid, isValidChannelName, type Address } from './address.js';
import { backoffDelay } from './backoff.js';
import { foldCase, parseIsupportTokens, type ServerSupport } from './casemap.js';
import { connKey, sendStanza, type ConnKey, type Effect, type IrcConnEvent } from './effects.js';
import { StanzaError } from './errors.js';
import { decodeIrcBytes, ircToXep0393 } from './formatting.js';
import { JOIN_ERRORS, MESSAGE_ERRORS, NICK_CHANGE_ERRORS, ircErrorToCondition } from './irc-numerics.js';
import { DEFAULT_CHANMODES, parseChanmodes, parseIrcLine, parseModeChanges, parseNamesEntry, RAW_BYTES_TAG, type IrcMessage } from './irc-message.js';
import { buildLine, buildMessageLines, IrcLineRefusedError, parseCtcp, tryBuildLine } from './irc-writer.js';
import { fullOf, splitJid, type BareJid, type FullJid } from './jid.js';
import type { CoreLog } from './log-port.js';
import {
  STATUS,
  groupchatMessage,
  joinErrorPresence,
  mucStanding,
  occupantPresence,
  subjectMessage,
} from './muc-stanzas.js';
import { NS_COMMANDS, NS_DATA, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_MUC_ADMIN, NS_PING, NS_RSM, NS_STANZA_ID } from './namespaces.js';
import { discoInfoPayload, discoItemsPayload, iqPayload } from './gateway-entity.js';
import { newChannel, newSession, type Channel, type Occupant, type Session } from './session.js';
import { errorReply, iqResult } from './stanza.js';
import type { ChannelStore, IdentityStore, NetworkIdentity, PersistentChannel } from './ports.js';
import type { GatewayAction } from './registration.js';
import type { RoomEncodingStore } from './adhoc.js';

export interface NetworkSettings {
  host: string;
  port: number;
  tls: boolean;
}

export interface BridgeOptions {
  domain: string;
  fixedNetwork?: string;
  /** Settings of a network users may reach, or undefined when it is not allowed. */
  network(name: string): NetworkSettings | undefined;
  allowPrivateAddresses: boolean;
  maxConnectionsPerUser: number;
  maxChannelsPerUser: number;
  /** How long a join may wait for the IRC server before it fails. */
  joinTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectCapMs: number;
  /** Unique ids for stanzas (XEP-0359 stanza-id, message ids). */
  newId(): string;
  random(): number;
  now(): number;
  /** Stored identities (registration); absent in tests that need none. */
  identities?: IdentityStore;
  /** Persistent channels; absent in tests that need none. */
  channels?: ChannelStore;
  /** Registers a secret with the logger's last-chance scrub (src/log.ts). */
  addSecret?(secret: string): void;
  /** Per-room fallback encodings chosen by users (ad-hoc room command); optional. */
  roomEncodings?: RoomEncodingStore;
  /** Sessions restored at start-up connect at most this often per network (ms between connects). */
  restoreSpacingMs?: number;
  log: CoreLog;
}

const MAX_NICK_TRIES = 5;
/** Services whose NOTICEs are about the user's account, shown by the network entity. */
const SERVICES = new Set(['nickserv', 'chanserv', 'saslserv', 'hostserv', 'memoserv', 'operserv', 'botserv', 'global', 'q']);
/** How soon after a matching +b a KICK counts as a ban (clients send MODE +b then KICK). */
const BAN_KICK_WINDOW_MS = 10_000;

/** An IRC mask (`*` any run, `?` one character) as an anchored pattern. */
function maskPattern(mask: string): RegExp {
  const body = mask.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** The longest prefix of `s` within `maxBytes` UTF-8 bytes, cut on a code point boundary. */
function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  let out = '';
  let bytes = 0;
  for (const cp of s) {
    bytes += Buffer.byteLength(cp, 'utf8');
    if (bytes > maxBytes) break;
    out += cp;
  }
  return out;
}
/** A channel list is fetched from IRC at most this often per session. */
const LIST_CACHE_MS = 60_000;
/** Bound on the channels kept from one LIST (large networks have tens of thousands). */
const MAX_LIST_ITEMS = 20_000;
/** Disco requests that may wait for one LIST at once. */
const MAX_LIST_WAITING = 16;
/** A body longer than this many IRC lines is refused rather than flooding a channel. */
const MAX_LINES_PER_MESSAGE = 25;
/** Bounds on state a peer can grow: private-message targets awaiting a 401, echoes, MOTD, NAMES. */
const MAX_PENDING_TARGETS = 64;
const MAX_PENDING_ECHOES = 64;
const MAX_MOTD_LINES = 500;
const MAX_NAMES = 100_000;
const QUIT_MESSAGE = 'Leaving';

/** IRC-safe form of a JID localpart, used as the default nick (RFC 2812 §2.3.1, leniently). */
export function ircSafeNick(local: string): string {
  let nick = local.replace(/[^A-Za-z0-9\-_[\]\\^{}|`]/g, '_');
  if (nick === '' || /^[0-9-]/.test(nick)) nick = `_${nick}`;
  return nick.slice(0, 30);
}

/** IRC error condition → stanza error with the server's own text. */
function ircError(table: Parameters<typeof ircErrorToCondition>[0], msg: IrcMessage): StanzaError {
  const c = ircErrorToCondition(table, msg.command);
  const text = ircToXep0393(msg.params[msg.params.length - 1] ?? msg.command);
  return new StanzaError(c.condition, text, c.type);
}

export class Bridge {
  readonly #o: BridgeOptions;
  readonly #log: CoreLog;
  readonly #sessions = new Map<ConnKey, Session>();
  /** Per-user index: bare JID → network → session. */
  readonly #byUser = new Map<BareJid, Map<string, Session>>();
  #out: Effect[] = [];

  constructor(opts: BridgeOptions) {
    this.#o = opts;
    this.#log = opts.log;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  // ---------------------------------------------------------------- addresses

  #jid(address: Address): string {
    return fullOf(buildJid(address, { gatewayDomain: this.#o.domain, fixedNetwork: this.#o.fixedNetwork }));
  }
  #roomJid(s: Session, channel: string): string {
    return this.#jid({ kind: 'channel', network: s.network, channel });
  }
  #occupantJid(s: Session, channel: string, nick: string): string {
    return this.#jid({ kind: 'occupant', network: s.network, channel, nick });
  }
  #userJid(s: Session, nick: string): string {
    return this.#jid({ kind: 'user', network: s.network, nick });
  }
  #networkJid(s: Session): string {
    return this.#jid({ kind: 'network', network: s.network });
  }

  #emit(...effects: Effect[]): void {
    this.#out.push(...effects);
  }
  #send(stanza: Element): void {
    this.#out.push(sendStanza(stanza));
  }
  #irc(s: Session, ...lines: string[]): void {
    if (lines.length > 0) this.#out.push({ kind: 'irc-send', key: s.key, lines });
  }
  #drain(): Effect[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  // ============================================================ XMPP → IRC

  /**
   * A stanza from an allowed user to a channel, occupant, IRC user or network address.
   * Throws `StanzaError` for the error boundary; returns the effects otherwise.
   */
  onStanza(stanza: Element, from: FullJid, address: Address): Effect[] {
    try {
      this.#stanza(stanza, from, address);
    } catch (err) {
      this.#out = []; // a refused stanza has no other effects than its error
      throw err;
    }
    return this.#drain();
  }

  #stanza(stanza: Element, from: FullJid, address: Address): void {
    if (stanza.attrs.type === 'error') {
      // A bounce: the resource is gone (RFC 6120 §8.3; XEP-0045 §7.2 "ghost" users).
      this.#removeResource(from, 'error bounce');
      return;
    }
    switch (stanza.name) {
      case 'presence':
        this.#presence(stanza, from, address);
        return;
      case 'message':
        this.#message(stanza, from, address);
        return;
      case 'iq':
        this.#iq(stanza, from, address);
        return;
    }
  }

  #userOf(from: FullJid): BareJid {
    const parts = splitJid(from)!;
    return (parts.local ? `${parts.local}@${parts.domain}` : parts.domain) as BareJid;
  }

  #session(user: BareJid, network: string): Session | undefined {
    return this.#byUser.get(user)?.get(network);
  }

  #presence(stanza: Element, from: FullJid, address: Address): void {
    const type = stanza.attrs.type;
    if (address.kind === 'channel' && type === undefined) {
      // XEP-0045 §7.2.1: a join without a nick.
      throw new StanzaError('jid-malformed', 'a room nickname is required: join #channel%network@gateway/nick');
    }
    if (address.kind !== 'occupant' && address.kind !== 'channel') return; // no presence semantics there
    const s = this.#session(this.#userOf(from), address.network);
    const channel = s?.channels.get(address.channel);
    if (type === 'unavailable') {
      if (s && channel) this.#leave(s, channel, from);
      return;
    }
    if (type !== undefined || address.kind !== 'occupant') return; // subscriptions and probes ask nothing here
    if (s && channel?.resources.has(from)) {
      this.#presenceUpdate(s, channel, from, address.nick, stanza);
      return;
    }
    this.#join(stanza, from, address.network, address.channel, address.nick);
  }

  #join(stanza: Element, from: FullJid, network: string, channelName: string, nick: string): void {
    const room = `${channelName}%${network}`;
    const settings = this.#o.network(network);
    if (!settings) throw new StanzaError('not-allowed', `the IRC network ${network} is not open on this gateway`);
    const user = this.#userOf(from);
    let s = this.#session(user, network);
    if (s && !isValidChannelName(channelName, s.support.chantypes)) {
      throw new StanzaError('jid-malformed', `${channelName} is not a channel name on ${network}`);
    }
    const userSessions = this.#byUser.get(user);
    if (!s && (userSessions?.size ?? 0) >= this.#o.maxConnectionsPerUser) {
      throw new StanzaError('resource-constraint', `you are connected to ${this.#o.maxConnectionsPerUser} IRC networks, the most this gateway allows`);
    }
    const existing = s?.channels.get(channelName);
    if (!existing) {
      let count = 0;
      for (const other of userSessions?.values() ?? []) count += other.channels.size;
      if (count >= this.#o.maxChannelsPerUser) {
        throw new StanzaError('resource-constraint', `you are in ${this.#o.maxChannelsPerUser} channels, the most this gateway allows`);
      }
    }
    const password = stanza.getChild('x', NS_MUC)?.getChildText('password') ?? undefined;
    if (!s) s = this.#openSession(user, network, settings);
    else if (s.state === 'waiting') {
      // Someone wants in now: do not make them wait for the back-off or the start-up queue.
      this.#emit({ kind: 'clear-timer', id: `reconnect ${s.key}` });
      this.#connect(s, settings);
    }
    if (existing) {
      existing.resources.set(from, { jid: from, requestedNick: nick, joined: false, room: channelName });
      if (existing.state === 'joined') this.#sendRoomState(s, existing, from);
      return;
    }
    const channel = newChannel(channelName, s.support.casemapping);
    channel.resources.set(from, { jid: from, requestedNick: nick, joined: false, room: channelName });
    channel.key = password;
    s.channels.set(channelName, channel);
    this.#log.debug({ user, network, channel: channelName, room }, 'joining channel');
    if (s.state === 'registered') this.#sendJoin(s, channel);
    // Connecting or waiting: JOIN goes out on registration. The timer bounds both.
    this.#emit({ kind: 'set-timer', id: this.#joinTimer(s, channelName), delayMs: this.#o.joinTimeoutMs });
  }

  #joinTimer(s: Session, channel: string): string {
    return `join ${s.key} ${foldCase(s.support.casemapping, channel)}`;
  }

  /** Builds a line for a user request, or refuses the request with `not-acceptable`. */
  #lineOrRefuse(command: string, params: string[], why: string): string {
    const r = tryBuildLine(command, params);
    if (r.kind === 'refused') throw new StanzaError('not-acceptable', why);
    return r.line;
  }

  /** Builds and sends one line; a refusal reaches the user instead of vanishing. */
  #sendChecked(s: Session, command: string, params: string[]): void {
    try {
      this.#irc(s, buildLine(command, params));
    } catch (err) {
      if (!(err instanceof IrcLineRefusedError)) throw err;
      this.#networkNotice(s, `Jabirc could not send ${command}: a value holds a character IRC cannot carry`);
    }
  }

  #sendJoin(s: Session, channel: Channel): void {
    try {
      this.#irc(s, buildLine('JOIN', channel.key ? [channel.name, channel.key] : [channel.name]));
    } catch (err) {
      if (!(err instanceof IrcLineRefusedError)) throw err;
      this.#failJoin(s, channel, new StanzaError('not-acceptable', 'the channel name or key cannot be sent to IRC'));
    }
  }

  #openSession(user: BareJid, network: string, settings: NetworkSettings): Session {
    const s = this.#addSession(newSession(connKey(user, network), user, network, this.#defaultNick(user, network)));
    this.#connect(s, settings);
    return s;
  }

  /** Registers a session in the key map and the per-user index (the inverse of `#forget`). */
  #addSession(s: Session): Session {
    this.#sessions.set(s.key, s);
    let mine = this.#byUser.get(s.user);
    if (!mine) this.#byUser.set(s.user, (mine = new Map()));
    mine.set(s.network, s);
    return s;
  }

  /** The nick a new session asks for: from registration, else the JID's localpart made IRC-safe. */
  #defaultNick(user: BareJid, network: string): string {
    return this.#identity(user, network).nick ?? ircSafeNick(splitJid(user)?.local ?? 'user');
  }

  /** The user's stored identity for a network over their gateway-wide defaults. */
  #identity(user: string, network: string): NetworkIdentity {
    const store = this.#o.identities;
    if (!store) return {};
    const defaults = store.get(user, '') ?? {};
    const own = store.get(user, network) ?? {};
    const merged: NetworkIdentity = { ...defaults };
    for (const [k, v] of Object.entries(own)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
    return merged;
  }

  #connect(s: Session, settings: NetworkSettings): void {
    s.state = 'connecting';
    s.nickTries = 0;
    const id = this.#identity(s.user, s.network);
    s.wantedNick = id.nick ?? s.wantedNick;
    s.nickservPassword = id.nickservPassword;
    s.sasl = id.saslAccount !== undefined && id.saslPassword !== undefined ? { account: id.saslAccount, password: id.saslPassword } : undefined;
    s.saslDone = false;
    // The logger's last-chance scrub learns every password this connection uses.
    for (const secret of [id.serverPassword, id.saslPassword, id.nickservPassword, ...(id.afterConnect ?? [])]) {
      if (secret) this.#o.addSecret?.(secret);
    }
    s.afterConnect = id.afterConnect ?? [];
    const clean = (v: string): string => v.replace(/[\r\n\0]/g, '');
    this.#emit({
      kind: 'irc-connect',
      key: s.key,
      params: {
        network: s.network,
        host: settings.host,
        port: id.port ?? settings.port,
        tls: id.tls ?? settings.tls,
        nick: s.wantedNick,
        username: clean(id.username ?? (s.wantedNick.replace(/[^A-Za-z0-9]/g, '').slice(0, 10) || 'jabirc')),
        realname: clean(id.realname ?? `${s.user} via Jabirc`),
        allowPrivateAddresses: this.#o.allowPrivateAddresses,
        ...(id.serverPassword !== undefined ? { serverPassword: id.serverPassword } : {}),
        ...(id.saslAccount !== undefined && id.saslPassword !== undefined
          ? { sasl: { account: id.saslAccount, password: id.saslPassword } }
          : {}),
        ...(id.verifyCertificate === false ? { verifyCertificate: false } : {}),
        ...(id.encoding !== undefined ? { encoding: id.encoding } : {}),
      },
    });
  }

  /** Room state for one resource, XEP-0045 §7.2.3–§7.2.15: occupants, self, subject. */
  #sendRoomState(s: Session, channel: Channel, to: FullJid, occupantsOnly = false): void {
    const res = channel.resources.get(to);
    if (!res) return;
    const selfFold = foldCase(s.support.casemapping, s.nick);
    for (const [, o] of channel.occupants) {
      if (foldCase(s.support.casemapping, o.nick) === selfFold) continue;
      this.#send(occupantPresence({ from: this.#occupantJid(s, res.room, o.nick), to, ...mucStanding(o.prefixes), ...this.#awayOf(o) }));
    }
    if (occupantsOnly && res.joined) return;
    const self = channel.occupants.get(s.nick);
    const statuses: number[] = [STATUS.SELF];
    if (foldCase(s.support.casemapping, res.requestedNick) !== selfFold) statuses.push(STATUS.NICK_ASSIGNED);
    this.#send(
      occupantPresence({
        from: this.#occupantJid(s, res.room, s.nick),
        to,
        ...mucStanding(self?.prefixes ?? ''),
        statuses,
      }),
    );
    this.#send(subjectMessage(this.#roomJid(s, res.room), to, channel.topic, this.#o.newId()));
    res.joined = true;
  }

  #awayOf(o: Occupant): { show?: 'away'; status?: string } {
    return o.away !== undefined ? { show: 'away', status: o.away } : {};
  }

  #leave(s: Session, channel: Channel, from: FullJid): void {
    const res = channel.resources.get(from);
    if (!res) return;
    channel.resources.delete(from);
    // XEP-0045 §7.14: the leaving occupant gets its own unavailable presence with 110.
    this.#send(
      occupantPresence({
        from: this.#occupantJid(s, res.room, s.nick),
        to: from,
        affiliation: mucStanding(channel.occupants.get(s.nick)?.prefixes ?? '').affiliation,
        role: 'none',
        unavailable: true,
        statuses: [STATUS.SELF],
      }),
    );
    if (channel.resources.size === 0 && !this.#persistent(s, channel)) this.#dropChannel(s, channel, true);
  }

  /** Whether the user keeps this channel joined on IRC while no resource is in it. */
  #persistent(s: Session, channel: Channel): boolean {
    return this.#o.channels?.isPersistent(s.user, s.network, channel.name) === true;
  }

  /** Forgets a channel with no resources left; PARTs it and QUITs when nothing is left. */
  #dropChannel(s: Session, channel: Channel, part: boolean): void {
    s.channels.delete(channel.name);
    this.#emit({ kind: 'clear-timer', id: this.#joinTimer(s, channel.name) });
    if (part && s.state === 'registered') this.#irc(s, buildLine('PART', [channel.name]));
    if (s.channels.size === 0) this.#closeSession(s, QUIT_MESSAGE);
  }

  /**
   * QUITs a session. It stays known, as `quitting`, until the adapter reports `closed`:
   * a join that arrives meanwhile is queued on it and reconnects then, instead of
   * opening a second connection under the same key.
   */
  #closeSession(s: Session, message: string): void {
    this.#emit({ kind: 'clear-timer', id: `reconnect ${s.key}` });
    if (s.state === 'waiting') {
      this.#forget(s);
      return;
    }
    if (s.state === 'quitting') return;
    s.state = 'quitting';
    this.#emit({ kind: 'irc-quit', key: s.key, message });
  }

  #forget(s: Session): void {
    this.#sessions.delete(s.key);
    const mine = this.#byUser.get(s.user);
    mine?.delete(s.network);
    if (mine?.size === 0) this.#byUser.delete(s.user);
  }

  /** A resource went away (bounce or unavailable): out of every room it was in. */
  #removeResource(from: FullJid, why: string): void {
    const user = this.#userOf(from);
    for (const s of [...(this.#byUser.get(user)?.values() ?? [])]) {
      for (const [, channel] of [...s.channels]) {
        if (!channel.resources.delete(from)) continue;
        this.#log.debug({ network: s.network, channel: channel.name, why }, 'removed resource from room');
        if (channel.resources.size === 0 && !this.#persistent(s, channel)) this.#dropChannel(s, channel, true);
      }
    }
  }

  /** Presence to a room already joined: a nick change (XEP-0045 §7.6) or a show/status change. */
  #presenceUpdate(s: Session, channel: Channel, from: FullJid, nick: string, stanza: Element): void {
    if (s.state !== 'registered') return;
    if (foldCase(s.support.casemapping, nick) !== foldCase(s.support.casemapping, s.nick)) {
      s.pendingNick = { from, nick, room: channel.name };
      this.#irc(s, this.#lineOrRefuse('NICK', [nick], 'that nick cannot be used on IRC'));
      return;
    }
    // XEP-0045 §7.7 presence broadcast → IRC AWAY (RFC 2812 §4.1).
    const show = stanza.getChildText('show');
    const status = (stanza.getChildText('status') ?? '').replace(/[\r\n\0]+/g, ' ').trim();
    if (show === 'away' || show === 'xa' || show === 'dnd') {
      this.#irc(s, this.#lineOrRefuse('AWAY', [truncateUtf8(status || show, 300)], 'the status cannot be sent to IRC'));
    } else {
      this.#irc(s, buildLine('AWAY', []));
    }
  }

  #message(stanza: Element, from: FullJid, address: Address): void {
    const body = stanza.getChildText('body');
    const subject = stanza.getChild('subject');
    if (address.kind === 'channel') {
      const s = this.#session(this.#userOf(from), address.network);
      const channel = s?.channels.get(address.channel);
      if (!s || !channel?.resources.get(from)?.joined) {
        // XEP-0045 §7.4: only occupants may send to the room.
        throw new StanzaError('not-acceptable', 'join the room before sending messages to it');
      }
      if (stanza.attrs.type !== 'groupchat' && stanza.attrs.type !== undefined) {
        throw new StanzaError('bad-request', 'messages to a room must be of type groupchat');
      }
      if (s.state !== 'registered') {
        throw new StanzaError('recipient-unavailable', `not connected to ${s.network} right now; the message was not sent`);
      }
      if (subject && body === null) {
        this.#irc(s, this.#lineOrRefuse('TOPIC', [channel.name, subject.getText().replace(/[\r\n\0]+/g, ' ')], 'the subject is too long for IRC'));
        return;
      }
      if (body === null) return; // chat states and receipts are not IRC traffic
      this.#sendText(s, channel.name, body, stanza.attrs.id, from, channel);
      return;
    }
    if (address.kind === 'user' || address.kind === 'occupant') {
      if (body === null) return; // chat states alone are not turned into IRC noise
      const s = this.#session(this.#userOf(from), address.network);
      if (!s || s.state !== 'registered') {
        throw new StanzaError('recipient-unavailable', `you are not connected to ${address.network}: join a room there first`);
      }
      // In-room private messages go to the nick itself: IRC has no per-channel PMs; the
      // reply comes from nick%network@gateway.
      this.#sendText(s, address.nick, body, stanza.attrs.id, from, undefined, stanza.attrs.to);
      return;
    }
    if (body === null) return;
    throw new StanzaError('service-unavailable', 'this address takes no messages');
  }

  #sendText(s: Session, target: string, body: string, id: string | undefined, from: FullJid, channel: Channel | undefined, to?: string): void {
    const action = body.startsWith('/me ');
    const text = action ? body.slice(4) : body;
    let lines: string[];
    try {
      lines = buildMessageLines({ command: 'PRIVMSG', target, sender: { nick: s.nick }, text, action });
    } catch (err) {
      if (err instanceof IrcLineRefusedError) throw new StanzaError('jid-malformed', `${target} cannot be addressed on IRC`);
      throw err;
    }
    if (lines.length === 0) throw new StanzaError('not-acceptable', 'the message is empty');
    if (lines.length > MAX_LINES_PER_MESSAGE) {
      throw new StanzaError('policy-violation', `the message would take ${lines.length} IRC lines; at most ${MAX_LINES_PER_MESSAGE} are sent at once`);
    }
    this.#irc(s, ...lines);
    if (!channel) {
      let pending = s.pendingPrivate.get(target);
      if (!pending) s.pendingPrivate.set(target, (pending = []));
      pending.push({ id, from, body, to: to ?? this.#userJid(s, target) });
      if (s.pendingPrivate.size > MAX_PENDING_TARGETS) {
        const oldest = s.pendingPrivate.names().next().value;
        if (oldest !== undefined) s.pendingPrivate.delete(oldest);
      }
      if (pending.length > 8) pending.shift();
      return;
    }
    const reflectId = id ?? this.#o.newId();
    if (s.caps.has('echo-message')) {
      channel.echoes.push({ id: reflectId, body, linesLeft: lines.length, from });
      if (channel.echoes.length > MAX_PENDING_ECHOES) {
        // An echo the server never sent: reflect the oldest now rather than never.
        const lost = channel.echoes.shift()!;
        this.#reflect(s, channel, lost.id, lost.body, this.#o.newId());
      }
    } else {
      this.#reflect(s, channel, reflectId, body, this.#o.newId());
    }
  }

  /** The sender's own message back to each joined resource, once (XEP-0045 §7.4). */
  #reflect(s: Session, channel: Channel, id: string, body: string, stanzaId: string): void {
    this.#broadcast(channel, (to, room) =>
      groupchatMessage({ from: this.#occupantJid(s, room, s.nick), to, id, body, stanzaId, roomJid: this.#roomJid(s, room) }),
    );
  }

  #iq(stanza: Element, from: FullJid, address: Address): void {
    const payload = iqPayload(stanza);
    const get = stanza.attrs.type === 'get';
    const ns = payload.attrs.xmlns;
    if (ns === NS_PING && get && address.kind === 'occupant') {
      // XEP-0410 §4: self-ping answers success while joined, not-acceptable otherwise.
      const s = this.#session(this.#userOf(from), address.network);
      const res = s?.channels.get(address.channel)?.resources.get(from);
      if (!s || !res?.joined) throw new StanzaError('not-acceptable', 'you are not joined to this room');
      if (foldCase(s.support.casemapping, address.nick) === foldCase(s.support.casemapping, s.nick)) {
        this.#send(iqResult(stanza));
        return;
      }
      throw new StanzaError('feature-not-implemented', 'IRC users cannot be pinged through the room');
    }
    if (address.kind === 'channel' && ns === NS_DISCO_INFO && get && !payload.attrs.node) {
      this.#roomInfo(stanza, from, address.network, address.channel);
      return;
    }
    if (address.kind === 'channel' && ns === NS_DISCO_ITEMS && get && !payload.attrs.node) {
      // XEP-0045 §6.5: occupants may be listed; IRC users did not consent to that, so none are.
      this.#send(iqResult(stanza, discoItemsPayload([])));
      return;
    }
    if (address.kind === 'channel' && ns === NS_MUC_ADMIN && stanza.attrs.type === 'set') {
      this.#moderate(stanza, payload, from, address.network, address.channel);
      return;
    }
    if (address.kind === 'network' && ns === NS_DISCO_ITEMS && get && !payload.attrs.node) {
      this.#listChannels(stanza, payload, from, address.network);
      return;
    }
    throw new StanzaError('service-unavailable');
  }

  /** XEP-0045 §6.4 room information, with the muc#roominfo form (§15.5.4). */
  #roomInfo(iq: Element, from: FullJid, network: string, channelName: string): void {
    const s = this.#session(this.#userOf(from), network);
    const channel = s?.channels.get(channelName);
    const name = channel?.name ?? channelName;
    const fields: Element[] = [
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/muc#roominfo')),
    ];
    if (channel?.state === 'joined') {
      fields.push(xml('field', { var: 'muc#roominfo_subject', label: 'Topic' }, xml('value', {}, channel.topic)));
      fields.push(xml('field', { var: 'muc#roominfo_occupants', label: 'Number of occupants' }, xml('value', {}, String(channel.occupants.size))));
    }
    const info = discoInfoPayload({
      identities: [{ category: 'conference', type: 'irc', name }],
      features: [NS_MUC, 'muc_public', 'muc_open', 'muc_semianonymous', 'muc_unsecured', 'muc_temporary', 'muc_unmoderated', NS_STANZA_ID, NS_PING, NS_DISCO_INFO, ...(this.#o.identities ? [NS_COMMANDS] : [])],
    });
    info.append(xml('x', { xmlns: NS_DATA, type: 'result' }, ...fields));
    this.#send(iqResult(iq, info));
  }

  /**
   * XEP-0045 §8.2 (kick), §8.3–8.4 (voice), §9.6–9.7 (moderator), §9.1 (ban) as KICK and
   * MODE. The IRC privilege is checked first so that a user without it gets `forbidden`
   * (§8.2) instead of a silent 482 from the server.
   */
  #moderate(iq: Element, query: Element, from: FullJid, network: string, channelName: string): void {
    const s = this.#session(this.#userOf(from), network);
    const channel = s?.channels.get(channelName);
    if (!s || !channel?.resources.get(from)?.joined || s.state !== 'registered') {
      throw new StanzaError('not-acceptable', 'join the room before moderating it');
    }
    const items = query.getChildren('item');
    if (items.length === 0) throw new StanzaError('bad-request', 'no item to change');
    const lines: string[] = [];
    const mine = channel.occupants.get(s.nick)?.prefixes ?? '';
    for (const item of items) {
      const nick = item.attrs.nick;
      if (!nick) throw new StanzaError('bad-request', 'items must name an occupant by nick');
      const target = channel.occupants.get(nick);
      if (!target) throw new StanzaError('item-not-found', `${nick} is not in ${channel.name}`);
      const reason = (item.getChildText('reason') ?? '').replace(/[\r\n\0]+/g, ' ');
      const { role, affiliation } = item.attrs;
      let need: string;
      let produced: string[];
      if (role === 'none') {
        need = '%';
        produced = [buildLine('KICK', reason ? [channel.name, target.nick, reason] : [channel.name, target.nick])];
      } else if (role === 'visitor' || role === 'participant') {
        need = '%';
        produced = [buildLine('MODE', [channel.name, role === 'participant' ? '+v' : '-v', target.nick])];
      } else if (role === 'moderator' || affiliation === 'admin' || affiliation === 'owner') {
        need = '@';
        produced = [buildLine('MODE', [channel.name, '+o', target.nick])];
      } else if (affiliation === 'member') {
        need = '%';
        produced = [buildLine('MODE', [channel.name, '+v', target.nick])];
      } else if (affiliation === 'none') {
        need = '@';
        produced = [buildLine('MODE', [channel.name, '-o', target.nick])];
      } else if (affiliation === 'outcast') {
        need = '@';
        produced = [
          buildLine('MODE', [channel.name, '+b', `${target.nick}!*@*`]),
          buildLine('KICK', reason ? [channel.name, target.nick, reason] : [channel.name, target.nick]),
        ];
      } else {
        throw new StanzaError('bad-request', 'the item must set a role or an affiliation');
      }
      if (!this.#outranks(s.support.prefixes, mine, need)) {
        throw new StanzaError('forbidden', `you need ${need === '@' ? 'operator (@)' : 'half-operator (%) or operator (@)'} status in ${channel.name}`);
      }
      lines.push(...produced);
    }
    this.#irc(s, ...lines);
    this.#send(iqResult(iq));
  }

  /** Whether prefixes `held` (highest first) include `need` or a higher rank. */
  #outranks(ranks: ServerSupport['prefixes'], held: string, need: string): boolean {
    const top = held[0];
    if (top === undefined) return false;
    const order = ranks.map((r) => r.symbol);
    const needAt = order.indexOf(need) === -1 ? order.indexOf('@') : order.indexOf(need);
    const topAt = order.indexOf(top);
    return topAt !== -1 && needAt !== -1 && topAt <= needAt;
  }

  /** The network's channels (IRC LIST, RFC 2812 §3.2.6) as disco#items, paged per XEP-0059. */
  #listChannels(iq: Element, query: Element, from: FullJid, network: string): void {
    const s = this.#session(this.#userOf(from), network);
    if (!s || s.state !== 'registered') {
      throw new StanzaError('recipient-unavailable', `not connected to ${network}: join a room there first, then list its channels`);
    }
    const request = { iq, set: query.getChild('set', NS_RSM) };
    const fresh = s.list && s.list.done && this.#o.now() - s.list.at < LIST_CACHE_MS;
    if (fresh) {
      this.#answerList(s, request);
      return;
    }
    if (!s.list || s.list.done) {
      s.list = { at: this.#o.now(), done: false, items: [], waiting: [] };
      this.#irc(s, buildLine('LIST', []));
      this.#emit({ kind: 'set-timer', id: `list ${s.key}`, delayMs: this.#o.joinTimeoutMs });
    }
    if (s.list.waiting.length >= MAX_LIST_WAITING) {
      throw new StanzaError('resource-constraint', 'the channel list is already being fetched; try again shortly');
    }
    s.list.waiting.push(request);
  }

  /** Every waiting channel-list request gets an error; the list is fetched afresh next time. */
  #failList(s: Session, err: StanzaError): void {
    for (const r of s.list?.waiting.splice(0) ?? []) this.#send(errorReply(r.iq, err));
    if (s.list && !s.list.done) s.list = undefined;
    this.#emit({ kind: 'clear-timer', id: `list ${s.key}` });
  }

  #answerList(s: Session, request: { iq: Element; set: Element | undefined }): void {
    const items = s.list?.items ?? [];
    const max = Math.max(0, Math.min(Number(request.set?.getChildText('max') ?? items.length) || 0, 1000));
    const after = request.set?.getChildText('after');
    let start = 0;
    if (after) {
      const i = items.findIndex((it) => it.name === after);
      if (i === -1) {
        this.#send(errorReply(request.iq, new StanzaError('item-not-found', 'no such page')));
        return;
      }
      start = i + 1;
    }
    const page = request.set ? items.slice(start, start + max) : items;
    const payload = discoItemsPayload(
      page.map((it) => ({ jid: this.#roomJid(s, it.name), name: it.topic ? `${it.name} (${it.users}) — ${it.topic}` : `${it.name} (${it.users})` })),
    );
    if (request.set) {
      payload.append(
        xml(
          'set',
          { xmlns: NS_RSM },
          page.length > 0 ? xml('first', { index: String(start) }, page[0]!.name) : null,
          page.length > 0 ? xml('last', {}, page[page.length - 1]!.name) : null,
          xml('count', {}, String(items.length)),
        ),
      );
    }
    this.#send(iqResult(request.iq, payload));
  }

  // ============================================================ IRC → XMPP

  onIrcLine(key: ConnKey, line: string): Effect[] {
    const s = this.#sessions.get(key);
    if (!s) return [];
    let msg = parseIrcLine(line);
    if (msg.kind === 'malformed') {
      this.#log.warn({ network: s.network, reason: msg.reason }, 'ignored a malformed IRC line');
      return [];
    }
    msg = this.#roomDecoded(s, msg);
    try {
      this.#ircMessage(s, msg);
    } catch (err) {
      this.#log.error({ err, network: s.network, command: msg.command }, 'failed to handle an IRC line');
    }
    return this.#drain();
  }

  /**
   * A line that was not UTF-8, in a channel for which the user chose an encoding, is
   * decoded again from its original bytes with that encoding (the transport's
   * `RAW_BYTES_TAG`); otherwise the connection's fallback stands.
   */
  #roomDecoded(s: Session, msg: IrcMessage): IrcMessage {
    const raw = msg.tags[RAW_BYTES_TAG];
    const store = this.#o.roomEncodings;
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

  #isMe(s: Session, nick: string | undefined): boolean {
    return nick !== undefined && foldCase(s.support.casemapping, nick) === foldCase(s.support.casemapping, s.nick);
  }

  #ircMessage(s: Session, m: IrcMessage): void {
    const p = m.params;
    const nick = m.source?.nick;
    switch (m.command) {
      case '005':
        this.#isupport(s, p.slice(1, -1));
        return;
      case 'CAP':
        this.#cap(s, p);
        return;
      case '432':
      case '433':
      case '436':
      case '437':
        if (s.state === 'connecting' && (m.command === '433' || m.command === '437' || m.command === '432')) {
          this.#nextNick(s, m);
          return;
        }
        if (m.command === '437' && p[1] !== undefined && s.channels.has(p[1])) {
          this.#joinRefused(s, m);
          return;
        }
        if (s.pendingNick) {
          const { from, nick: wanted, room } = s.pendingNick;
          s.pendingNick = undefined;
          const err = ircError(NICK_CHANGE_ERRORS, m);
          const stanza = xml('presence', { from: this.#occupantJid(s, room, wanted), to: from });
          this.#send(errorReply(xml('presence', { from, to: stanza.attrs.from }), err));
        }
        return;
      case 'JOIN':
        this.#ircJoin(s, m);
        return;
      case '353':
        this.#names(s, p);
        return;
      case '366':
        this.#endOfNames(s, p[1] ?? '');
        return;
      case '332': {
        const ch = s.channels.get(p[1] ?? '');
        if (ch) ch.topic = this.#text(p[2] ?? '');
        return;
      }
      case '331': {
        const ch = s.channels.get(p[1] ?? '');
        if (ch) ch.topic = '';
        return;
      }
      case 'TOPIC':
        this.#ircTopic(s, p[0] ?? '', p[1] ?? '', nick ?? '');
        return;
      case 'PRIVMSG':
      case 'NOTICE':
        this.#ircText(s, m);
        return;
      case 'PART':
        this.#ircPart(s, nick ?? '', p[0] ?? '', p[1]);
        return;
      case 'KICK':
        this.#ircKick(s, p[0] ?? '', p[1] ?? '', nick ?? '', p[2]);
        return;
      case 'QUIT':
        this.#ircQuit(s, nick ?? '', p[0] ?? '');
        return;
      case 'NICK':
        this.#ircNick(s, nick ?? '', p[0] ?? '');
        return;
      case 'MODE':
        this.#ircMode(s, m);
        return;
      case 'AWAY':
        this.#ircAway(s, nick ?? '', p[0]);
        return;
      case '375':
        s.motd = s.motd ?? [];
        return;
      case '372':
        if ((s.motd ??= []).length < MAX_MOTD_LINES) s.motd.push(this.#text((p[1] ?? '').replace(/^- ?/, '')));
        return;
      case '376':
      case '422':
        this.#flushMotd(s, m.command === '422' ? this.#text(p[1] ?? 'No MOTD') : undefined);
        return;
      case '322': {
        if (s.list && !s.list.done && p[1] !== undefined && s.list.items.length < MAX_LIST_ITEMS) {
          s.list.items.push({ name: p[1], users: Number(p[2] ?? 0) || 0, topic: this.#text(p[3] ?? '') });
        }
        return;
      }
      case '263':
      case '416':
      case '481':
        if (s.list && !s.list.done) this.#failList(s, new StanzaError('service-unavailable', this.#text(p[p.length - 1] ?? m.command), 'wait'));
        return;
      case '323':
        if (s.list && !s.list.done) {
          this.#emit({ kind: 'clear-timer', id: `list ${s.key}` });
          s.list.done = true;
          s.list.items.sort((a, b) => b.users - a.users || (a.name < b.name ? -1 : 1));
          for (const r of s.list.waiting.splice(0)) this.#answerList(s, r);
        }
        return;
      case '401':
      case '404':
        this.#messageRefused(s, m);
        return;
      case '900':
      case '903':
        s.saslDone = true; // RPL_LOGGEDIN / RPL_SASLSUCCESS (IRCv3 sasl-3.1)
        return;
      case '902':
      case '905':
      case '906':
      case '908':
        if (s.state === 'connecting') this.#log.debug({ network: s.network, numeric: m.command }, 'SASL not completed');
        return;
      case '464':
      case '465':
      case '904':
        s.fatal = this.#text(p[p.length - 1] ?? m.command);
        this.#networkNotice(
          s,
          m.command === '904'
            ? `SASL authentication with ${s.network} failed (${s.fatal}): check the SASL account and password in your settings for this network.`
            : `${s.network} refused the connection: ${s.fatal}`,
        );
        if (m.command === '904') this.#emit({ kind: 'irc-quit', key: s.key, message: 'SASL authentication failed' });
        return;
      case 'ERROR':
        s.lastError = this.#text(p[0] ?? 'closed by the server');
        if (/\b(k-?lined?|g-?lined?|z-?lined?|banned)\b/i.test(s.lastError)) s.fatal = s.lastError;
        return;
      default:
        if (JOIN_ERRORS[m.command] !== undefined && p[1] !== undefined && s.channels.has(p[1])) {
          this.#joinRefused(s, m);
          return;
        }
        if (/^[45]\d\d$/.test(m.command)) {
          // Other errors reach the user rather than vanishing.
          this.#networkNotice(s, this.#text(p.slice(1).join(' ')));
        }
    }
  }

  #text(s: string): string {
    return ircToXep0393(s);
  }

  #isupport(s: Session, tokens: string[]): void {
    const before: ServerSupport = s.support;
    s.support = parseIsupportTokens(tokens, before);
    for (const t of tokens) {
      if (t.startsWith('CHANMODES=')) s.chanmodes = parseChanmodes(t.slice('CHANMODES='.length));
      else if (t === '-CHANMODES') s.chanmodes = DEFAULT_CHANMODES;
    }
    if (s.support.casemapping !== before.casemapping) {
      s.channels.remap(s.support.casemapping);
      s.pendingPrivate.remap(s.support.casemapping);
      for (const [, ch] of s.channels) ch.occupants.remap(s.support.casemapping);
    }
  }

  #cap(s: Session, p: string[]): void {
    const sub = (p[1] ?? '').toUpperCase();
    const list = (p[p.length - 1] ?? '').split(' ').filter(Boolean);
    if (sub === 'ACK') {
      for (const c of list) {
        if (c.startsWith('-')) s.caps.delete(c.slice(1));
        else s.caps.add(c.split('=')[0]!);
      }
    } else if (sub === 'DEL') {
      for (const c of list) s.caps.delete(c.split('=')[0]!);
    }
  }

  #nextNick(s: Session, m: IrcMessage): void {
    s.nickTries++;
    if (s.nickTries > MAX_NICK_TRIES) {
      const text = this.#text(m.params[m.params.length - 1] ?? m.command);
      s.fatal = `no free nick: ${text}`;
      // XEP-0045 §7.2.9: the nick is in use → conflict, with the server's words.
      s.fatalError = ircError(NICK_CHANGE_ERRORS, m);
      this.#emit({ kind: 'irc-quit', key: s.key, message: QUIT_MESSAGE });
      return;
    }
    const base = s.wantedNick.slice(0, 26);
    const alt = s.nickTries <= 3 ? `${base}${'_'.repeat(s.nickTries)}` : `${base}${s.nickTries}${Math.floor(this.#o.random() * 100)}`;
    s.nick = alt;
    this.#irc(s, buildLine('NICK', [alt]));
  }

  #ircJoin(s: Session, m: IrcMessage): void {
    const name = m.params[0] ?? '';
    const nick = m.source?.nick ?? '';
    const channel = s.channels.get(name);
    if (this.#isMe(s, nick)) {
      if (!channel) {
        // Joined a channel nobody wants any more (the join timed out, or everyone left).
        this.#irc(s, buildLine('PART', [name]));
        return;
      }
      channel.name = name; // IRC's spelling wins
      channel.namesBuffer = [];
      return;
    }
    if (!channel) return;
    const o: Occupant = { nick, prefixes: '', mask: `${nick}!${m.source?.user ?? '*'}@${m.source?.host ?? '*'}` };
    channel.occupants.set(nick, o);
    this.#broadcast(channel, (to, room) =>
      occupantPresence({ from: this.#occupantJid(s, room, nick), to, ...mucStanding('') }),
    );
  }

  #names(s: Session, p: string[]): void {
    const channel = s.channels.get(p[2] ?? '');
    if (!channel) return;
    channel.namesBuffer ??= [];
    for (const entry of (p[3] ?? '').split(' ')) {
      if (!entry) continue;
      const e = parseNamesEntry(entry, s.support.prefixes);
      if (!e) continue;
      if (channel.namesBuffer.length < MAX_NAMES) {
        channel.namesBuffer.push({ nick: e.nick, prefixes: e.prefixes, mask: `${e.nick}!${e.user ?? '*'}@${e.host ?? '*'}` });
      }
    }
  }

  #endOfNames(s: Session, name: string): void {
    const channel = s.channels.get(name);
    if (!channel?.namesBuffer) return;
    channel.occupants.clear();
    for (const o of channel.namesBuffer) channel.occupants.set(o.nick, o);
    channel.namesBuffer = undefined;
    if (channel.state === 'joined') return;
    channel.state = 'joined';
    this.#emit({ kind: 'clear-timer', id: this.#joinTimer(s, channel.name) });
    for (const res of channel.resources.values()) this.#sendRoomState(s, channel, res.jid, res.joined);
  }

  /** Sends a stanza built per joined resource, from the room name as that resource spelled it. */
  #broadcast(channel: Channel, build: (to: FullJid, room: string) => Element): void {
    for (const res of channel.resources.values()) if (res.joined) this.#send(build(res.jid, res.room));
  }

  #ircTopic(s: Session, name: string, topic: string, by: string): void {
    const channel = s.channels.get(name);
    if (!channel) return;
    channel.topic = this.#text(topic);
    this.#broadcast(channel, (to, room) =>
      subjectMessage(by ? this.#occupantJid(s, room, by) : this.#roomJid(s, room), to, channel.topic, this.#o.newId()),
    );
  }

  #ircText(s: Session, m: IrcMessage): void {
    const target = m.params[0] ?? '';
    const raw = m.params[1] ?? '';
    const nick = m.source?.nick;
    const fromServer = !m.source || m.source.isServer || nick === undefined;
    const ctcp = parseCtcp(raw);
    if (ctcp.kind === 'ctcp') return; // CTCP queries are answered by nobody here and not relayed
    let body = ctcp.kind === 'action' ? `/me ${this.#text(ctcp.text)}` : this.#text(ctcp.text);
    if (m.command === 'NOTICE' && ctcp.kind !== 'action') body = `[notice] ${body}`;
    // STATUSMSG (`@#chan`: to the channel's operators) is shown in the room, marked.
    const statusPrefix = /^[@+%~&]+(?=[#&!+])/.exec(target)?.[0];
    const channel = s.channels.get(statusPrefix ? target.slice(statusPrefix.length) : target);
    if (statusPrefix && channel) body = `[to ${statusPrefix}] ${body}`;
    if (channel) {
      if (this.#isMe(s, nick)) {
        this.#echo(s, channel, body, m.tags.msgid);
        return;
      }
      const stanzaId = m.tags.msgid ?? this.#o.newId();
      this.#broadcast(channel, (to, room) => {
        const roomJid = this.#roomJid(s, room);
        const from = fromServer ? roomJid : this.#occupantJid(s, room, nick!);
        return groupchatMessage({ from, to, id: stanzaId, body, stanzaId, roomJid });
      });
      return;
    }
    if (this.#isMe(s, nick)) return; // our own private message, echoed back (echo-message)
    if (!this.#isMe(s, target)) {
      // A STATUSMSG (@#chan) or a target we do not track: tell the user, do not drop silently.
      if (!fromServer) this.#log.debug({ network: s.network, target }, 'message to an untracked target');
      if (fromServer && s.state === 'registered') this.#networkNotice(s, body);
      return;
    }
    if (fromServer) {
      if (s.motd !== undefined || s.state === 'connecting') {
        if ((s.motd ??= []).length < MAX_MOTD_LINES) s.motd.push(body);
      }
      else this.#networkNotice(s, body);
      return;
    }
    if (m.command === 'NOTICE' && SERVICES.has(nick!.toLowerCase())) {
      // Services talk about the user's account (nick registered, identified, wrong
      // password): that belongs to the network entity, with the service named.
      this.#networkNotice(s, `${nick}: ${this.#text(ctcp.kind === 'plain' ? ctcp.text : raw)}`);
      return;
    }
    s.pendingPrivate.delete(nick!);
    const id = m.tags.msgid ?? this.#o.newId();
    this.#send(
      xml('message', { from: this.#userJid(s, nick!), to: s.user, type: 'chat', id }, xml('body', {}, body)),
    );
  }

  #echo(s: Session, channel: Channel, body: string, msgid: string | undefined): void {
    const pending = channel.echoes[0];
    if (!pending) {
      // Sent by nobody we know of: show it as ours anyway rather than lose it.
      this.#reflect(s, channel, this.#o.newId(), body, msgid ?? this.#o.newId());
      return;
    }
    pending.linesLeft--;
    if (pending.linesLeft > 0) return;
    channel.echoes.shift();
    this.#reflect(s, channel, pending.id, pending.body, msgid ?? this.#o.newId());
  }

  #networkNotice(s: Session, body: string): void {
    this.#send(xml('message', { from: this.#networkJid(s), to: s.user, type: 'chat', id: this.#o.newId() }, xml('body', {}, body)));
  }

  #flushMotd(s: Session, fallback: string | undefined): void {
    const lines = s.motd ?? [];
    if (fallback) lines.push(fallback);
    s.motd = undefined;
    if (lines.length > 0) this.#networkNotice(s, lines.join('\n'));
  }

  #occupantGone(s: Session, channel: Channel, nick: string, extra: Partial<Parameters<typeof occupantPresence>[0]>): void {
    const o = channel.occupants.get(nick);
    channel.occupants.delete(nick);
    this.#broadcast(channel, (to, room) =>
      occupantPresence({
        from: this.#occupantJid(s, room, o?.nick ?? nick),
        to,
        ...mucStanding(o?.prefixes ?? ''),
        unavailable: true,
        ...extra,
      }),
    );
  }

  #ircPart(s: Session, nick: string, name: string, reason: string | undefined): void {
    const channel = s.channels.get(name);
    if (!channel) return;
    if (!this.#isMe(s, nick)) {
      this.#occupantGone(s, channel, nick, reason ? { status: this.#text(reason) } : {});
      return;
    }
    // Parted by the server (or another client): every resource leaves.
    this.#occupantGone(s, channel, s.nick, { statuses: [STATUS.SELF], status: reason ? this.#text(reason) : undefined });
    this.#dropChannel(s, channel, false);
  }

  #ircKick(s: Session, name: string, kicked: string, by: string, reason: string | undefined): void {
    const channel = s.channels.get(name);
    if (!channel) return;
    // A KICK right after a +b that matches the user is a ban (XEP-0045 §9.1: status 301,
    // affiliation outcast); IRC tells bans only this way.
    const mask = channel.occupants.get(kicked)?.mask ?? `${kicked}!*@*`;
    const now = this.#o.now();
    const banned = channel.recentBans.some((b) => now - b.at <= BAN_KICK_WINDOW_MS && b.re.test(foldCase(s.support.casemapping, mask)));
    const code = banned ? STATUS.BANNED : STATUS.KICKED;
    const extra = {
      statuses: this.#isMe(s, kicked) ? [STATUS.SELF, code] : [code],
      actor: by || undefined,
      reason: reason !== undefined ? this.#text(reason) : undefined,
      ...(banned ? { affiliation: 'outcast' as const } : {}),
    };
    this.#occupantGone(s, channel, kicked, extra);
    if (this.#isMe(s, kicked)) this.#dropChannel(s, channel, false);
  }

  #ircQuit(s: Session, nick: string, reason: string): void {
    for (const [, channel] of s.channels) {
      if (channel.occupants.has(nick)) this.#occupantGone(s, channel, nick, { status: this.#text(reason) });
    }
  }

  #ircNick(s: Session, oldNick: string, newNick: string): void {
    const me = this.#isMe(s, oldNick);
    if (me) {
      s.nick = newNick;
      s.pendingNick = undefined;
    }
    for (const [, channel] of s.channels) {
      const o = channel.occupants.get(oldNick);
      if (!o) continue;
      channel.occupants.rename(oldNick, newNick);
      o.nick = newNick;
      if (o.mask) o.mask = `${newNick}${o.mask.slice(o.mask.indexOf('!'))}`;
      const standing = mucStanding(o.prefixes);
      const self = me ? [STATUS.SELF] : [];
      // XEP-0045 §7.6: unavailable with 303 and the new nick, then available under it.
      this.#broadcast(channel, (to, room) =>
        occupantPresence({ from: this.#occupantJid(s, room, oldNick), to, ...standing, unavailable: true, nick: newNick, statuses: [STATUS.NEW_NICK, ...self] }),
      );
      this.#broadcast(channel, (to, room) =>
        occupantPresence({ from: this.#occupantJid(s, room, newNick), to, ...standing, statuses: self, ...this.#awayOf(o) }),
      );
    }
  }

  #ircMode(s: Session, m: IrcMessage): void {
    const channel = s.channels.get(m.params[0] ?? '');
    if (!channel) return;
    const prefixModes = new Map(s.support.prefixes.map((pr) => [pr.mode, pr.symbol]));
    const changes = parseModeChanges(m.params.slice(1), { prefixes: s.support.prefixes, chanmodes: s.chanmodes });
    const touched = new Set<string>();
    for (const c of changes) {
      if (c.mode === 'b' && c.add && c.param !== undefined) {
        channel.recentBans.push({ re: maskPattern(foldCase(s.support.casemapping, c.param)), at: this.#o.now() });
        if (channel.recentBans.length > 8) channel.recentBans.shift();
        continue;
      }
      const symbol = prefixModes.get(c.mode);
      if (symbol === undefined || c.param === undefined) continue;
      const o = channel.occupants.get(c.param);
      if (!o) continue;
      const set = new Set(o.prefixes);
      if (c.add) set.add(symbol);
      else set.delete(symbol);
      o.prefixes = s.support.prefixes.map((pr) => pr.symbol).filter((sym) => set.has(sym)).join('');
      touched.add(o.nick);
    }
    for (const n of touched) {
      const o = channel.occupants.get(n)!;
      const statuses = this.#isMe(s, n) ? [STATUS.SELF] : [];
      this.#broadcast(channel, (to, room) =>
        occupantPresence({ from: this.#occupantJid(s, room, n), to, ...mucStanding(o.prefixes), statuses, ...this.#awayOf(o) }),
      );
    }
  }

  #ircAway(s: Session, nick: string, message: string | undefined): void {
    for (const [, channel] of s.channels) {
      const o = channel.occupants.get(nick);
      if (!o) continue;
      o.away = message !== undefined && message !== '' ? this.#text(message) : undefined;
      this.#broadcast(channel, (to, room) =>
        occupantPresence({ from: this.#occupantJid(s, room, o.nick), to, ...mucStanding(o.prefixes), ...this.#awayOf(o) }),
      );
    }
  }

  #joinRefused(s: Session, m: IrcMessage): void {
    const channel = s.channels.get(m.params[1] ?? '');
    if (!channel || channel.state !== 'joining') return;
    this.#failJoin(s, channel, ircError(JOIN_ERRORS, m));
  }

  /** Ends the room for every resource in it, then forgets the channel (QUIT if it was the last). */
  #failJoin(s: Session, channel: Channel, err: StanzaError): void {
    this.#endRoom(s, channel, err);
    channel.resources.clear();
    this.#dropChannel(s, channel, false);
  }

  /**
   * Tells each resource its room is over: a joined one gets its own unavailable presence
   * with 110 and 332 (XEP-0045 §10.2: removed because the link to IRC is gone), one still
   * joining gets the join error (§7.2).
   */
  #endRoom(s: Session, channel: Channel, err: StanzaError): void {
    for (const res of channel.resources.values()) {
      if (res.joined) {
        this.#send(occupantPresence({ from: this.#occupantJid(s, res.room, s.nick), to: res.jid, affiliation: 'none', role: 'none', unavailable: true, statuses: [STATUS.SELF, STATUS.SHUTDOWN], status: err.text }));
      } else {
        this.#send(joinErrorPresence(this.#occupantJid(s, res.room, res.requestedNick), res.jid, err));
      }
    }
  }


  #messageRefused(s: Session, m: IrcMessage): void {
    const target = m.params[1] ?? '';
    const err = ircError(MESSAGE_ERRORS, m);
    const channel = s.channels.get(target);
    if (channel) {
      const pending = channel.echoes.shift();
      const res = channel.resources.get(pending?.from ?? ([...channel.resources.keys()][0] as FullJid));
      if (res) {
        this.#send(
          xml('message', { from: this.#roomJid(s, res.room), to: res.jid, type: 'error', id: pending?.id }, pending ? xml('body', {}, pending.body) : null, errorReplyError(err)),
        );
      }
      return;
    }
    const pending = s.pendingPrivate.get(target);
    const first = pending?.shift();
    if (pending?.length === 0) s.pendingPrivate.delete(target);
    if (!first) {
      this.#networkNotice(s, `${target}: ${err.text ?? err.condition}`);
      return;
    }
    // RFC 6120 §8.3.1: the error comes from the address the message was sent to.
    this.#send(xml('message', { from: first.to, to: first.from, type: 'error', id: first.id }, xml('body', {}, first.body), errorReplyError(err)));
  }

  // ============================================================ lifecycle

  onIrcEvent(key: ConnKey, ev: IrcConnEvent): Effect[] {
    const s = this.#sessions.get(key);
    if (!s) return [];
    if (ev.kind === 'registered') this.#registered(s, ev.nick);
    else this.#closed(s, ev.reason, ev.refused === true);
    return this.#drain();
  }

  #registered(s: Session, nick: string): void {
    s.state = 'registered';
    s.nick = nick;
    s.reconnectAttempt = 0;
    s.fatal = undefined;
    s.fatalError = undefined;
    s.lastError = undefined;
    this.#log.info({ user: s.user, network: s.network, nick }, 'registered on IRC');
    if (!s.saslDone && (s.nickservPassword !== undefined || s.sasl)) {
      // No SASL login (not configured, not offered by the server, or failed quietly):
      // identify the classic way (Anope/Atheme NickServ IDENTIFY).
      const args = s.nickservPassword !== undefined ? s.nickservPassword : `${s.sasl!.account} ${s.sasl!.password}`;
      if (s.sasl) this.#networkNotice(s, `${s.network} did not log you in with SASL; identifying with NickServ instead.`);
      this.#sendChecked(s, 'PRIVMSG', ['NickServ', `IDENTIFY ${args}`]);
    }
    for (const [i, command] of s.afterConnect.entries()) {
      const line = command.trim();
      if (line === '' || /[\r\n\0]/.test(line) || Buffer.byteLength(line, 'utf8') > 510) {
        // Its text is not quoted: after-connect commands often carry passwords.
        this.#networkNotice(s, `After-connect command #${i + 1} was not sent (empty, over 510 bytes, or with a line break).`);
        continue;
      }
      this.#irc(s, line);
    }
    for (const [, channel] of s.channels) {
      this.#sendJoin(s, channel);
      this.#emit({ kind: 'set-timer', id: this.#joinTimer(s, channel.name), delayMs: this.#o.joinTimeoutMs });
    }
  }

  #closed(s: Session, reason: string, refused: boolean): void {
    this.#failList(s, new StanzaError('remote-server-timeout', `the connection to ${s.network} closed`));
    if (s.state === 'quitting') {
      if (s.channels.size === 0) {
        this.#forget(s);
        return;
      }
      // Joins arrived while we were quitting: start afresh.
      const settings = this.#o.network(s.network);
      if (settings) {
        s.nick = s.wantedNick;
        s.reconnectAttempt = 0;
        s.caps.clear();
        this.#connect(s, settings);
        return;
      }
    }
    const why = s.fatal ?? s.lastError ?? reason;
    const wasRegistered = s.state === 'registered';
    this.#log.info({ user: s.user, network: s.network, reason: why, refused }, 'IRC connection closed');
    const retry = !refused && s.fatal === undefined && (wasRegistered || s.reconnectAttempt > 0);
    if (!retry) {
      // Nothing retrying can fix, or the first connection failed: every join ends now.
      const err = s.fatalError ?? new StanzaError(refused ? 'not-allowed' : 'remote-server-not-found', `${s.network}: ${why}`);
      for (const [, channel] of [...s.channels]) this.#failJoinQuietly(s, channel, err);
      if (s.motd?.length) this.#flushMotd(s, undefined);
      this.#networkNotice(s, `Disconnected from ${s.network}: ${why}`);
      this.#emit({ kind: 'clear-timer', id: `reconnect ${s.key}` });
      this.#forget(s);
      return;
    }
    s.state = 'waiting';
    const delayMs = backoffDelay(s.reconnectAttempt, { baseMs: this.#o.reconnectBaseMs, capMs: this.#o.reconnectCapMs, minMs: 100 }, this.#o.random());
    s.reconnectAttempt++;
    for (const [, channel] of s.channels) {
      // Tell the room at once; the occupants it can no longer vouch for leave.
      for (const [, o] of [...channel.occupants]) {
        if (!this.#isMe(s, o.nick)) this.#occupantGone(s, channel, o.nick, { status: 'IRC connection lost' });
      }
      channel.state = 'joining';
      channel.echoes = [];
      const note = `Connection to ${s.network} lost (${why}); reconnecting in ${Math.ceil(delayMs / 1000)} s.`;
      this.#broadcast(channel, (to, room) =>
        xml('message', { from: this.#roomJid(s, room), to, type: 'groupchat', id: this.#o.newId() }, xml('body', {}, note)),
      );
    }
    this.#emit({ kind: 'set-timer', id: `reconnect ${s.key}`, delayMs });
  }

  /** Ends the room for its resources and forgets the channel without PART or QUIT. */
  #failJoinQuietly(s: Session, channel: Channel, err: StanzaError): void {
    this.#endRoom(s, channel, err);
    s.channels.delete(channel.name);
    this.#emit({ kind: 'clear-timer', id: this.#joinTimer(s, channel.name) });
  }


  onTimer(id: string): Effect[] {
    const [kind, user, network, folded] = id.split(' ');
    const s = this.#sessions.get(connKey(user ?? '', network ?? ''));
    if (!s) return [];
    if (kind === 'reconnect') {
      if (s.channels.size === 0) {
        this.#forget(s);
      } else {
        const settings = this.#o.network(s.network);
        if (settings) this.#connect(s, settings);
        else this.#forget(s);
      }
    } else if (kind === 'list') {
      this.#failList(s, new StanzaError('remote-server-timeout', `${s.network} did not finish the channel list in time`));
    } else if (kind === 'join') {
      for (const [, channel] of s.channels) {
        if (foldCase(s.support.casemapping, channel.name) !== folded || channel.state !== 'joining') continue;
        const err = new StanzaError('remote-server-timeout', `${s.network} did not answer the join of ${channel.name} within ${Math.round(this.#o.joinTimeoutMs / 1000)} s`);
        this.#failJoin(s, channel, err);
        break;
      }
    }
    return this.#drain();
  }

  /**
   * Start-up: rejoin every persistent channel (issue 4 §4). Sessions connect through
   * their reconnect timers, spaced per network by `restoreSpacingMs` with jitter, so a
   * restart with many users does not flood any one network.
   */
  restore(channels: readonly PersistentChannel[]): Effect[] {
    const spacing = this.#o.restoreSpacingMs ?? 1000;
    const perNetwork = new Map<string, number>();
    for (const ch of channels) {
      try {
        this.#restoreOne(ch, spacing, perNetwork);
      } catch (err) {
        this.#log.error({ err, user: ch.user, network: ch.network }, 'could not restore a persistent channel');
      }
    }
    this.#log.info({ channels: channels.length, sessions: this.#sessions.size }, 'restoring persistent channels');
    return this.#drain();
  }

  #restoreOne(ch: PersistentChannel, spacing: number, perNetwork: Map<string, number>): void {
    const settings = this.#o.network(ch.network);
    if (!settings) {
      this.#log.warn({ user: ch.user, network: ch.network }, 'persistent channel on a network no longer open; skipped');
      return;
    }
    const user = ch.user as BareJid;
    let s = this.#session(user, ch.network);
    if (!s && (this.#byUser.get(user)?.size ?? 0) >= this.#o.maxConnectionsPerUser) {
      this.#log.warn({ user: ch.user, network: ch.network }, 'persistent channel beyond the per-user connection limit; skipped');
      return;
    }
    if (!s) {
      s = newSession(connKey(user, ch.network), user, ch.network, this.#defaultNick(user, ch.network));
      s.state = 'waiting';
      s.reconnectAttempt = 1; // a network that is down at start-up is retried, not given up
      this.#addSession(s);
      const n = perNetwork.get(ch.network) ?? 0;
      perNetwork.set(ch.network, n + 1);
      this.#emit({ kind: 'set-timer', id: `reconnect ${s.key}`, delayMs: Math.floor((n + this.#o.random()) * spacing) });
    }
    if (!s.channels.get(ch.channel)) {
      if (s.channels.size >= this.#o.maxChannelsPerUser) {
        this.#log.warn({ user: ch.user, network: ch.network }, 'persistent channel beyond the per-user limit; skipped');
        return;
      }
      const channel = newChannel(ch.channel, s.support.casemapping);
      channel.key = ch.key;
      s.channels.set(ch.channel, channel);
    }
  }

  /** Closes every session of a user (unregistration, an admin's disconnect). */
  closeUser(user: string, message: string): Effect[] {
    for (const s of [...(this.#byUser.get(user as BareJid)?.values() ?? [])]) {
      const err = new StanzaError('gone', message);
      for (const [, channel] of [...s.channels]) this.#failJoinQuietly(s, channel, err);
      this.#closeSession(s, message);
    }
    return this.#drain();
  }

  /** Carries out what registration and ad-hoc commands decided (unregister, disconnect, announce). */
  onAction(action: GatewayAction): Effect[] {
    switch (action.kind) {
      case 'disconnect-user':
        return this.closeUser(action.user, action.reason);
      case 'disconnect-network': {
        const s = this.#session(action.user, action.network);
        if (!s) return [];
        const err = new StanzaError('gone', action.reason);
        for (const [, channel] of [...s.channels]) this.#failJoinQuietly(s, channel, err);
        this.#closeSession(s, action.reason);
        return this.#drain();
      }
      case 'room-settings':
        this.#roomSettingsChanged(action.user, action.network, action.channel);
        return this.#drain();
      case 'announce':
        for (const user of this.#byUser.keys()) {
          this.#send(xml('message', { from: this.#o.domain, to: user, type: 'headline', id: this.#o.newId() }, xml('body', {}, action.text)));
        }
        return this.#drain();
    }
  }

  /**
   * The user changed a room's persistence or key (ad-hoc room command): apply it to the
   * live connection now rather than at the next restart.
   */
  #roomSettingsChanged(user: BareJid, network: string, channelName: string): void {
    const stored = this.#o.channels?.get(user, network, channelName);
    const s = this.#session(user, network);
    const channel = s?.channels.get(channelName);
    if (channel) channel.key = stored?.key ?? channel.key;
    if (!stored) {
      // No longer persistent: a channel nobody is in is left now.
      if (s && channel && channel.resources.size === 0) this.#dropChannel(s, channel, true);
      return;
    }
    if (channel) return; // already joined
    const settings = this.#o.network(network);
    if (!settings) return;
    if (!s) {
      this.#restoreOne(stored, 0, new Map());
      return;
    }
    const fresh = newChannel(stored.channel, s.support.casemapping);
    fresh.key = stored.key;
    s.channels.set(stored.channel, fresh);
    if (s.state === 'registered') this.#sendJoin(s, fresh);
    this.#emit({ kind: 'set-timer', id: this.#joinTimer(s, fresh.name), delayMs: this.#o.joinTimeoutMs });
  }

  /** Live sessions, for the administrators' ad-hoc command. */
  liveConnections(): Array<{ user: string; network: string; nick: string; state: string; channels: number }> {
    return [...this.#sessions.values()].map((s) => ({ user: s.user, network: s.network, nick: s.nick, state: s.state, channels: s.channels.size }));
  }

  /** Users with at least one live session (for announcements). */
  activeUsers(): string[] {
    return [...this.#byUser.keys()];
  }

  /** QUITs every session (shutdown). */
  quitAll(message: string): Effect[] {
    for (const s of [...this.#sessions.values()]) this.#closeSession(s, message);
    return this.#drain();
  }
}

function errorReplyError(err: StanzaError): Element {
  return errorReply(xml('message', {}), err).getChild('error')!;
}

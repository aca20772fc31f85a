/**
 * What every bridge handler works with: the options, the session registry, the effect
 * buffer of the current input, and the helpers that turn protocol facts into addresses
 * and stanzas.
 *
 * Why one small context: the handlers (xmpp-to-irc/, irc-to-xmpp/, rooms.ts,
 * connection.ts, …) are plain functions over it, not methods of one class; each file can
 * be read on its own, and the context holds no protocol rule itself.
 *
 * Rules:
 * - effects leave only through `drain()`, in the order the handlers emitted them;
 * - every IRC line is built by `irc-writer.ts`: `line()` is the one place that turns a
 *   refusal into what the user sees (a stanza error, a network notice, a failed join);
 * - addresses are built only by `address.ts` (`jid()`), so XEP-0106 escaping is never
 *   written twice.
 */
import { GroupchatTemplates } from '../muc-stanzas.js';
import type { Element } from '@xmpp/xml';
import { buildJid, type Address } from '../address.js';
import { BoundedCache, detached } from '../bounded-cache.js';
import { foldCase } from '../casemap.js';
import { sendStanza, type Effect } from '../effects.js';
import { StanzaError } from '../errors.js';
import { element, isPlainAttribute, isPlainText, withSerialization } from '../stanza.js';
import { ircToXep0393 } from '../formatting.js';
import { tryBuildLine, type IrcLineRefusal } from '../irc-writer.js';
import { bareOf, fullOf, splitJid, type BareJid, type FullJid } from '../jid.js';
import type { CoreLog } from '../log-port.js';
import type { Archive } from '../history/archive-port.js';
import type { ChannelStore, ContactStore, IdentityStore, RoomEncodingStore } from '../ports.js';
import type { Channel, Session } from '../session.js';
import type { NetworkRecovery } from './reconnect.js';
import type { SessionRegistry } from './registry.js';

export interface NetworkSettings {
  host: string;
  port: number;
  tls: boolean;
  /** Whether the host may resolve to a private address; default `BridgeOptions.allowPrivateAddresses`. */
  allowPrivateAddresses?: boolean;
  /** Ports a user's settings may choose besides `port`; none when absent. */
  userPorts?: readonly number[];
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
  /** Cap of the back-off of the one probe per network during an outage (default 15 s). */
  probeCapMs?: number;
  /** Sessions brought back per second once a network is up again (default 10). */
  reconnectPerSecond?: number;
  /** Unique ids for stanzas (XEP-0359 stanza-id, message ids). */
  newId(): string;
  random(): number;
  now(): number;
  /** Stored identities (registration); absent in tests that need none. */
  identities?: IdentityStore;
  /** Persistent channels; absent in tests that need none. */
  channels?: ChannelStore;
  /** IRC users the users follow as contacts (XEP-0100 §5); absent in tests that need none. */
  contacts?: ContactStore;
  /** The channel archive (issue 10); absent when history is off. */
  archive?: Archive;
  /** Messages of history on join when the client asks for no amount (config `history.on_join`). */
  historyOnJoin?: number;
  /** Per-room fallback encodings chosen by users (ad-hoc room command); optional. */
  roomEncodings?: RoomEncodingStore;
  /**
   * Hashes an occupant seed into an opaque XEP-0421 occupant id (a keyed hash, so ids cannot
   * be reversed to JIDs); without it rooms do not offer occupant ids.
   */
  occupantId?(seed: string): string;
  /** Sessions restored at start-up connect at most this often per network (ms between connects). */
  restoreSpacingMs?: number;
  log: CoreLog;
}

const MAX_CACHED_USERS = 4096;
/** Bound of the JID cache (`BridgeContext#remember`): about 1 MB of strings. */
const MAX_CACHED_JIDS = 10_000;
/** Occupant ids computed lately: a keyed hash per reflected message showed in the profile (occupant-id.ts). */
const MAX_CACHED_OCCUPANT_IDS = 10_000;
/** Nicks and masks seen lately (`BridgeContext#shared`). */
const MAX_SHARED_NAMES = 20_000;

/** What to do when a line cannot be built: the caller's own words for the user. */
export type OnRefused = (refusal: IrcLineRefusal) => void;

export class BridgeContext {
  readonly o: BridgeOptions;
  readonly log: CoreLog;
  readonly registry: SessionRegistry;
  /** Set by `shutdown`: nothing reconnects after it. */
  stopping = false;
  /** Networks with sessions waiting to reconnect (reconnect.ts). */
  readonly recovery = new Map<string, NetworkRecovery>();
  /** XEP-0421 occupant ids by seed, so the keyed hash runs once per occupant (occupant-id.ts). */
  readonly occupantIds = new BoundedCache<string, string>(MAX_CACHED_OCCUPANT_IDS);
  readonly #names = new BoundedCache<string, string>(MAX_SHARED_NAMES);
  #out: Effect[] = [];
  readonly #users = new BoundedCache<FullJid, BareJid>(MAX_CACHED_USERS);
  /** The shared text of each recent channel line's groupchat copies (muc-stanzas.ts). */
  readonly groupchat = new GroupchatTemplates();

  constructor(opts: BridgeOptions, registry: SessionRegistry) {
    this.o = opts;
    this.log = opts.log;
    this.registry = registry;
  }

  // ---------------------------------------------------------------- effects

  emit(...effects: Effect[]): void {
    this.#out.push(...effects);
  }
  send(stanza: Element): void {
    this.#out.push(sendStanza(stanza));
  }
  /** Sends lines already built by irc-writer.ts. */
  irc(s: Session, ...lines: string[]): void {
    if (lines.length > 0) this.#out.push({ kind: 'irc-send', key: s.key, lines });
  }
  setTimer(id: string, delayMs: number): void {
    this.#out.push({ kind: 'set-timer', id, delayMs });
  }
  clearTimer(id: string): void {
    this.#out.push({ kind: 'clear-timer', id });
  }
  drain(): Effect[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }
  /** A refused stanza has no other effects than its error. */
  discard(): void {
    this.#out = [];
  }

  /**
   * Builds one line through the writer; on a refusal calls `refused` (which may throw a
   * StanzaError for the boundary) and returns undefined. The one "line or refusal".
   */
  line(command: string, params: readonly string[], refused: OnRefused): string | undefined {
    const r = tryBuildLine(command, params);
    if (r.kind === 'line') return r.line;
    refused(r.refusal);
    return undefined;
  }

  /** Builds and sends one line; a refusal reaches the user as a network notice. */
  sendLine(s: Session, command: string, params: readonly string[]): void {
    const line = this.line(command, params, () =>
      this.networkNotice(s, `Jabirc could not send ${command}: a value holds a character IRC cannot carry`),
    );
    if (line !== undefined) this.irc(s, line);
  }

  // ---------------------------------------------------------------- addresses

  jid(address: Address): string {
    return fullOf(buildJid(address, { gatewayDomain: this.o.domain, fixedNetwork: this.o.fixedNetwork }));
  }
  roomJid(s: Session, channel: string): string {
    const room = this.#room(s.network, channel);
    return room.jid ?? (room.jid = this.jid({ kind: 'channel', network: s.network, channel }));
  }
  /**
   * One string for a nick or mask seen lately, however many sessions keep it: each session
   * in a channel keeps a record per member (nick and mask), built from its own copy of the
   * line (a NAMES reply names its recipient, so each is parsed apart), and 5,000 users in
   * shared channels held one copy each (issue 11 §3).
   */
  shared(name: string): string {
    const known = this.#names.get(name);
    if (known !== undefined) return known;
    // Kept while sessions keep it: its own characters, not a slice of the line it came in
    // (bounded-cache.ts `detached`). Only on a miss.
    const own = detached(name);
    return this.#names.set(own, own);
  }

  occupantJid(s: Session, channel: string, nick: string): string {
    const occupants = this.#room(s.network, channel).occupants;
    return occupants.get(nick) ?? this.#remember(occupants, nick, { kind: 'occupant', network: s.network, channel, nick });
  }
  userJid(s: Session, nick: string): string {
    let users = this.#userJids.get(s.network);
    if (users === undefined) this.#userJids.set(s.network, (users = new Map()));
    return users.get(nick) ?? this.#remember(users, nick, { kind: 'user', network: s.network, nick });
  }
  /**
   * Room, occupant and user JIDs, by network, then channel as spelled, then nick: a channel
   * line builds the same two for every joined resource of every user, and escaping them was
   * a tenth of fan-out's CPU (issue 11 §2). Maps in maps rather than one keyed by the parts
   * joined: each part is a string the session or the shared parsed line holds already, whose
   * hash is computed once, where a joined key was a new string to hash per copy. Emptied
   * when MAX_CACHED_JIDS names are held, by new maps as BoundedCache does (bounded-cache.ts).
   */
  #roomJids = new Map<string, Map<string, { jid?: string; readonly occupants: Map<string, string> }>>();
  #userJids = new Map<string, Map<string, string>>();
  #cachedJids = 0;
  #room(network: string, channel: string): { jid?: string; readonly occupants: Map<string, string> } {
    let rooms = this.#roomJids.get(network);
    if (rooms === undefined) this.#roomJids.set(network, (rooms = new Map()));
    let room = rooms.get(channel);
    if (room === undefined) {
      this.#count();
      rooms.set(channel, (room = { occupants: new Map() }));
    }
    return room;
  }
  #remember(names: Map<string, string>, key: string, address: Address): string {
    const jid = this.jid(address);
    this.#count();
    names.set(key, jid);
    return jid;
  }
  #count(): void {
    if (++this.#cachedJids <= MAX_CACHED_JIDS) return;
    this.#roomJids = new Map();
    this.#userJids = new Map();
    this.#cachedJids = 1;
  }
  networkJid(s: Session): string {
    return this.jid({ kind: 'network', network: s.network });
  }

  // ---------------------------------------------------------------- helpers

  /** IRC text for XMPP: formatting codes as XEP-0393 styling. */
  text(s: string): string {
    return ircToXep0393(s);
  }

  /** Folding keeps a name's length (each mapping changes one character for one), so most names are told apart by it. */
  isMe(s: Session, nick: string | undefined): boolean {
    if (nick === undefined || nick.length !== s.nick.length) return false;
    return nick === s.nick || foldCase(s.support.casemapping, nick) === foldCase(s.support.casemapping, s.nick);
  }

  /** Sends a stanza built per joined resource, from the room name as that resource spelled it. */
  broadcast(channel: Channel, build: (to: FullJid, room: string) => Element): void {
    for (const res of channel.resources.values()) if (res.joined) this.send(build(res.jid, res.room));
  }

  /** A chat message to the user from the network entity `net@gw`. */
  networkNotice(s: Session, body: string): void {
    this.send(chatMessage(this.networkJid(s), s.user, this.o.newId(), body));
  }

  /**
   * The bare JID of a full JID (the user who owns the resource). Kept per full JID (bounded
   * like the gateway's address caches): the same string each time, so the registry's map
   * lookups by it do not hash a new string per stanza (issue 11).
   */
  userOf(from: FullJid): BareJid {
    return this.#users.get(from) ?? this.#users.set(from, bareOf(splitJid(from)!));
  }

  /**
   * Arms the join timer of a channel. Its id is kept on the channel, so the timer is found
   * again however the name folds later (a CASEMAPPING from 005 after the JOIN went out).
   */
  armJoinTimer(s: Session, channel: Channel): void {
    channel.joinTimer = `join ${s.key} ${foldCase(s.support.casemapping, channel.name)}`;
    if (!s.dialQueued) this.setTimer(channel.joinTimer, this.o.joinTimeoutMs); // else from the dial ('dialing')
  }
  disarmJoinTimer(channel: Channel): void {
    if (channel.joinTimer === undefined) return;
    this.clearTimer(channel.joinTimer);
    channel.joinTimer = undefined;
  }
  reconnectTimerId(s: Session): string {
    return `reconnect ${s.key}`;
  }
  listTimerId(s: Session): string {
    return `list ${s.key}`;
  }
}

/**
 * A one-to-one chat message with a body, built without `xml()`'s attribute copying, and
 * given its text when nothing in it needs escaping or `xmlSafe` (stanza.ts
 * `withSerialization`): the link then writes that text as it is, where serialising the
 * element and scanning the result again was ~5 % of a private message's CPU (perf on
 * gwbench pm, issue 11 §2). The text is `serializeElement`'s for the element, byte for
 * byte; a part that needs escaping leaves the element to be serialised as before.
 */
export function chatMessage(from: string, to: string, id: string, body: string): Element {
  const el = element('message', { from, to, type: 'chat', id }, [element('body', {}, body === '' ? [] : [body])]);
  // An empty `from` is filled in by the link (the component's domain): leave that to serialisation.
  if (from === '' || !isPlainAttribute(from) || !isPlainAttribute(to) || !isPlainAttribute(id) || !isPlainText(body)) return el;
  const head = `<message from="${from}" to="${to}" type="chat" id="${id}">`;
  return withSerialization(el, body === '' ? `${head}<body/></message>` : `${head}<body>${body}</body></message>`, true);
}

/** `OnRefused` that refuses the user's request with `not-acceptable` and the given text. */
export function refuseWith(text: string): OnRefused {
  return () => {
    throw new StanzaError('not-acceptable', text);
  };
}

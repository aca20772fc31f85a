/**
 * The state of one IRC session: one XMPP user (bare JID) on one IRC network.
 *
 * Why one per (bare JID, network): IRC sees one user however many XMPP clients
 * (resources) that user has; every resource shares the session and sees the same
 * channels. All per-name maps are `CaseMappedMap`s under the server's CASEMAPPING, so
 * `#Foo` and `#foo` are one channel and every lookup is O(1) (no scans on the message
 * path).
 *
 * States: `connecting` (connect sent, waiting for 001) → `registered` → `closed`
 * (removed from the bridge), or `waiting` (link lost, a reconnect timer is set), or
 * `quitting` (QUIT sent, waiting for the adapter's `closed`).
 */
import { CaseMappedMap, DEFAULT_SERVER_SUPPORT, type ServerSupport } from './casemap.js';
import type { ConnKey } from './effects.js';
import { DEFAULT_CHANMODES, type Chanmodes } from './irc-message.js';
import type { BareJid, FullJid } from './jid.js';

export interface Occupant {
  nick: string;
  /** Membership prefix symbols, highest first (`@+`). */
  prefixes: string;
  away?: string;
  /** `nick!user@host` as far as known (JOIN source, or NAMES with userhost-in-names). */
  mask?: string;
  /** XEP-0421 occupant id given when first seen, kept through nick changes. */
  occupantId?: string;
}

/** One XMPP resource joined to a room. */
export interface JoinedResource {
  jid: FullJid;
  /** The nick the client asked for (status 210 when IRC gave another). */
  requestedNick: string;
  /** Whether the join finished (self-presence sent). */
  joined: boolean;
  /**
   * The channel name as this resource addressed it: every stanza to it comes from this
   * room JID, even when IRC folds it to another spelling (rfc1459: `#a[]` is `#a{}`).
   */
  room: string;
  /**
   * What the join presence's `<history/>` asked for (XEP-0045 §7.2.14), until that history has
   * been sent; undefined when the gateway keeps no history or it has been sent.
   */
  historyRequest?: import('./history/on-join.js').HistoryRequest | undefined;
}

/** A message sent to IRC and waiting for its echo (IRCv3 echo-message). */
export interface PendingEcho {
  /** The client's original id, reflected back (XEP-0045 §7.4). */
  id: string;
  body: string;
  /** Echoed lines still to come before the reflection is sent. */
  linesLeft: number;
  /** The resource that sent it, for an error if IRC refuses it. */
  from: FullJid;
  /** The client's extension payloads (origin-id …), kept on the reflection. */
  payload: readonly import('@xmpp/xml').Element[];
}

export interface Channel {
  /** The name as IRC spells it. */
  name: string;
  state: 'joining' | 'joined';
  occupants: CaseMappedMap<Occupant>;
  /** NAMES replies collected until 366. */
  namesBuffer: Occupant[] | undefined;
  topic: string;
  resources: Map<FullJid, JoinedResource>;
  echoes: PendingEcho[];
  /** Ban masks set lately, to tell a kickban (status 301) from a kick. */
  recentBans: Array<{ re: RegExp; at: number }>;
  /** Channel key given in the join's MUC `<password/>` (XEP-0045 §7.2.5). */
  key: string | undefined;
  /** Set when the link was lost while joined: the room is told once when it is back. */
  linkLost?: boolean;
  /** The user asked not to record this channel (room setting): no lines, no spans. */
  noRecord?: boolean;
  /** The id of the armed join timer, while the join waits for the server. */
  joinTimer?: string | undefined;
  /** How our own messages are reflected here (bridge/reflection.ts), from the first one on. */
  ownAddressing: import('./bridge/reflection.js').OwnAddressing | undefined;
}

export interface ChannelList {
  at: number;
  done: boolean;
  items: Array<{ name: string; users: number; topic: string }>;
  waiting: Array<{ iq: import('@xmpp/xml').Element; set: import('@xmpp/xml').Element | undefined }>;
}

export interface Session {
  key: ConnKey;
  user: BareJid;
  network: string;
  state: 'connecting' | 'registered' | 'waiting' | 'quitting';
  /** Our current nick on IRC. */
  nick: string;
  /** When IRC last welcomed us (001), ms since the epoch: the admins' connection info. */
  connectedAt?: number;
  /** The nick we asked for at connection and how many alternatives were tried. */
  wantedNick: string;
  nickTries: number;
  support: ServerSupport;
  caps: Set<string>;
  chanmodes: Chanmodes;
  /** Text of the server's ERROR line, the best reason when the link then closes. */
  lastError: string | undefined;
  channels: CaseMappedMap<Channel>;
  /** Private-message targets with the ids of messages sent, for 401 bounces. */
  pendingPrivate: CaseMappedMap<Array<{ id: string | undefined; from: FullJid; body: string; to: string }>>;
  motd: string[] | undefined;
  reconnectAttempt: number;
  /** Set when a refusal that retrying cannot fix was received. */
  fatal: string | undefined;
  /** The stanza error to give pending joins for that refusal, when it has a specific one. */
  fatalError?: import('./errors.js').StanzaError;
  /** NickServ password to IDENTIFY with after registration (only when SASL is not used). */
  nickservPassword: string | undefined;
  /** SASL credentials of this connection, and whether the server logged us in (900/903). */
  sasl: { account: string; password: string } | undefined;
  saslDone: boolean;
  /** The adapter holds the connection back until a dial slot is free (`waiting` event): join timers wait too. */
  dialQueued: boolean;
  /** Raw commands the user asked to send after registration. */
  afterConnect: string[];
  /** The channel list being fetched or cached (IRC LIST), with the disco requests waiting for it. */
  list: ChannelList | undefined;
  /** Followed contacts (contacts.ts), MONITOR's limit when the server has it (0: none), ISON state. */
  contacts?: CaseMappedMap<import('./bridge/contacts.js').Followed>;
  monitor?: number;
  followStarted?: boolean;
  isonCursor?: number;
  isonAsked?: string[];
  /** Until when the server's otherwise unhandled replies are shown (after a raw command). */
  rawRepliesUntil?: number;
  /** IRCv3 batches open on this connection and chathistory catch-ups in flight (bridge/catch-up.ts). */
  history?: import('./bridge/catch-up.js').LinkHistory | undefined;
  /** Nick changes requested from XMPP and not yet confirmed, by resource. */
  pendingNick: { from: FullJid; nick: string; room: string } | undefined;
  /**
   * Bumped whenever one of this session's channels or one of their resources comes or goes,
   * and when the registry forgets or replaces the session (SessionRegistry `changed`): a route
   * found for a message before (xmpp-to-irc/message.ts `roomRoute`) is then looked up again.
   * Per session, so other users' joins and parts leave this user's routes valid.
   */
  routes: number;
}

export function newSession(key: ConnKey, user: BareJid, network: string, nick: string): Session {
  const mapping = DEFAULT_SERVER_SUPPORT.casemapping;
  return {
    key,
    user,
    network,
    state: 'connecting',
    nick,
    wantedNick: nick,
    nickTries: 0,
    support: DEFAULT_SERVER_SUPPORT,
    caps: new Set(),
    chanmodes: DEFAULT_CHANMODES,
    lastError: undefined,
    channels: new CaseMappedMap(mapping),
    pendingPrivate: new CaseMappedMap(mapping),
    motd: undefined,
    reconnectAttempt: 0,
    fatal: undefined,
    pendingNick: undefined,
    list: undefined,
    nickservPassword: undefined,
    sasl: undefined,
    saslDone: false,
    dialQueued: false,
    afterConnect: [],
    routes: 0,
  };
}

export function newChannel(name: string, mapping: ServerSupport['casemapping']): Channel {
  return {
    name,
    state: 'joining',
    occupants: new CaseMappedMap(mapping),
    namesBuffer: undefined,
    topic: '',
    resources: new Map(),
    echoes: [],
    recentBans: [],
    key: undefined,
    ownAddressing: undefined,
  };
}

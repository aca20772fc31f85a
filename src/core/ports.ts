/**
 * Ports: the synchronous repositories the core may call (SQLite is synchronous, so the
 * core stays free of awaits). Adapters in `src/store/` implement them; tests give the
 * core an in-memory database or a plain object.
 *
 * Rules: passwords cross this boundary in clear only in memory; the store encrypts them
 * at rest (AES-256-GCM) and never returns them in forms.
 */
import type { CaseMapping } from './casemap.js';
import type { BareJid } from './jid.js';

/** A user's identity and credentials for one network (`network` '' = gateway-wide defaults). */
export interface NetworkIdentity {
  nick?: string;
  username?: string;
  realname?: string;
  /** SASL PLAIN account and password (IRCv3 sasl-3.1). */
  saslAccount?: string;
  saslPassword?: string;
  /** Sent as `PRIVMSG NickServ :IDENTIFY <password>` after registration when SASL is not used. */
  nickservPassword?: string;
  /** PASS before registration (RFC 2812 §3.1.1). */
  serverPassword?: string;
  /** Use TLS; overrides the operator's network default. */
  tls?: boolean;
  /** Verify the server certificate (default true). */
  verifyCertificate?: boolean;
  port?: number;
  /** Raw IRC commands sent after registration, one per entry (CR/LF refused at input). */
  afterConnect?: string[];
  /** Fallback encoding for lines that are not UTF-8 (WHATWG label, e.g. `windows-1252`). */
  encoding?: string;
}

/** A channel the user keeps joined on IRC even while offline (issue 4 §4). */
export interface PersistentChannel {
  user: string;
  network: string;
  channel: string;
  key?: string;
  /** The IRC nick the user had when making it persistent: restore comes back under it. */
  nick?: string;
}

export interface IdentityStore {
  /** The stored identity for (user, network), or for the user's defaults with network ''. */
  get(user: string, network: string): NetworkIdentity | undefined;
  /** Replaces the stored identity; undefined fields are cleared, except passwords marked keep. */
  set(user: string, network: string, identity: NetworkIdentity): void;
  /** Networks the user has registered with (excluding ''). */
  networks(user: string): string[];
  /** Removes one network's registration, or everything of the user when network is undefined. */
  remove(user: string, network?: string): void;
  /** Every registered user (bare JIDs). */
  users(): string[];
}

export interface ChannelStore {
  setPersistent(ch: PersistentChannel, persistent: boolean): void;
  isPersistent(user: string, network: string, channel: string): boolean;
  /** How many persistent channels the user has, on every network (for the per-user limit). */
  count(user: string): number;
  /**
   * The user's persistent channel (name matched by casemapping), key included; undefined
   * when it is not persistent. A key that cannot be decrypted is an error.
   */
  get(user: string, network: string, channel: string): PersistentChannel | undefined;
  /**
   * Every persistent channel of every user: what a restart rejoins. A channel whose stored
   * key cannot be decrypted comes without a key rather than failing the whole list (one
   * bad row must not stop every user's rejoin); its JOIN then fails like a wrong key would.
   */
  all(): PersistentChannel[];
  removeUser(user: string): void;
  /** The network's CASEMAPPING, learned from ISUPPORT: the store folds that network's names by it. */
  useCaseMapping?(network: string, mapping: CaseMapping): void;
}

/**
 * Per-room settings chosen by the user (src/store/room-settings-store.ts): the fallback
 * encoding and, where the store keeps it, whether the room is recorded (issue 10 §5).
 */
export interface RoomEncodingStore {
  get(user: string, network: string, channel: string): string | undefined;
  set(user: string, network: string, channel: string, encoding: string | undefined): void;
  /** Whether the gateway records this room's history for the user: true unless they turned it off. */
  recording?(user: string, network: string, channel: string): boolean;
  setRecording?(user: string, network: string, channel: string, record: boolean): void;
  /** The network's CASEMAPPING, learned from ISUPPORT: the store folds that network's names by it. */
  useCaseMapping?(network: string, mapping: CaseMapping): void;
  /** Rooms holding a setting of the user's, and whether this one does (the per-user bound). */
  rooms?(user: string): number;
  has?(user: string, network: string, channel: string): boolean;
}

/** One live IRC connection, as the bridge reports it. */
export interface LiveConnection {
  user: string;
  network: string;
  nick: string;
  /** The channels open on it (joined or being joined), as IRC spells them. */
  channels: string[];
  /** The session's state: connecting, registered, waiting (to reconnect) or quitting. */
  state?: string;
  /** While registered: since when (ms since the epoch), from IRC's welcome (001). */
  since?: number;
}

/** What the caller does after a request: bridge calls the core cannot make itself. */
export type GatewayAction =
  /** Close every IRC connection of `user` (unregistered, or disconnected by an admin). */
  | { kind: 'disconnect-user'; user: BareJid; reason: string }
  /** The user unregistered: what the archive keeps for them goes (issue 10 §5). */
  | { kind: 'forget-user'; user: BareJid }
  /** Close the user's connection to one network (unregistered from it). */
  | { kind: 'disconnect-network'; user: BareJid; network: string; reason: string }
  /** A message from `gw` to every user with a live session. */
  | { kind: 'announce'; text: string }
  /**
   * The user's room settings changed in the store (persistent or key, by the `room`
   * command): the live bridge re-reads them (ChannelStore) for that channel.
   */
  | { kind: 'room-settings'; user: BareJid; network: string; channel: string };

/**
 * IRC users a user added to their roster (`nick%net@gw`, XEP-0100 §5): the gateway follows
 * their presence (IRCv3 MONITOR, else ISON) while the user has a session on that network.
 */
export interface ContactStore {
  /** The nicks, as last given, the user follows on a network. */
  list(user: string, network: string): string[];
  add(user: string, network: string, nick: string): void;
  remove(user: string, network: string, nick: string): void;
  /** The network's CASEMAPPING, learned from ISUPPORT: the store folds that network's nicks by it. */
  useCaseMapping?(network: string, mapping: CaseMapping): void;
}

/**
 * SQLite repository of persistent channels (`ChannelStore`, core/ports.ts).
 *
 * Why: a channel marked persistent stays joined while its user is offline and is rejoined
 * after a restart (issue 4 §4); `all()` is what the start-up queue reads.
 *
 * Rules:
 * - A channel is keyed by its name folded with the network's CASEMAPPING once the bridge
 *   has learned it (`useCaseMapping`), rfc1459 (the widest fold) until then
 *   (casemapped-names.ts): on such a network `#Foo[1]` and `#foo{1}` are one row; the name
 *   as last given is kept for display and for JOIN.
 * - The nick (the IRC nick the user had when making it persistent) is kept through later
 *   writes that do not give one; restore comes back under it when no nick is registered.
 * - The channel key (+k) is sealed by the SecretBox, bound to (jid, network, folded name);
 *   a refold re-seals it under the new name.
 * - `setPersistent(ch, true)` creates the `users` row on first use and replaces the stored
 *   name and key (a key left undefined is cleared); `setPersistent(ch, false)` deletes it.
 * - `get` opens the key or throws SecretBoxError naming the field. `all` does not throw on a
 *   key it cannot open (wrong secret key, altered or moved value): that channel is returned
 *   without a key, so one bad row cannot stop the start-up rejoin of every user. The store
 *   has no logger; the caller sees the failure as the channel's JOIN refused (ERR_BADCHANNELKEY).
 * - Statements are prepared once, in the constructor; each write is one transaction.
 */
import type { CaseMapping } from '../core/casemap.js';
import type { ChannelStore, PersistentChannel } from '../core/ports.js';
import type { Db, Statement } from './database.js';
import { NetworkFolds, refoldRows } from './casemapped-names.js';
import type { StoreClock } from './identity-store.js';
import { SecretBoxError, type SecretBox, type SecretPlace } from './secret-box.js';

interface ChannelRow {
  jid: string;
  network: string;
  channel_folded: string;
  channel: string;
  key_sealed: string | null;
  nick: string | null;
}

function place(user: string, network: string, folded: string): SecretPlace {
  return { table: 'persistent_channels', row: [user, network, folded], column: 'key_sealed' };
}

export class SqliteChannelStore implements ChannelStore {
  readonly #box: SecretBox;
  readonly #db: Db;
  readonly #folds = new NetworkFolds();
  readonly #exists: Statement;
  readonly #get: Statement;
  readonly #all: Statement;
  readonly #count: Statement;
  readonly #deleteUserChannels: Statement;
  readonly #set: (ch: PersistentChannel, persistent: boolean) => void;

  constructor(db: Db, box: SecretBox, clock: StoreClock = { now: Date.now }) {
    this.#box = box;
    this.#db = db;
    const ensureUser = db.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?) ON CONFLICT (jid) DO NOTHING');
    const upsert = db.prepare(
      `INSERT INTO persistent_channels (jid, network, channel_folded, channel, key_sealed, created_at, nick)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (jid, network, channel_folded) DO UPDATE SET
              channel = excluded.channel, key_sealed = excluded.key_sealed, nick = coalesce(excluded.nick, nick)`,
    );
    const remove = db.prepare('DELETE FROM persistent_channels WHERE jid = ? AND network = ? AND channel_folded = ?');
    this.#exists = db
      .prepare('SELECT 1 FROM persistent_channels WHERE jid = ? AND network = ? AND channel_folded = ?')
      .pluck();
    this.#get = db.prepare(
      'SELECT jid, network, channel_folded, channel, key_sealed, nick FROM persistent_channels WHERE jid = ? AND network = ? AND channel_folded = ?',
    );
    this.#all = db.prepare(
      'SELECT jid, network, channel_folded, channel, key_sealed, nick FROM persistent_channels ORDER BY jid, network, channel_folded',
    );
    this.#count = db.prepare('SELECT count(*) FROM persistent_channels WHERE jid = ?').pluck();
    this.#deleteUserChannels = db.prepare('DELETE FROM persistent_channels WHERE jid = ?');

    this.#set = db.transaction((ch: PersistentChannel, persistent: boolean) => {
      const folded = this.#folds.fold(ch.network, ch.channel);
      if (!persistent) {
        remove.run(ch.user, ch.network, folded);
        return;
      }
      const now = clock.now();
      ensureUser.run(ch.user, now);
      const key = ch.key === undefined ? null : this.#box.seal(ch.key, place(ch.user, ch.network, folded));
      upsert.run(ch.user, ch.network, folded, ch.channel, key, now, ch.nick ?? null);
    });
  }

  setPersistent(ch: PersistentChannel, persistent: boolean): void {
    this.#set(ch, persistent);
  }

  isPersistent(user: string, network: string, channel: string): boolean {
    return this.#exists.get(user, network, this.#folds.fold(network, channel)) !== undefined;
  }

  count(user: string): number {
    return this.#count.get(user) as number;
  }

  get(user: string, network: string, channel: string): PersistentChannel | undefined {
    const row = this.#get.get(user, network, this.#folds.fold(network, channel)) as ChannelRow | undefined;
    return row === undefined ? undefined : this.#channel(row, 'throw');
  }

  all(): PersistentChannel[] {
    return (this.#all.all() as ChannelRow[]).map((r) => this.#channel(r, 'omit'));
  }

  /** The row as a channel; a key that cannot be opened throws, or is left out (`omit`). */
  #channel(r: ChannelRow, badKey: 'throw' | 'omit'): PersistentChannel {
    const ch: PersistentChannel = { user: r.jid, network: r.network, channel: r.channel };
    if (r.nick !== null) ch.nick = r.nick;
    if (r.key_sealed === null) return ch;
    try {
      ch.key = this.#box.open(r.key_sealed, place(r.jid, r.network, r.channel_folded));
    } catch (err) {
      if (badKey === 'throw' || !(err instanceof SecretBoxError)) throw err;
    }
    return ch;
  }

  /** The network's CASEMAPPING (ISUPPORT): names of that network are folded by it from now on. */
  useCaseMapping(network: string, mapping: CaseMapping): void {
    if (!this.#folds.learn(network, mapping)) return;
    refoldRows(this.#db, 'persistent_channels', network, (c) => this.#folds.fold(network, c), (row, oldFolded, folded) => {
      if (typeof row.key_sealed !== 'string') return {};
      try {
        const key = this.#box.open(row.key_sealed, place(row.jid, network, oldFolded));
        return { key_sealed: this.#box.seal(key, place(row.jid, network, folded)) };
      } catch (err) {
        if (!(err instanceof SecretBoxError)) throw err;
        return { key_sealed: null }; // a key that could not be opened could not be used either
      }
    });
  }

  /** Forgets the user's persistent channels (their identities stay; `IdentityStore.remove` drops all). */
  removeUser(user: string): void {
    this.#deleteUserChannels.run(user);
  }
}

/**
 * SQLite repository of per-room settings: the room encoding (`RoomEncodingStore`, core/adhoc.ts).
 *
 * Why: the encoding a user sets for one channel with the `room` ad-hoc command must
 * survive restarts, and must go when the user unregisters.
 *
 * Rules:
 * - A room is keyed by its channel name folded with the network's CASEMAPPING once learned
 *   (`useCaseMapping`), rfc1459 until then, as in channel-store.ts; the name as last given
 *   is kept beside it.
 * - `set(…, encoding)` creates the `users` row on first use and replaces the stored name
 *   and encoding; `set(…, undefined)` deletes the row (the encoding is its only setting).
 * - Rows cascade from `users`: `SqliteIdentityStore.remove(user)` drops them.
 * - Statements are prepared once, in the constructor; each write is one transaction.
 */
import type { RoomEncodingStore } from '../core/ports.js';
import type { CaseMapping } from '../core/casemap.js';
import { NetworkFolds, refoldRows } from './casemapped-names.js';
import type { Db, Statement } from './database.js';
import type { StoreClock } from './identity-store.js';

export class SqliteRoomEncodingStore implements RoomEncodingStore {
  readonly #get: Statement;
  readonly #db: Db;
  readonly #folds = new NetworkFolds();
  readonly #set: (user: string, network: string, channel: string, encoding: string | undefined) => void;

  constructor(db: Db, clock: StoreClock = { now: Date.now }) {
    this.#db = db;
    const ensureUser = db.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?) ON CONFLICT (jid) DO NOTHING');
    const upsert = db.prepare(
      `INSERT INTO room_settings (jid, network, channel_folded, channel, encoding)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (jid, network, channel_folded) DO UPDATE SET
              channel = excluded.channel, encoding = excluded.encoding`,
    );
    const remove = db.prepare('DELETE FROM room_settings WHERE jid = ? AND network = ? AND channel_folded = ?');
    this.#get = db
      .prepare('SELECT encoding FROM room_settings WHERE jid = ? AND network = ? AND channel_folded = ?')
      .pluck();

    this.#set = db.transaction((user: string, network: string, channel: string, encoding: string | undefined) => {
      const folded = this.#folds.fold(network, channel);
      if (encoding === undefined) {
        remove.run(user, network, folded);
        return;
      }
      ensureUser.run(user, clock.now());
      upsert.run(user, network, folded, channel, encoding);
    });
  }

  get(user: string, network: string, channel: string): string | undefined {
    return (this.#get.get(user, network, this.#folds.fold(network, channel)) as string | null | undefined) ?? undefined;
  }

  set(user: string, network: string, channel: string, encoding: string | undefined): void {
    this.#set(user, network, channel, encoding);
  }

  /** The network's CASEMAPPING (ISUPPORT): names of that network are folded by it from now on. */
  useCaseMapping(network: string, mapping: CaseMapping): void {
    if (this.#folds.learn(network, mapping)) refoldRows(this.#db, 'room_settings', network, (c) => this.#folds.fold(network, c));
  }
}

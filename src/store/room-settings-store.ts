/**
 * SQLite repository of per-room settings: the room encoding and whether the room is
 * recorded (`RoomEncodingStore`, core/ports.ts; set by the `room` command, core/adhoc.ts).
 *
 * Why: what a user sets for one channel with the `room` ad-hoc command must survive
 * restarts, and must go when the user unregisters.
 *
 * Rules:
 * - A room is keyed by its channel name folded with the network's CASEMAPPING once learned
 *   (`useCaseMapping`), rfc1459 until then, as in channel-store.ts; the name as last given
 *   is kept beside it.
 * - Each setting is written alone: setting one keeps the other. A setting away from its
 *   default creates the `users` row on first use and replaces the stored name; a row whose
 *   settings are all back at their defaults (no encoding, recorded) is deleted, and setting
 *   a default where there is no row writes nothing.
 * - Rows cascade from `users`: `SqliteIdentityStore.remove(user)` drops them.
 * - Statements are prepared once, in the constructor; each write is one transaction.
 */
import type { RoomEncodingStore } from '../core/ports.js';
import type { CaseMapping } from '../core/casemap.js';
import { NetworkFolds, refoldRows } from './casemapped-names.js';
import type { Db, Statement } from './database.js';
import type { StoreClock } from './identity-store.js';

type Setting = { column: 'encoding'; value: string | null } | { column: 'record'; value: 0 | 1 };

export class SqliteRoomEncodingStore implements RoomEncodingStore {
  readonly #get: Statement;
  readonly #getRecord: Statement;
  readonly #rooms: Statement;
  readonly #db: Db;
  readonly #folds = new NetworkFolds();
  readonly #write: (user: string, network: string, channel: string, setting: Setting) => void;

  constructor(db: Db, clock: StoreClock = { now: Date.now }) {
    this.#db = db;
    const ensureUser = db.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?) ON CONFLICT (jid) DO NOTHING');
    const upsert = (column: Setting['column']): Statement =>
      db.prepare(
        `INSERT INTO room_settings (jid, network, channel_folded, channel, ${column})
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (jid, network, channel_folded) DO UPDATE SET
                channel = excluded.channel, ${column} = excluded.${column}`,
      );
    const upserts = { encoding: upsert('encoding'), record: upsert('record') };
    const resets = {
      encoding: db.prepare('UPDATE room_settings SET encoding = NULL WHERE jid = ? AND network = ? AND channel_folded = ?'),
      record: db.prepare('UPDATE room_settings SET record = 1 WHERE jid = ? AND network = ? AND channel_folded = ?'),
    };
    const pruneDefaults = db.prepare(
      'DELETE FROM room_settings WHERE jid = ? AND network = ? AND channel_folded = ? AND encoding IS NULL AND record = 1',
    );
    const where = 'FROM room_settings WHERE jid = ? AND network = ? AND channel_folded = ?';
    this.#get = db.prepare(`SELECT encoding ${where}`).pluck();
    this.#getRecord = db.prepare(`SELECT record ${where}`).pluck();
    this.#rooms = db.prepare('SELECT count(*) FROM room_settings WHERE jid = ?').pluck();

    this.#write = db.transaction((user: string, network: string, channel: string, setting: Setting) => {
      const folded = this.#folds.fold(network, channel);
      if (setting.value === null || setting.value === 1) {
        resets[setting.column].run(user, network, folded);
        pruneDefaults.run(user, network, folded);
        return;
      }
      ensureUser.run(user, clock.now());
      upserts[setting.column].run(user, network, folded, channel, setting.value);
    });
  }

  get(user: string, network: string, channel: string): string | undefined {
    return (this.#get.get(user, network, this.#folds.fold(network, channel)) as string | null | undefined) ?? undefined;
  }

  set(user: string, network: string, channel: string, encoding: string | undefined): void {
    this.#write(user, network, channel, { column: 'encoding', value: encoding ?? null });
  }

  /** How many rooms hold a setting of the user's (for the per-user bound, issue 8 §5). */
  rooms(user: string): number {
    return this.#rooms.get(user) as number;
  }

  /** Whether the room holds any setting of the user's. */
  has(user: string, network: string, channel: string): boolean {
    return this.#get.get(user, network, this.#folds.fold(network, channel)) !== undefined;
  }

  recording(user: string, network: string, channel: string): boolean {
    return this.#getRecord.get(user, network, this.#folds.fold(network, channel)) !== 0;
  }

  setRecording(user: string, network: string, channel: string, record: boolean): void {
    this.#write(user, network, channel, { column: 'record', value: record ? 1 : 0 });
  }

  /** The network's CASEMAPPING (ISUPPORT): names of that network are folded by it from now on. */
  useCaseMapping(network: string, mapping: CaseMapping): void {
    if (this.#folds.learn(network, mapping)) refoldRows(this.#db, 'room_settings', network, (c) => this.#folds.fold(network, c));
  }
}

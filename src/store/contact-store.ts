/**
 * SQLite repository of contacts (`ContactStore`, core/ports.ts): the IRC users each user
 * subscribed to, so the gateway follows their presence across restarts and sessions.
 *
 * Why stored, not learned from probes alone: a persistent session keeps following its
 * contacts while the user is offline, and `jabirc import-biboumi` brings biboumi's roster.
 *
 * Rules:
 * - A nick is keyed by its fold under the network's CASEMAPPING (casemapped-names.ts),
 *   rfc1459 until learned; the nick as last given is kept for MONITOR and display.
 * - At most MAX_CONTACTS_PER_NETWORK per (user, network): an add beyond it is ignored by the
 *   store and refused by the caller first (the bridge answers the subscription with an error).
 * - Rows cascade from `users`; `IdentityStore.remove(user, network)` drops that network's.
 */
import type { CaseMapping } from '../core/casemap.js';
import type { ContactStore } from '../core/ports.js';
import { NetworkFolds, refoldRows } from './casemapped-names.js';
import type { Db, Statement } from './database.js';
import type { StoreClock } from './identity-store.js';

export const MAX_CONTACTS_PER_NETWORK = 500;

export class SqliteContactStore implements ContactStore {
  readonly #folds = new NetworkFolds();
  readonly #db: Db;
  readonly #list: Statement;
  readonly #count: Statement;
  readonly #remove: Statement;
  readonly #add: (user: string, network: string, nick: string) => void;

  constructor(db: Db, clock: StoreClock = { now: Date.now }) {
    this.#db = db;
    const ensureUser = db.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?) ON CONFLICT (jid) DO NOTHING');
    const upsert = db.prepare(
      `INSERT INTO contacts (jid, network, nick_folded, nick, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (jid, network, nick_folded) DO UPDATE SET nick = excluded.nick`,
    );
    this.#list = db.prepare('SELECT nick FROM contacts WHERE jid = ? AND network = ? ORDER BY nick_folded').pluck();
    this.#count = db.prepare('SELECT count(*) FROM contacts WHERE jid = ? AND network = ?').pluck();
    this.#remove = db.prepare('DELETE FROM contacts WHERE jid = ? AND network = ? AND nick_folded = ?');
    this.#add = db.transaction((user: string, network: string, nick: string) => {
      if ((this.#count.get(user, network) as number) >= MAX_CONTACTS_PER_NETWORK) return;
      ensureUser.run(user, clock.now());
      upsert.run(user, network, this.#folds.fold(network, nick), nick, clock.now());
    });
  }

  list(user: string, network: string): string[] {
    return this.#list.all(user, network) as string[];
  }

  add(user: string, network: string, nick: string): void {
    this.#add(user, network, nick);
  }

  remove(user: string, network: string, nick: string): void {
    this.#remove.run(user, network, this.#folds.fold(network, nick));
  }

  useCaseMapping(network: string, mapping: CaseMapping): void {
    if (this.#folds.learn(network, mapping)) refoldRows(this.#db, 'contacts', network, (n) => this.#folds.fold(network, n));
  }
}

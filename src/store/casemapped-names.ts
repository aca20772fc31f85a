/**
 * Channel names in the stores, folded by each network's CASEMAPPING (RFC 1459 §2.2, the
 * ISUPPORT token), as the live sessions fold them.
 *
 * Why: a store keyed with a fixed fold would call `#a[` and `#a{` one channel on a network
 * whose CASEMAPPING is `ascii`, where IRC says they are two. The mapping of a network is
 * learned from its 005 line; until then (at start-up) rfc1459, the widest fold, stands.
 *
 * Rules:
 * - `useCaseMapping(network, mapping)` refolds that network's rows from the name as last
 *   given (`channel`), so nothing needs to remember which fold a row was written with;
 *   it is idempotent and runs in one transaction per table;
 * - two rows that become one under a wider fold keep the one already under the new key
 *   (the other is dropped: it named the same channel);
 * - a store whose rows bind secrets to the folded name re-binds them (`rekey`).
 */
import { foldCase, type CaseMapping } from '../core/casemap.js';
import type { Db } from './database.js';

export class NetworkFolds {
  readonly #mappings = new Map<string, CaseMapping>();

  fold(network: string, channel: string): string {
    return foldCase(this.mapping(network), channel);
  }

  /** The mapping the network's names fold by now. */
  mapping(network: string): CaseMapping {
    return this.#mappings.get(network) ?? 'rfc1459';
  }

  /** Records the network's mapping; true when the caller must refold its rows. */
  learn(network: string, mapping: CaseMapping): boolean {
    // The first time in a process always refolds: rows may carry a fold from an earlier run.
    const known = this.#mappings.get(network);
    this.#mappings.set(network, mapping);
    return known !== mapping;
  }
}

interface FoldedRow {
  jid: string;
}

/** The key columns of a table keyed by a folded name: the fold, and the name as last given. */
const NAME_COLUMNS = {
  persistent_channels: { folded: 'channel_folded', name: 'channel' },
  room_settings: { folded: 'channel_folded', name: 'channel' },
  contacts: { folded: 'nick_folded', name: 'nick' },
} as const;

/**
 * Rewrites `channel_folded` of every row of `network` in `table` under `fold`; `rekey`
 * gives the other columns a row needs rewritten for its new key (sealed values).
 */
export function refoldRows(
  db: Db,
  table: keyof typeof NAME_COLUMNS,
  network: string,
  fold: (name: string) => string,
  rekey: (row: FoldedRow & Record<string, unknown>, oldFolded: string, newFolded: string) => Record<string, unknown> = () => ({}),
): void {
  const { folded: foldedCol, name: nameCol } = NAME_COLUMNS[table];
  const rows = db.prepare(`SELECT * FROM ${table} WHERE network = ?`).all(network) as Array<FoldedRow & Record<string, unknown>>;
  const exists = db.prepare(`SELECT 1 FROM ${table} WHERE jid = ? AND network = ? AND ${foldedCol} = ?`).pluck();
  const remove = db.prepare(`DELETE FROM ${table} WHERE jid = ? AND network = ? AND ${foldedCol} = ?`);
  db.transaction(() => {
    for (const row of rows) {
      const old = String(row[foldedCol]);
      const folded = fold(String(row[nameCol]));
      if (folded === old) continue;
      remove.run(row.jid, network, old);
      if (exists.get(row.jid, network, folded) !== undefined) continue; // the same name, already kept
      const next: Record<string, unknown> = { ...row, ...rekey(row, old, folded), [foldedCol]: folded };
      const cols = Object.keys(next);
      db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => next[c]));
    }
  })();
}

/**
 * SQLite repository of per-user, per-network identities (`IdentityStore`, core/ports.ts).
 *
 * Why: what a user registers (XEP-0077) or sets by ad-hoc command must survive restarts,
 * with the passwords unreadable in the file (issue 4 §1, §5).
 *
 * Rules:
 * - Passwords (SASL, NickServ, server) are sealed by the SecretBox, bound to their row and
 *   column (`identities`, [jid, network], column); they are opened only in `get`.
 * - The after-connect commands are secrets too (they often carry `IDENTIFY <pw>`): their JSON
 *   array is sealed into `after_connect_sealed` (migration 4). A row written before migration
 *   4 still has them clear in `after_connect`: `get` reads that as a fallback when the sealed
 *   column is NULL, and every `set` writes the sealed column and NULLs the clear one, so the
 *   clear copy goes the first time the user's identity is saved.
 * - `set` replaces the whole row, as the port says: a field left undefined is cleared,
 *   passwords included. Keeping an unchanged password is the caller's job (read, merge, set).
 * - `set` and `setPersistent` (channel-store.ts) create the `users` row on first use;
 *   `remove(user)` deletes that row and the foreign keys cascade to every table of the user.
 *   `remove(user, network)` also drops that network's persistent channels, so a network the
 *   user unregistered from is not rejoined at the next start.
 * - `users()` lists users with an identity row (registered with the gateway or a network).
 * - Statements are prepared once, in the constructor; each write is one transaction.
 */
import type { IdentityStore, NetworkIdentity } from '../core/ports.js';
import { StoreError, type Db, type Statement } from './database.js';
import type { SecretBox, SecretPlace } from './secret-box.js';

interface IdentityRow {
  nick: string | null;
  username: string | null;
  realname: string | null;
  sasl_account: string | null;
  sasl_password_sealed: string | null;
  nickserv_password_sealed: string | null;
  server_password_sealed: string | null;
  tls: number | null;
  verify_certificate: number | null;
  port: number | null;
  after_connect: string | null;
  after_connect_sealed: string | null;
  encoding: string | null;
}

type PasswordField = 'saslPassword' | 'nickservPassword' | 'serverPassword';
const PASSWORD_COLUMNS: ReadonlyArray<readonly [PasswordField, 'sasl_password_sealed' | 'nickserv_password_sealed' | 'server_password_sealed']> = [
  ['saslPassword', 'sasl_password_sealed'],
  ['nickservPassword', 'nickserv_password_sealed'],
  ['serverPassword', 'server_password_sealed'],
];

export interface StoreClock {
  /** Milliseconds since the epoch, for `created_at` / `updated_at`. */
  now(): number;
}

const AFTER_CONNECT_COLUMN = 'after_connect_sealed';

const systemClock: StoreClock = { now: Date.now };

function flag(v: boolean | undefined): number | null {
  return v === undefined ? null : v ? 1 : 0;
}

export class SqliteIdentityStore implements IdentityStore {
  readonly #box: SecretBox;
  readonly #clock: StoreClock;
  readonly #getRow: Statement;
  readonly #upsertRow: Statement;
  readonly #ensureUser: Statement;
  readonly #networks: Statement;
  readonly #users: Statement;
  readonly #deleteIdentity: Statement;
  readonly #deleteNetworkChannels: Statement;
  readonly #deleteNetworkContacts: Statement;
  readonly #deleteNetworkRoomSettings: Statement;
  readonly #deleteUser: Statement;
  readonly #set: (user: string, network: string, identity: NetworkIdentity) => void;
  readonly #remove: (user: string, network: string | undefined) => void;

  constructor(db: Db, box: SecretBox, clock: StoreClock = systemClock) {
    this.#box = box;
    this.#clock = clock;
    this.#getRow = db.prepare(
      `SELECT nick, username, realname, sasl_account, sasl_password_sealed, nickserv_password_sealed,
              server_password_sealed, tls, verify_certificate, port, after_connect, after_connect_sealed,
              encoding
         FROM identities WHERE jid = ? AND network = ?`,
    );
    this.#upsertRow = db.prepare(
      `INSERT INTO identities (jid, network, nick, username, realname, sasl_account, sasl_password_sealed,
              nickserv_password_sealed, server_password_sealed, tls, verify_certificate, port, after_connect,
              after_connect_sealed, encoding, updated_at)
       VALUES (@jid, @network, @nick, @username, @realname, @sasl_account, @sasl_password_sealed,
              @nickserv_password_sealed, @server_password_sealed, @tls, @verify_certificate, @port,
              NULL, @after_connect_sealed, @encoding, @updated_at)
       ON CONFLICT (jid, network) DO UPDATE SET
              nick = excluded.nick, username = excluded.username, realname = excluded.realname,
              sasl_account = excluded.sasl_account, sasl_password_sealed = excluded.sasl_password_sealed,
              nickserv_password_sealed = excluded.nickserv_password_sealed,
              server_password_sealed = excluded.server_password_sealed, tls = excluded.tls,
              verify_certificate = excluded.verify_certificate, port = excluded.port,
              after_connect = NULL, after_connect_sealed = excluded.after_connect_sealed, encoding = excluded.encoding,
              updated_at = excluded.updated_at`,
    );
    this.#ensureUser = db.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?) ON CONFLICT (jid) DO NOTHING');
    this.#networks = db.prepare("SELECT network FROM identities WHERE jid = ? AND network <> '' ORDER BY network").pluck();
    this.#users = db.prepare('SELECT DISTINCT jid FROM identities ORDER BY jid').pluck();
    this.#deleteIdentity = db.prepare('DELETE FROM identities WHERE jid = ? AND network = ?');
    this.#deleteNetworkChannels = db.prepare('DELETE FROM persistent_channels WHERE jid = ? AND network = ?');
    this.#deleteNetworkContacts = db.prepare('DELETE FROM contacts WHERE jid = ? AND network = ?');
    this.#deleteNetworkRoomSettings = db.prepare('DELETE FROM room_settings WHERE jid = ? AND network = ?');
    this.#deleteUser = db.prepare('DELETE FROM users WHERE jid = ?');

    this.#set = db.transaction((user: string, network: string, identity: NetworkIdentity) => {
      const now = this.#clock.now();
      this.#ensureUser.run(user, now);
      const sealed = (field: PasswordField, column: string): string | null => {
        const plain = identity[field];
        return plain === undefined ? null : this.#box.seal(plain, place(user, network, column));
      };
      this.#upsertRow.run({
        jid: user,
        network,
        nick: identity.nick ?? null,
        username: identity.username ?? null,
        realname: identity.realname ?? null,
        sasl_account: identity.saslAccount ?? null,
        sasl_password_sealed: sealed('saslPassword', 'sasl_password_sealed'),
        nickserv_password_sealed: sealed('nickservPassword', 'nickserv_password_sealed'),
        server_password_sealed: sealed('serverPassword', 'server_password_sealed'),
        tls: flag(identity.tls),
        verify_certificate: flag(identity.verifyCertificate),
        port: identity.port ?? null,
        after_connect_sealed:
          identity.afterConnect === undefined
            ? null
            : this.#box.seal(JSON.stringify(identity.afterConnect), place(user, network, AFTER_CONNECT_COLUMN)),
        encoding: identity.encoding ?? null,
        updated_at: now,
      });
    });
    this.#remove = db.transaction((user: string, network: string | undefined) => {
      if (network === undefined) {
        this.#deleteUser.run(user);
        return;
      }
      this.#deleteIdentity.run(user, network);
      if (network !== '') {
        this.#deleteNetworkChannels.run(user, network);
        this.#deleteNetworkContacts.run(user, network);
        this.#deleteNetworkRoomSettings.run(user, network);
      }
    });
  }

  get(user: string, network: string): NetworkIdentity | undefined {
    const row = this.#getRow.get(user, network) as IdentityRow | undefined;
    if (row === undefined) return undefined;
    const id: NetworkIdentity = {};
    if (row.nick !== null) id.nick = row.nick;
    if (row.username !== null) id.username = row.username;
    if (row.realname !== null) id.realname = row.realname;
    if (row.sasl_account !== null) id.saslAccount = row.sasl_account;
    for (const [field, column] of PASSWORD_COLUMNS) {
      const sealed = row[column];
      if (sealed !== null) id[field] = this.#box.open(sealed, place(user, network, column));
    }
    if (row.tls !== null) id.tls = row.tls === 1;
    if (row.verify_certificate !== null) id.verifyCertificate = row.verify_certificate === 1;
    if (row.port !== null) id.port = row.port;
    if (row.after_connect_sealed !== null) {
      const json = this.#box.open(row.after_connect_sealed, place(user, network, AFTER_CONNECT_COLUMN));
      id.afterConnect = parseAfterConnect(json, AFTER_CONNECT_COLUMN, user, network);
    } else if (row.after_connect !== null) {
      // Written before migration 4; the next `set` seals it and clears this column.
      id.afterConnect = parseAfterConnect(row.after_connect, 'after_connect', user, network);
    }
    if (row.encoding !== null) id.encoding = row.encoding;
    return id;
  }

  set(user: string, network: string, identity: NetworkIdentity): void {
    this.#set(user, network, identity);
  }

  networks(user: string): string[] {
    return this.#networks.all(user) as string[];
  }

  remove(user: string, network?: string): void {
    this.#remove(user, network);
  }

  users(): string[] {
    return this.#users.all() as string[];
  }
}

function place(user: string, network: string, column: string): SecretPlace {
  return { table: 'identities', row: [user, network], column };
}

function parseAfterConnect(json: string, column: string, user: string, network: string): string[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new StoreError(`identities.${column} of (${JSON.stringify(user)}, ${JSON.stringify(network)}) is not a list of strings`);
  }
  return value;
}

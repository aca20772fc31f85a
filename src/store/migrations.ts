/**
 * Numbered, forward-only schema migrations.
 *
 * Rules: `MIGRATIONS[i]` takes the schema from version i to i+1 (tracked in
 * `PRAGMA user_version`). A migration that has shipped is never edited: a change is a new
 * entry at the end. Each runs inside the same transaction as the version bump, so a
 * crash leaves the database at the old version, never half-migrated.
 */
export interface Migration {
  /** What the step does, for the log. */
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'users: one row per XMPP bare JID that has used or registered with the gateway',
    sql: `
      CREATE TABLE users (
        jid        TEXT PRIMARY KEY NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    description:
      'identities, persistent_channels, secret_key_check: per-user per-network identity and channels kept joined, passwords sealed (issue 4)',
    // Rules: every secret column holds only SecretBox text (`*_sealed`, secret-box.ts), never
    // clear text. Rows hang off users(jid) with ON DELETE CASCADE: deleting the user row is
    // unregistering. The primary keys lead with jid, which serves the per-user lookups and
    // the cascades; WITHOUT ROWID makes each table its own primary-key index, so the start-up
    // scan of persistent_channels needs no other index.
    sql: `
      CREATE TABLE identities (
        jid                       TEXT NOT NULL REFERENCES users (jid) ON DELETE CASCADE,
        network                   TEXT NOT NULL,  -- '' = the user's gateway-wide defaults
        nick                      TEXT,
        username                  TEXT,
        realname                  TEXT,
        sasl_account              TEXT,
        sasl_password_sealed      TEXT,
        nickserv_password_sealed  TEXT,
        server_password_sealed    TEXT,
        tls                       INTEGER CHECK (tls IN (0, 1)),
        verify_certificate        INTEGER CHECK (verify_certificate IN (0, 1)),
        port                      INTEGER CHECK (port BETWEEN 1 AND 65535),
        after_connect             TEXT CHECK (after_connect IS NULL OR json_type(after_connect) = 'array'),
        encoding                  TEXT,
        updated_at                INTEGER NOT NULL,
        PRIMARY KEY (jid, network)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE persistent_channels (
        jid             TEXT NOT NULL REFERENCES users (jid) ON DELETE CASCADE,
        network         TEXT NOT NULL CHECK (network <> ''),
        channel_folded  TEXT NOT NULL,  -- the name folded with rfc1459 casemapping
        channel         TEXT NOT NULL,  -- the name as the user spelled it
        key_sealed      TEXT,
        created_at      INTEGER NOT NULL,
        PRIMARY KEY (jid, network, channel_folded)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE secret_key_check (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        sealed  TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    description: 'room_settings: per-user per-network per-channel settings (the room encoding)',
    // Rules: keyed like persistent_channels, by the channel name folded with rfc1459
    // casemapping, the name as last given kept beside it; rows hang off users(jid) with
    // ON DELETE CASCADE, so unregistering drops them. encoding NULL means "not set"; the
    // store deletes a row whose settings are all unset rather than keep it.
    sql: `
      CREATE TABLE room_settings (
        jid             TEXT NOT NULL REFERENCES users (jid) ON DELETE CASCADE,
        network         TEXT NOT NULL CHECK (network <> ''),
        channel_folded  TEXT NOT NULL,  -- the name folded with rfc1459 casemapping
        channel         TEXT NOT NULL,  -- the name as the user spelled it
        encoding        TEXT,           -- a WHATWG encoding label; NULL = the network's
        PRIMARY KEY (jid, network, channel_folded)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    description: 'identities.after_connect_sealed: the after-connect commands sealed, as they often carry passwords',
    // Rules: the commands (`PRIVMSG NickServ :IDENTIFY pw`, `OPER x pw`) are secrets like the
    // passwords: the JSON array is sealed by the SecretBox into after_connect_sealed, bound to
    // (identities, [jid, network], after_connect_sealed). SQL cannot encrypt, so this step
    // only adds the column: rows written before it keep their clear `after_connect` until the
    // store next writes them (identity-store.ts reads the clear column as a fallback, and
    // every write stores the sealed column and clears the clear one). The old column stays
    // (STRICT tables keep their CHECK; dropping it buys nothing).
    sql: `
      ALTER TABLE identities ADD COLUMN after_connect_sealed TEXT;
    `,
  },
  {
    description: 'persistent_channels.nick: the IRC nick a persistent channel comes back with after a restart',
    // Rules: with no registered nick, the nick of the join is the IRC nick (issue 9 §2); a
    // restart must bring the user back under it, so the room command stores it with the
    // channel. NULL: no nick was known (rows from before this step), the registered nick or
    // the JID's localpart is used.
    sql: `
      ALTER TABLE persistent_channels ADD COLUMN nick TEXT;
    `,
  },
  {
    description: 'contacts: IRC users a user subscribed to (XEP-0100 §5), whose presence the gateway follows',
    // Rules: keyed by the nick folded with the network's CASEMAPPING (rfc1459 until learned),
    // the nick as last given kept beside it; rows hang off users(jid) with ON DELETE CASCADE.
    sql: `
      CREATE TABLE contacts (
        jid          TEXT NOT NULL REFERENCES users (jid) ON DELETE CASCADE,
        network      TEXT NOT NULL CHECK (network <> ''),
        nick_folded  TEXT NOT NULL,
        nick         TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (jid, network, nick_folded)
      ) STRICT, WITHOUT ROWID;
    `,
  },
];

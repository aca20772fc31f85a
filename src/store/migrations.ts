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
  {
    description: 'archive_channels, archive_lines, archive_spans, archive_status_recipients: channel history, one copy per line (issue 10)',
    // Rules (src/store/archive-store.ts keeps them):
    // - archive_lines holds each line once per channel, whoever's connection received it, so
    //   the file grows with lines, not lines × users. It is clustered (WITHOUT ROWID) by
    //   (channel_id, at, seq): a MAM page is one range read of adjacent rows, newest or
    //   oldest first, with no OFFSET. `seq` is a store-wide counter that orders lines with
    //   the same millisecond in the order they were recorded (XEP-0313 §3.1); `id` is the
    //   XEP-0359 stanza-id (the server's msgid when it had one), unique per channel.
    // - kind: 0 privmsg, 1 notice, 2 action, 3 topic. status_prefix is NULL except for
    //   STATUSMSG lines (`@#chan`), whose readers are listed in archive_status_recipients;
    //   a partial index finds those rare lines without a scan.
    // - archive_spans: when each user's connection was in the channel (end_at NULL = still
    //   in); a user reads only lines inside their spans. No foreign key to users(jid): a
    //   user who never registered has spans too; removeUser deletes them explicitly.
    // - archive_channels.line_count is kept exact by the store on every insert and delete,
    //   so the per-channel maximum is enforced without count(*) over a large channel.
    // - Everything cascades from archive_channels.
    sql: `
      CREATE TABLE archive_channels (
        id              INTEGER PRIMARY KEY,
        network         TEXT NOT NULL CHECK (network <> ''),
        channel_folded  TEXT NOT NULL,  -- the name folded with the network's casemapping
        channel         TEXT NOT NULL,  -- the name as IRC last spelled it
        line_count      INTEGER NOT NULL DEFAULT 0 CHECK (line_count >= 0),
        UNIQUE (network, channel_folded)
      ) STRICT;

      CREATE TABLE archive_lines (
        channel_id     INTEGER NOT NULL REFERENCES archive_channels (id) ON DELETE CASCADE,
        at             INTEGER NOT NULL,  -- ms since the epoch: IRCv3 server-time, else receipt
        seq            INTEGER NOT NULL,
        id             TEXT NOT NULL,
        nick           TEXT NOT NULL,     -- '' = the server (the room itself)
        kind           INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 3),
        body           TEXT NOT NULL,
        status_prefix  TEXT CHECK (status_prefix IS NULL OR status_prefix <> ''),
        PRIMARY KEY (channel_id, at, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE UNIQUE INDEX archive_lines_by_id ON archive_lines (channel_id, id);
      CREATE INDEX archive_lines_status ON archive_lines (channel_id, at, seq) WHERE status_prefix IS NOT NULL;

      CREATE TABLE archive_status_recipients (
        channel_id  INTEGER NOT NULL,
        at          INTEGER NOT NULL,
        seq         INTEGER NOT NULL,
        jid         TEXT NOT NULL,
        PRIMARY KEY (channel_id, at, seq, jid),
        FOREIGN KEY (channel_id, at, seq) REFERENCES archive_lines (channel_id, at, seq) ON DELETE CASCADE
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX archive_status_recipients_by_jid ON archive_status_recipients (jid);

      CREATE TABLE archive_spans (
        jid         TEXT NOT NULL,
        channel_id  INTEGER NOT NULL REFERENCES archive_channels (id) ON DELETE CASCADE,
        start_at    INTEGER NOT NULL,
        end_at      INTEGER CHECK (end_at IS NULL OR end_at >= start_at),
        PRIMARY KEY (jid, channel_id, start_at)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX archive_spans_by_channel ON archive_spans (channel_id, start_at);
    `,
  },
  {
    description: 'room_settings.record: whether the gateway records a channel\'s history for the user (issue 10 §5)',
    // Rules: 1 (the default) records, 0 is the user's room setting "do not record" (the
    // `room` command): lines are not archived through their connection and they get no
    // span. A row whose settings are all at their defaults (encoding NULL, record 1) is
    // deleted rather than kept.
    sql: `
      ALTER TABLE room_settings ADD COLUMN record INTEGER NOT NULL DEFAULT 1 CHECK (record IN (0, 1));
    `,
  },
];

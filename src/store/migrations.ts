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
];

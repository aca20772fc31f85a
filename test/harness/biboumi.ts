/**
 * A biboumi 9 database for the import tests (store/biboumi-import.ts): the rows a few
 * users would have left, written the way biboumi writes them (every column of the row; its
 * booleans as 0/1, `recordhistory_` of a channel as 0 unset / 1 / -1; port lists joined
 * with `;` as its configure form saves them; `roster` as (biboumi's JID, the user)), and
 * the real `biboumi` binary run once to create its schema.
 *
 * Why the binary: the import must read the tables biboumi really creates, not our idea of
 * them. biboumi opens its database (creating every table) before it connects to the XMPP
 * server, so pointed at a closed port it creates the schema and exits.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Db } from '../../src/store/database.js';

/** The gateway domain of the fixture (biboumi's `hostname`). */
export const BIBOUMI_HOST = 'irc.localhost';

/** biboumi's rows, one statement each (see the module header). */
export const BIBOUMI_ROWS: readonly string[] = [
  `INSERT INTO globaloptions_ (id_, owner_, maxhistorylength_, recordhistory_, persistent_) VALUES
     (1, 'alice@example.org', 20, 1, 0),
     (2, 'bob@example.org', 50, 0, 1)`,
  `INSERT INTO ircserveroptions_ (id_, owner_, server_, pass_, tlsports_, ports_, username_, realname_, verifycert_,
       trustedfingerprint_, encodingout_, encodingin_, maxhistorylength_, address_, nick_, saslpassword_, throttlelimit_) VALUES
     (1, 'alice@example.org', 'irc.libera.chat', 'server-pw-1', '6697;6670;', '6667;', 'alice_u', 'Alice Liddell', 1,
       '', 'ISO-8859-1', 'ISO-8859-1', 20, '', 'alice', 'sasl-pw-1', 10),
     (2, 'alice@example.org', 'irc.oftc.net', '', '7000;', '6667;', '', '', 0,
       'AB:CD:EF', 'UTF-8', '', 20, 'irc.eu.oftc.net', 'bad nick', '', 5),
     (3, 'bob@example.org', 'irc.libera.chat', '', '6697;6670;', '6667;', '', '', 1, '', '', '', 20, '', '', '', 10),
     (4, 'mallory@evil.example', 'irc.libera.chat', '', '6697;6670;', '6667;', '', '', 1, '', '', '', 20, '', 'mallory', '', 10),
     (5, 'alice@example.org', 'not a host!', '', '6697;6670;', '6667;', '', '', 1, '', '', '', 20, '', 'alice', '', 10)`,
  `INSERT INTO after_connection_commands_ (id_, fk_, afterconnectioncommand_) VALUES
     (1, 1, 'PRIVMSG NickServ :IDENTIFY alice cmd-pw-1'),
     (2, 1, '/join #x'),
     (3, 2, 'MODE alice +i'),
     (4, 99, 'PRIVMSG orphan :hello')`,
  `INSERT INTO ircchanneloptions_ (id_, owner_, server_, channel_, encodingout_, encodingin_, maxhistorylength_, persistent_, recordhistory_) VALUES
     (1, 'alice@example.org', 'irc.libera.chat', '#jabirc', '', 'windows-1251', 20, 1, 0),
     (2, 'alice@example.org', 'irc.libera.chat', '#quiet', 'koi8-r', '', 20, 0, -1),
     (3, 'bob@example.org', 'irc.libera.chat', '#bob', '', '', 20, 0, 0),
     (4, 'alice@example.org', 'irc.libera.chat', 'nochan', '', '', 20, 1, 0)`,
  `INSERT INTO muclogline_ (id_, uuid_, owner_, ircchanname_, ircservername_, date_, body_, nick_) VALUES
     (1, 'c4b7d1e0-0001-4000-8000-000000000001', 'alice@example.org', '#jabirc', 'irc.libera.chat', 1764500000, 'hello', 'bob'),
     (2, 'c4b7d1e0-0002-4000-8000-000000000002', 'alice@example.org', '#jabirc', 'irc.libera.chat', 1764500060, 'hi bob', 'alice'),
     (3, 'c4b7d1e0-0003-4000-8000-000000000003', 'bob@example.org', '#bob', 'irc.libera.chat', 1764500120, 'alone', 'bob')`,
  `INSERT INTO roster (local, remote) VALUES
     ('${BIBOUMI_HOST}', 'alice@example.org'),
     ('irc.libera.chat@${BIBOUMI_HOST}', 'alice@example.org'),
     ('alice@example.org', 'friend%irc.libera.chat@${BIBOUMI_HOST}'),
     ('Friend%irc.libera.chat@${BIBOUMI_HOST}', 'alice@example.org'),
     ('biboumi.elsewhere.org', 'alice@example.org')`,
];

/** Fills a biboumi database with {@link BIBOUMI_ROWS}. */
export function fillBiboumi(db: Db): void {
  db.transaction(() => {
    for (const sql of BIBOUMI_ROWS) db.exec(sql);
  })();
}

/** A TCP port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs Debian's `biboumi` with `db_name` at `dir/biboumi.sqlite` against a closed port, so
 * that it creates its schema and exits; returns the database path. Throws with biboumi's
 * output when no database appears.
 */
export async function createBiboumiDatabase(dir: string): Promise<string> {
  const db = join(dir, 'biboumi.sqlite');
  const cfg = join(dir, 'biboumi.cfg');
  // biboumi(1): option=value lines, no spaces around `=`.
  writeFileSync(
    cfg,
    [`hostname=${BIBOUMI_HOST}`, 'password=x', 'xmpp_server_ip=127.0.0.1', `port=${await closedPort()}`, `db_name=${db}`, 'log_level=3', 'log_file=', ''].join('\n'),
  );
  const run = spawnSync('biboumi', [cfg], { encoding: 'utf8', timeout: 15_000, killSignal: 'SIGKILL' });
  if (run.error !== undefined || !existsSync(db)) {
    throw new Error(`biboumi created no database (${run.error?.message ?? `exit ${String(run.status)}`}):\n${run.stdout}\n${run.stderr}`);
  }
  return db;
}

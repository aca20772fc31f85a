/**
 * `jabirc import-biboumi` as an operator runs it (issue 9 §8 b): the built program on a
 * database whose schema Debian's real `biboumi` binary created (test/harness/biboumi.ts),
 * filled through biboumi's own tables. A dry run writes nothing, the real run fills our
 * stores (passwords sealed under the key file it creates), a second run changes nothing,
 * and biboumi's file is never written. The mapping row by row is unit-tested
 * (test/unit/store/biboumi-import.test.ts); here only what the command does end to end.
 *
 * Needs `biboumi` on PATH: scripts/install-system-deps.sh installs it, so this never skips.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTarget } from '../../src/store/biboumi-import.js';
import { openDatabase } from '../../src/store/database.js';
import { openSecretBox } from '../../src/store/secret-key.js';
import { BIBOUMI_HOST, createBiboumiDatabase, fillBiboumi } from '../harness/biboumi.js';
import { jabircConfig, jabircDir, startJabirc } from '../harness/jabirc.js';

const ALICE = 'alice@example.org';
const LIBERA = 'irc.libera.chat';

let dir: string;
let biboumiDb: string;
let jabircDb: string;

/** Runs `jabirc import-biboumi <biboumi db> --config <dir>/config.toml [...extra]`; the exit code and output. */
async function importCommand(...extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = await startJabirc(dir, {
    configToml: jabircConfig(dir, {
      componentJid: BIBOUMI_HOST,
      secret: 'x',
      host: '127.0.0.1',
      port: 5347,
      domains: ['example.org'],
      logLevel: 'info',
      extra: '[irc]\nallow_unlisted = true\n',
    }),
    args: (configFile) => ['import-biboumi', biboumiDb, '--config', configFile, ...extra],
  });
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

const hash = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function dump(file: string): string {
  const db = new Database(file, { readonly: true });
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  const out = JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]));
  db.close();
  return out;
}

beforeAll(async () => {
  dir = await jabircDir();
  biboumiDb = await createBiboumiDatabase(dir);
  jabircDb = path.join(dir, 'jabirc.sqlite');
  const db = new Database(biboumiDb);
  fillBiboumi(db);
  db.close();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('jabirc import-biboumi on a database made by biboumi 9', () => {
  it('biboumi created the six tables the import reads', () => {
    const db = new Database(biboumiDb, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    db.close();
    expect(tables).toEqual(expect.arrayContaining(['after_connection_commands_', 'globaloptions_', 'ircchanneloptions_', 'ircserveroptions_', 'muclogline_', 'roster']));
  });

  let dryReport = '';
  it('--dry-run prints the per-table report and writes nothing', async () => {
    const before = hash(biboumiDb);
    const out = await importCommand('--dry-run');
    expect(out.code, out.stderr).toBe(0);
    dryReport = out.stdout;
    expect(out.stdout).toMatch(/^biboumi import from .*biboumi\.sqlite \(dry run: nothing written\)\n/);
    expect(out.stdout).toContain('ircserveroptions_: 5 rows: 2 to import, 0 unchanged, 1 with nothing to import, 2 not imported');
    expect(existsSync(jabircDb)).toBe(false);
    expect(existsSync(`${jabircDb}.key`)).toBe(false);
    expect(hash(biboumiDb)).toBe(before);
  });

  it('the real run imports what the dry run said, sealed under the key file it creates', async () => {
    const before = hash(biboumiDb);
    const out = await importCommand();
    expect(out.code, out.stderr).toBe(0);
    if (process.env.SHOW_IMPORT_REPORT) console.log(out.stdout);
    expect(out.stdout.replace(/^.*\n/, '')).toBe(dryReport.replace(/^.*\n/, '').replace(/: (\d+) to import,/g, ': $1 imported,'));
    for (const secret of ['sasl-pw-1', 'server-pw-1', 'cmd-pw-1']) {
      expect(out.stdout).not.toContain(secret);
      expect(readFileSync(jabircDb).toString('latin1')).not.toContain(secret);
    }
    expect(hash(biboumiDb)).toBe(before);

    const { db } = openDatabase(jabircDb);
    const stores = importTarget(db, openSecretBox(db, { configuredKey: undefined, databasePath: jabircDb, log: { warn() {} }, addSecret() {} }));
    expect(stores.identities.get(ALICE, LIBERA)).toMatchObject({
      nick: 'alice',
      saslPassword: 'sasl-pw-1',
      serverPassword: 'server-pw-1',
      afterConnect: ['PRIVMSG NickServ :IDENTIFY alice cmd-pw-1'],
    });
    expect(stores.channels.all().map((c) => `${c.user} ${c.channel}`)).toEqual([`${ALICE} #jabirc`, 'bob@example.org #bob']);
    expect(stores.roomEncodings.get(ALICE, LIBERA, '#jabirc')).toBe('windows-1251');
    expect(stores.contacts.list(ALICE, LIBERA)).toEqual(['friend']);
    db.close();
  });

  it('a second run changes nothing and says every row is already there', async () => {
    const before = dump(jabircDb);
    const out = await importCommand();
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('ircserveroptions_: 5 rows: 0 imported, 2 unchanged, 1 with nothing to import, 2 not imported');
    expect(out.stdout).not.toMatch(/: [1-9]\d* imported/);
    expect(dump(jabircDb)).toBe(before);
  });

  it('a file that is not a biboumi database is refused with exit 1', async () => {
    const real = biboumiDb;
    biboumiDb = jabircDb;
    try {
      const out = await importCommand('--dry-run');
      expect(out.code).toBe(1);
      expect(out.stderr).toContain('not a biboumi database');
    } finally {
      biboumiDb = real;
    }
  });
});

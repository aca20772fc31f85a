/**
 * The biboumi import (store/biboumi-import.ts) on a hand-made biboumi 9 schema (the
 * CREATE TABLE statements biboumi 9 issues, database.hpp) filled with the fixture rows of
 * test/harness/biboumi.ts: what lands in each store, the report, idempotence, the dry run,
 * what Jabirc already holds winning, and the operator's bounds. The same rows on a schema
 * made by the real biboumi binary: test/integration/biboumi-import.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { BareJid } from '../../../src/core/jid.js';
import {
  BiboumiImportError,
  formatImportReport,
  importBiboumi,
  importTarget,
  openImportTarget,
  type ImportOptions,
  type ImportTarget,
  type TableReport,
} from '../../../src/store/biboumi-import.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { BIBOUMI_HOST, fillBiboumi } from '../../harness/biboumi.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const LIBERA = 'irc.libera.chat';
const OFTC = 'irc.oftc.net';

/** biboumi 9's schema, as its Sqlite3Engine creates it. */
const BIBOUMI_SCHEMA = `
  CREATE TABLE muclogline_ (id_ INTEGER PRIMARY KEY AUTOINCREMENT,uuid_ TEXT,owner_ TEXT,ircchanname_ TEXT,ircservername_ TEXT,date_ INTEGER,body_ TEXT,nick_ TEXT);
  CREATE TABLE globaloptions_ (id_ INTEGER PRIMARY KEY AUTOINCREMENT,owner_ TEXT,maxhistorylength_ INTEGER,recordhistory_ INTEGER,persistent_ INTEGER);
  CREATE TABLE ircserveroptions_ (id_ INTEGER PRIMARY KEY AUTOINCREMENT,owner_ TEXT,server_ TEXT,pass_ TEXT,tlsports_ TEXT,ports_ TEXT,username_ TEXT,realname_ TEXT,verifycert_ INTEGER,trustedfingerprint_ TEXT,encodingout_ TEXT,encodingin_ TEXT,maxhistorylength_ INTEGER,address_ TEXT,nick_ TEXT,saslpassword_ TEXT,throttlelimit_ INTEGER);
  CREATE TABLE ircchanneloptions_ (id_ INTEGER PRIMARY KEY AUTOINCREMENT,owner_ TEXT,server_ TEXT,channel_ TEXT,encodingout_ TEXT,encodingin_ TEXT,maxhistorylength_ INTEGER,persistent_ INTEGER,recordhistory_ INTEGER);
  CREATE TABLE roster (local TEXT,remote TEXT);
  CREATE TABLE after_connection_commands_ (id_ INTEGER PRIMARY KEY AUTOINCREMENT,fk_ INTEGER,afterconnectioncommand_ TEXT);
  CREATE INDEX archive_index ON muclogline_(owner_,ircchanname_,ircservername_);
`;

function biboumi(fill = true): Db {
  const db = new Database(':memory:');
  db.exec(BIBOUMI_SCHEMA);
  if (fill) fillBiboumi(db);
  return db;
}

function jabirc(): ImportTarget {
  return importTarget(openDatabase(':memory:').db, new SecretBox(randomBytes(32)));
}

const OPTIONS: ImportOptions = { gatewayDomain: BIBOUMI_HOST, userAllowed: (u) => !u.endsWith('@evil.example') };

/** Every row of every Jabirc table, sealed values included: what "changes nothing" compares. */
function dump(db: Db): string {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  return JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]));
}

function counts(t: TableReport | undefined): [number, number, number, number, number] {
  return [t?.rows ?? -1, t?.imported ?? -1, t?.unchanged ?? -1, t?.nothing ?? -1, t?.notImported ?? -1];
}

describe('import-biboumi: what lands in our stores', () => {
  const target = jabirc();
  const report = importBiboumi(biboumi(), target, OPTIONS);
  const table = (name: string) => report.tables.find((t) => t.table === name);

  it('identities: nick, username, realname, SASL and server passwords, after-connect commands, encoding; biboumi default ports set nothing', () => {
    expect(target.identities.get(ALICE, LIBERA)).toEqual({
      nick: 'alice',
      username: 'alice_u',
      realname: 'Alice Liddell',
      saslPassword: 'sasl-pw-1',
      serverPassword: 'server-pw-1',
      afterConnect: ['PRIVMSG NickServ :IDENTIFY alice cmd-pw-1'],
      encoding: 'windows-1252', // ISO-8859-1 is windows-1252 in the WHATWG Encoding Standard
    });
    // TLS 7000 first, as biboumi tries it; TLS is the default here, so only the port is stored.
    expect(target.identities.get(ALICE, OFTC)).toEqual({ verifyCertificate: false, port: 7000, afterConnect: ['MODE alice +i'] });
    expect(target.identities.networks(BOB)).toEqual([]);
    expect(target.identities.users()).toEqual([ALICE]);
  });

  it('passwords and after-connect commands are sealed on the way in', () => {
    const rows = JSON.stringify(target.db.prepare('SELECT * FROM identities').all());
    for (const secret of ['sasl-pw-1', 'server-pw-1', 'cmd-pw-1']) expect(rows).not.toContain(secret);
  });

  it('persistent channels (persistent_, or the owner’s global persistent_) and room encodings', () => {
    expect(target.channels.all()).toEqual([
      { user: ALICE, network: LIBERA, channel: '#jabirc' },
      { user: BOB, network: LIBERA, channel: '#bob' },
    ]);
    expect(target.roomEncodings.get(ALICE, LIBERA, '#jabirc')).toBe('windows-1251');
    expect(target.roomEncodings.get(ALICE, LIBERA, '#quiet')).toBeUndefined();
    // recordhistory_ = -1: the room's record setting (issue 10 §5) is off.
    expect(target.roomEncodings.recording?.(ALICE, LIBERA, '#quiet')).toBe(false);
    expect(target.roomEncodings.recording?.(ALICE, LIBERA, '#jabirc')).toBe(true);
  });

  it('history: each line archived once with biboumi’s uuid_ as its id, readable by its owner only', () => {
    const read = (user: string, channel: string) => {
      const r = target.archive!.query(user, LIBERA, channel, { max: 10 });
      return r.kind === 'page' ? r.page.lines.map((l) => [l.id, l.nick, l.body, l.at]) : r.kind;
    };
    expect(read(ALICE, '#jabirc')).toEqual([
      ['c4b7d1e0-0001-4000-8000-000000000001', 'bob', 'hello', 1764500000_000],
      ['c4b7d1e0-0002-4000-8000-000000000002', 'alice', 'hi bob', 1764500060_000],
    ]);
    expect(read(BOB, '#bob')).toEqual([['c4b7d1e0-0003-4000-8000-000000000003', 'bob', 'alone', 1764500120_000]]);
    expect(read(BOB, '#jabirc')).toBe('no-span');
  });

  it('a roster row naming nick%net@gw (either column) is a contact; subscriptions to gw and net@gw are not', () => {
    expect(target.contacts.list(ALICE, LIBERA)).toEqual(['friend']);
  });

  it.each<[string, [number, number, number, number, number]]>([
    // rows, imported, unchanged, nothing to import, not imported
    ['globaloptions_', [2, 0, 0, 2, 0]],
    ['ircserveroptions_', [5, 2, 0, 1, 2]],
    ['after_connection_commands_', [4, 2, 0, 0, 2]],
    ['ircchanneloptions_', [4, 3, 0, 0, 1]],
    ['muclogline_', [3, 3, 0, 0, 0]],
    ['roster', [5, 1, 1, 0, 3]],
  ])('report counts of %s', (name, expected) => {
    expect(counts(table(name))).toEqual(expected);
  });

  it('the report names every row and field left out, and why', () => {
    const text = formatImportReport(report, 'biboumi.sqlite');
    for (const line of [
      'id 2 (bob@example.org): maxhistorylength_ = 50: not imported: history is configured by the operator',
      'id 2 (bob@example.org): recordhistory_ = 0: not imported: history is configured by the operator',
      "id 2 (bob@example.org): persistent_ = 1 (every channel persistent): Jabirc has no such default; the owner's 1 channel in ircchanneloptions_ is made persistent, as biboumi treats them",
      'id 1 (alice@example.org on irc.libera.chat): encodingout_ = "ISO-8859-1": not imported: Jabirc always sends UTF-8',
      'id 2 (alice@example.org on irc.oftc.net): nick_ = "bad nick": not imported: is not a valid IRC nick',
      'id 2 (alice@example.org on irc.oftc.net): ports_/tlsports_: Jabirc connects on one port (7000 with TLS); 6667 not used',
      'id 2 (alice@example.org on irc.oftc.net): trustedfingerprint_: not imported: Jabirc pins no certificate',
      'id 2 (alice@example.org on irc.oftc.net): address_ = "irc.eu.oftc.net": not imported: where a network is reached is the operator\'s setting',
      "id 2 (alice@example.org on irc.oftc.net): throttlelimit_ = 5: not imported: flood control is the operator's",
      'id 3 (bob@example.org on irc.libera.chat): nothing to import: no setting Jabirc has differs from its default',
      "id 4 (mallory@evil.example on irc.libera.chat): not imported: mallory@evil.example's domain may not use this gateway (access.domains)",
      'id 5 (alice@example.org on not a host!): not imported: server "not a host!" is not a network name (a hostname)',
      'id 2 (of ircserveroptions_ id 1): not imported: the command is not an IRC command line',
      'id 4: not imported: fk_ "99" names no ircserveroptions_ row',
      'id 2 (alice@example.org, #quiet on irc.libera.chat): encodingout_ = "koi8-r": not imported: Jabirc always sends UTF-8',
      'id 4 (alice@example.org, nochan on irc.libera.chat): not imported: channel_ "nochan" is not an IRC channel name',
      'row 1 (irc.localhost ↔ alice@example.org): not imported: a subscription to the gateway itself',
      'row 2 (irc.libera.chat@irc.localhost ↔ alice@example.org): not imported: a subscription to the network irc.libera.chat',
      'row 5 (biboumi.elsewhere.org ↔ alice@example.org): not imported: neither side is at irc.localhost',
    ]) {
      expect(text).toContain(line);
    }
    expect(text.split('\n').filter((l) => l.startsWith('  '))).toHaveLength(19);
  });

  it('never shows a password or an after-connect command', () => {
    const text = formatImportReport(report, 'biboumi.sqlite');
    for (const secret of ['sasl-pw-1', 'server-pw-1', 'cmd-pw-1', 'IDENTIFY', '/join']) expect(text).not.toContain(secret);
  });
});

describe('import-biboumi: running it again, and --dry-run', () => {
  it('is idempotent: the second run writes nothing and reports every imported row unchanged', () => {
    const source = biboumi();
    const target = jabirc();
    const first = importBiboumi(source, target, OPTIONS);
    const before = dump(target.db);
    const second = importBiboumi(source, target, OPTIONS);
    expect(dump(target.db)).toBe(before);
    for (const t of second.tables) {
      const was = first.tables.find((f) => f.table === t.table);
      expect(t.imported).toBe(0);
      expect(t.unchanged).toBe((was?.imported ?? 0) + (was?.unchanged ?? 0));
      expect(t.notImported).toBe(was?.notImported);
    }
  });

  it('a dry run reports what a real run does and writes nothing', () => {
    const target = jabirc();
    const before = dump(target.db);
    const dry = importBiboumi(biboumi(), target, { ...OPTIONS, dryRun: true });
    expect(dump(target.db)).toBe(before);
    const real = importBiboumi(biboumi(), jabirc(), OPTIONS);
    expect(dry).toEqual({ ...real, dryRun: true });
    expect(formatImportReport(dry, 'b.sqlite')).toMatch(/^biboumi import from b\.sqlite \(dry run: nothing written\)\nglobaloptions_: 2 rows: 0 to import,/);
  });

  it('openImportTarget for a dry run leaves the file and its key as they are, or absent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jabirc-bib-'));
    const absent = join(dir, 'none.sqlite');
    const dryAbsent = openImportTarget(absent, { dryRun: true, configuredKey: undefined, log: { warn() {} }, addSecret() {} });
    importBiboumi(biboumi(), dryAbsent, OPTIONS);
    dryAbsent.db.close();
    expect(existsSync(absent)).toBe(false);
    expect(existsSync(`${absent}.key`)).toBe(false);

    const path = join(dir, 'jabirc.sqlite');
    const real = openImportTarget(path, { dryRun: false, configuredKey: undefined, log: { warn() {} }, addSecret() {} });
    real.identities.set(ALICE, LIBERA, { nick: 'alicia' });
    real.db.close();
    const hash = (): string => createHash('sha256').update(readFileSync(path)).digest('hex');
    const was = hash();
    const dry = openImportTarget(path, { dryRun: true, configuredKey: undefined, log: { warn() {} }, addSecret() {} });
    expect(dry.identities.get(ALICE, LIBERA)).toEqual({ nick: 'alicia' }); // the copy opens with the file's key
    importBiboumi(biboumi(), dry, OPTIONS);
    dry.db.close();
    expect(hash()).toBe(was);
  });
});

describe('import-biboumi: what Jabirc already holds, and the operator’s bounds', () => {
  it('values Jabirc already has win, field by field, and are named', () => {
    const target = jabirc();
    target.identities.set(ALICE, LIBERA, { nick: 'alicia', serverPassword: 'ours' });
    target.roomEncodings.set(ALICE, LIBERA, '#jabirc', 'koi8-r');
    const report = importBiboumi(biboumi(), target, OPTIONS);
    expect(target.identities.get(ALICE, LIBERA)).toMatchObject({ nick: 'alicia', serverPassword: 'ours', username: 'alice_u', saslPassword: 'sasl-pw-1' });
    expect(target.roomEncodings.get(ALICE, LIBERA, '#jabirc')).toBe('koi8-r');
    const text = formatImportReport(report, 'b');
    expect(text).toContain('id 1 (alice@example.org on irc.libera.chat): nick: Jabirc already has another value; kept');
    expect(text).toContain('id 1 (alice@example.org on irc.libera.chat): serverPassword: Jabirc already has another value; kept');
    expect(text).toContain('id 1 (alice@example.org, #jabirc on irc.libera.chat): encodingin_: Jabirc already has koi8-r for this room; kept');
    expect(text).not.toContain('ours');
  });

  it('networks users may not reach, and the per-user limits', () => {
    const target = jabirc();
    const report = importBiboumi(biboumi(), target, {
      ...OPTIONS,
      networkDefaults: (n) => (n === LIBERA ? { port: 6697, tls: true } : undefined),
      limits: { maxNetworksPerUser: 1, maxChannelsPerUser: 0 },
    });
    expect(target.identities.networks(ALICE)).toEqual([LIBERA]);
    expect(target.channels.all()).toEqual([]);
    const text = formatImportReport(report, 'b');
    expect(text).toContain('id 2 (alice@example.org on irc.oftc.net): not imported: network irc.oftc.net is not open to users here');
    expect(text).toContain('id 3 (of ircserveroptions_ id 2): not imported: their server row is not');
    expect(text).toContain('id 1 (alice@example.org, #jabirc on irc.libera.chat): persistent_: not imported: alice@example.org already has 0 persistent channels, the most this gateway allows');
  });

  it('fixed-network mode: rows of the one network (by name or by its host) only', () => {
    const target = jabirc();
    importBiboumi(biboumi(), target, {
      ...OPTIONS,
      fixedNetwork: 'libera',
      networkDefaults: (n) => (n === 'libera' ? { host: LIBERA, port: 6697, tls: true } : undefined),
    });
    expect(target.identities.users()).toEqual([ALICE]);
    expect(target.identities.networks(ALICE)).toEqual(['libera']);
    expect(target.channels.all().map((c) => c.network)).toEqual(['libera', 'libera']);
  });

  it('the gateway checks users: a domain not allowed is left out everywhere', () => {
    const target = jabirc();
    const report = importBiboumi(biboumi(), target, { ...OPTIONS, userAllowed: (u: BareJid) => u === BOB });
    expect(target.identities.users()).toEqual([]);
    expect(target.channels.all()).toEqual([{ user: BOB, network: LIBERA, channel: '#bob' }]);
    expect(report.tables.find((t) => t.table === 'roster')?.imported).toBe(0);
  });
});

describe('import-biboumi: what is not a biboumi database', () => {
  it('a database with none of its tables is refused', () => {
    expect(() => importBiboumi(new Database(':memory:'), jabirc(), OPTIONS)).toThrow(BiboumiImportError);
  });

  it('a missing table is reported, the rest imported', () => {
    const source = biboumi(false);
    source.exec('DROP TABLE muclogline_; DROP TABLE roster');
    const report = importBiboumi(source, jabirc(), OPTIONS);
    const roster = report.tables.find((t) => t.table === 'roster');
    expect(roster).toMatchObject({ present: false, rows: 0, notes: ['table absent (an older biboumi, or never used)'] });
  });
});

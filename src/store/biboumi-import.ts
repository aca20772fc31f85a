/**
 * `jabirc import-biboumi`: a biboumi 9 SQLite database into our stores (issue 9 §8 b), so
 * that users moving from biboumi keep their identities, passwords, persistent channels,
 * encodings and contacts.
 *
 * Why through the repositories: every rule our stores keep (passwords and after-connect
 * commands sealed by the SecretBox, names folded by CASEMAPPING, `users` rows, per-user
 * bounds) then holds for imported rows too. biboumi keeps its passwords in clear; they are
 * sealed on the way in and never appear in the report.
 *
 * biboumi 9's tables (src/database/database.hpp; a column is its setting's name plus `_`)
 * and where their rows go (core/biboumi.ts has the field-by-field table and the reasons):
 *
 * | table                        | key                     | into                                          |
 * | ---------------------------- | ----------------------- | --------------------------------------------- |
 * | `globaloptions_`             | owner_                  | nothing: history and all-channels persistence; `persistent_` makes the owner's channel rows persistent, as in biboumi |
 * | `ircserveroptions_`          | owner_, server_         | IdentityStore (owner, network)                |
 * | `after_connection_commands_` | fk_ → ircserveroptions_ | that identity's after-connect commands        |
 * | `ircchanneloptions_`         | owner_, server_, channel_ | ChannelStore (persistent_), RoomEncodingStore (encodingin_) |
 * | `muclogline_`                | uuid_                   | the channel archive, once per line, biboumi's uuid_ as the id; a span per owner |
 * | `roster`                     | local, remote           | ContactStore when one side is `nick%net@gw`   |
 *
 * biboumi 9 writes a roster row when a user subscribes to the gateway or to `server@gw`
 * (biboumi_component.cpp): `local` is biboumi's JID, `remote` the user. Subscriptions to
 * `gw` and `net@gw` are left out with their reason (Jabirc keeps no state for them); a row
 * whose gateway side is `nick%net@gw` (parsed by core/address.ts, either column) becomes a
 * contact of the user on the other side.
 *
 * Rules:
 * - One transaction on the Jabirc database: a failure leaves it as it was. `dryRun` runs
 *   the same import and rolls it back, so its report is exactly what a real run would do.
 * - Idempotent: what our stores already hold wins, field by field. A row whose values are
 *   all there already is "unchanged" and nothing is written (a sealed value is re-sealed
 *   with a fresh nonce, so writing the same password again would change the file); a field
 *   where Jabirc holds another value is kept and named. Running twice changes nothing the
 *   second time, and reports the same rows as unchanged.
 * - Values pass the same checks as the ad-hoc forms (registration.ts `applyIdentityFields`,
 *   field by field): a value that fails is left out and named, the rest of its row goes in.
 * - The report names every row or field left out and why. A column holding biboumi's
 *   default (core/biboumi.ts) is no choice of the user and is not named. Secrets (pass_,
 *   saslpassword_, after-connect commands) are named, never shown.
 * - The operator's settings bound the import as they bound users: networks users may not
 *   reach, users whose domain may not use the gateway, and the per-user limits.
 * Length: about 600 lines, one section per biboumi table; split, the idempotence and
 * reporting rules above would have to be restated in each part.
 * Pure of process concerns: `importBiboumi` takes the two handles and the stores and
 * returns the report; the two openers at the end are the only file IO (the dry run's copy).
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { isValidChannelName, isValidNetworkName, parseAddress } from '../core/address.js';
import type { Archive } from '../core/history/archive-port.js';
import { SqliteArchiveStore } from './archive-store.js';
import { BIBOUMI_DEFAULTS, NOT_TAKEN, portsFromBiboumi, splitBiboumiPorts, unusedPortsText } from '../core/biboumi.js';
import { ircEquals } from '../core/casemap.js';
import { InvalidFieldError } from '../core/data-form.js';
import { bareOf, splitJid, type BareJid } from '../core/jid.js';
import type { CoreLog } from '../core/log-port.js';
import type { ChannelStore, ContactStore, IdentityStore, NetworkIdentity, RoomEncodingStore } from '../core/ports.js';
import {
  MAX_AFTER_CONNECT_LINES,
  SETTINGS_FIELDS,
  applyIdentityFields,
  parseAfterConnect,
  parseEncoding,
  type EntityLimits,
  type NetworkDefaults,
} from '../core/registration.js';
import { SqliteChannelStore } from './channel-store.js';
import { MAX_CONTACTS_PER_NETWORK, SqliteContactStore } from './contact-store.js';
import { StoreError, migrate, openDatabase, type Db } from './database.js';
import { SqliteIdentityStore } from './identity-store.js';
import { SqliteRoomEncodingStore } from './room-settings-store.js';
import type { SecretBox } from './secret-box.js';
import { keyFilePath, openSecretBox } from './secret-key.js';

/** biboumi 9's tables, in the order the report lists them. */
export const BIBOUMI_TABLES = [
  'globaloptions_',
  'ircserveroptions_',
  'after_connection_commands_',
  'ircchanneloptions_',
  'muclogline_',
  'roster',
] as const;
export type BiboumiTable = (typeof BIBOUMI_TABLES)[number];

/** One table's outcome: every row counted once. */
export interface TableReport {
  table: BiboumiTable;
  /** Whether the database has the table at all. */
  present: boolean;
  rows: number;
  /** Rows that changed our stores. */
  imported: number;
  /** Rows whose values our stores already hold. */
  unchanged: number;
  /** Rows with no setting Jabirc has (biboumi's defaults, or only settings Jabirc lacks). */
  nothing: number;
  /** Rows left out as a whole. */
  notImported: number;
  /** Every row or field left out, and why. */
  notes: string[];
}

export interface ImportReport {
  dryRun: boolean;
  tables: TableReport[];
}

/** The Jabirc side: its database handle (for the one transaction) and the repositories. */
export interface ImportTarget {
  db: Db;
  identities: IdentityStore;
  channels: ChannelStore;
  roomEncodings: RoomEncodingStore;
  contacts: ContactStore;
  /** The channel archive; absent when history is off. */
  archive?: Archive;
}

export interface ImportOptions {
  /** The gateway's domain: roster JIDs are read against it. */
  gatewayDomain: string;
  /** Fixed-network mode: every biboumi server row must be this network. */
  fixedNetwork?: string;
  /**
   * The operator's settings of a network (its host read in fixed-network mode); undefined
   * when users may not reach it. Absent: every network, no defaults.
   */
  networkDefaults?(network: string): (NetworkDefaults & { host?: string }) | undefined;
  /** Whether the user may use the gateway (access.domains); absent: everyone. */
  userAllowed?(user: BareJid): boolean;
  limits?: EntityLimits;
  /** Run the import and roll it back: the report, nothing written. */
  dryRun?: boolean;
}

export class BiboumiImportError extends StoreError {
  override name = 'BiboumiImportError';
}

type Row = Record<string, unknown>;
type Outcome = 'imported' | 'unchanged' | 'nothing' | 'not-imported';

class Tally {
  readonly report: TableReport;
  constructor(table: BiboumiTable, present: boolean, rows: number) {
    this.report = { table, present, rows, imported: 0, unchanged: 0, nothing: 0, notImported: 0, notes: [] };
  }
  count(outcome: Outcome): void {
    if (outcome === 'imported') this.report.imported++;
    else if (outcome === 'unchanged') this.report.unchanged++;
    else if (outcome === 'nothing') this.report.nothing++;
    else this.report.notImported++;
  }
  note(row: string, text: string): void {
    this.report.notes.push(`${row}: ${text}`);
  }
  skip(row: string, why: string): Outcome {
    this.note(row, `not imported: ${why}`);
    return 'not-imported';
  }
}

function text(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function int(v: unknown): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** A value for the report: quoted and cut short, so a hostile database cannot flood it. */
function shown(v: unknown): string {
  return JSON.stringify(text(v).slice(0, 60));
}

function hasTable(db: Db, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

/** The rows of `table` in biboumi's order (`id_`, else rowid), or [] when it is absent. */
function rowsOf(db: Db, table: BiboumiTable, present: boolean): Row[] {
  if (!present) return [];
  const order = table === 'roster' ? 'rowid' : 'id_';
  return db.prepare(`SELECT rowid AS rowid__, * FROM "${table}" ORDER BY ${order}`).all() as Row[];
}

/** Reads every table, imports what maps, and returns the report (see the module header). */
export function importBiboumi(source: Db, target: ImportTarget, opts: ImportOptions): ImportReport {
  const present = new Map(BIBOUMI_TABLES.map((t) => [t, hasTable(source, t)]));
  if (![...present.values()].some(Boolean)) {
    throw new BiboumiImportError(`not a biboumi database: it has none of the tables ${BIBOUMI_TABLES.join(', ')}`);
  }
  const rows = new Map(BIBOUMI_TABLES.map((t) => [t, rowsOf(source, t, present.get(t) ?? false)]));
  const tallies = new Map(BIBOUMI_TABLES.map((t) => [t, new Tally(t, present.get(t) ?? false, rows.get(t)?.length ?? 0)]));
  const tally = (t: BiboumiTable): Tally => tallies.get(t) as Tally;
  const run = new ImportRun(target, opts);

  const apply = (): void => {
    const persistentOwners = run.globalOptions(rows.get('globaloptions_') ?? [], tally('globaloptions_'), rows.get('ircchanneloptions_') ?? []);
    run.serverOptions(rows.get('ircserveroptions_') ?? [], rows.get('after_connection_commands_') ?? [], tally('ircserveroptions_'), tally('after_connection_commands_'));
    run.channelOptions(rows.get('ircchanneloptions_') ?? [], persistentOwners, tally('ircchanneloptions_'));
    run.history(rows.get('muclogline_') ?? [], tally('muclogline_'));
    run.roster(rows.get('roster') ?? [], tally('roster'));
    for (const t of BIBOUMI_TABLES) if (!(present.get(t) ?? false)) tally(t).report.notes.push('table absent (an older biboumi, or never used)');
  };
  const dryRun = opts.dryRun ?? false;
  const rollback = new Error('dry run: roll back');
  try {
    target.db.transaction(() => {
      apply();
      if (dryRun) throw rollback;
    })();
  } catch (err) {
    if (err !== rollback) throw err;
  }
  return { dryRun, tables: BIBOUMI_TABLES.map((t) => tally(t).report) };
}

function sameIdentity(a: NetworkIdentity, b: NetworkIdentity): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof NetworkIdentity>;
  return [...keys].every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

/** biboumi column → our settings form var (registration.ts SETTINGS_FIELDS). */
const SERVER_COLUMNS: ReadonlyArray<readonly [column: string, ours: string, secret: boolean]> = [
  ['nick_', 'nick', false],
  ['username_', 'username', false],
  ['realname_', 'realname', false],
  ['saslpassword_', 'sasl_password', true],
  ['pass_', 'server_password', true],
  ['encodingin_', 'encoding', false],
];

/** The importer's state over one run: the stores, the options, the owners' limits. */
class ImportRun {
  constructor(
    readonly target: ImportTarget,
    readonly opts: ImportOptions,
  ) {}

  /**
   * `muclogline_`: biboumi's archive, one copy per owner. Each line goes into the channel's
   * archive once (a copy another owner's connection also logged is the same line), keeping
   * biboumi's `uuid_` as the message id (XEP-0359 stanza-id, so clients that cached it match
   * it); each owner gets a span over their lines of that channel, so they read what they
   * read in biboumi and nothing more. A line already archived is unchanged (idempotent).
   */
  history(lines: readonly Row[], tally: Tally): void {
    const archive = this.target.archive;
    const spans = new Map<string, { user: BareJid; network: string; channel: string; from: number; to: number }>();
    for (const l of lines) {
      const label = `id ${text(l.id_)}`;
      tally.count(
        ((): Outcome => {
          const owner = this.user(l.owner_);
          if ('why' in owner) return tally.skip(label, owner.why);
          const net = this.network(l.ircservername_);
          if ('why' in net) return tally.skip(label, net.why);
          const channel = text(l.ircchanname_);
          if (!isValidChannelName(channel)) return tally.skip(label, `ircchanname_ ${shown(channel)} is not an IRC channel name`);
          const id = text(l.uuid_);
          const seconds = int(l.date_);
          if (id === '' || seconds === undefined) return tally.skip(label, 'no uuid_ or date_');
          if (!archive) return tally.skip(label, 'history is off here ([history] enabled = false)');
          if (archive.has(net.network, channel, id)) return 'unchanged';
          const body = text(l.body_);
          const at = seconds * 1000;
          archive.record(owner.user, { id, serverId: false, network: net.network, channel, at, nick: text(l.nick_), kind: body.startsWith('/me ') ? 'action' : 'privmsg', body });
          const key = `${owner.user} ${net.network} ${channel.toLowerCase()}`;
          const span = spans.get(key) ?? { user: owner.user, network: net.network, channel, from: at, to: at };
          span.from = Math.min(span.from, at);
          span.to = Math.max(span.to, at);
          spans.set(key, span);
          return 'imported';
        })(),
      );
    }
    if (!archive) return;
    archive.flush();
    for (const sp of spans.values()) {
      // Only where the owner has no span yet: a later live span must not be cut short.
      if (archive.hasSpan(sp.user, sp.network, sp.channel)) continue;
      archive.openSpan(sp.user, sp.network, sp.channel, sp.from);
      archive.closeSpan(sp.user, sp.network, sp.channel, sp.to);
    }
  }

  /** The owner as a bare JID we serve, or why not. */
  user(owner: unknown): { user: BareJid } | { why: string } {
    const parts = splitJid(text(owner));
    if (parts === undefined || parts.local === '' || parts.resource !== '') return { why: `owner ${shown(owner)} is not a user's bare JID` };
    const user = bareOf(parts);
    if (this.opts.userAllowed && !this.opts.userAllowed(user)) return { why: `${user}'s domain may not use this gateway (access.domains)` };
    return { user };
  }

  /** biboumi's server name as our network, or why not. */
  network(server: unknown): { network: string; defaults?: NetworkDefaults } | { why: string } {
    const name = text(server).toLowerCase();
    const fixed = this.opts.fixedNetwork;
    if (fixed !== undefined) {
      // biboumi's fixed_irc_server is a hostname: ours, or the host the operator gave it.
      const host = this.opts.networkDefaults?.(fixed)?.host?.toLowerCase();
      if (name !== fixed.toLowerCase() && name !== host) return { why: `server ${shown(server)} is not ${fixed}, the one network of this gateway` };
      return { network: fixed, defaults: this.opts.networkDefaults?.(fixed) };
    }
    if (name === '' || !isValidNetworkName(name)) return { why: `server ${shown(server)} is not a network name (a hostname)` };
    if (!this.opts.networkDefaults) return { network: name };
    const defaults = this.opts.networkDefaults(name);
    if (defaults === undefined) return { why: `network ${name} is not open to users here ([irc.networks], allow_unlisted)` };
    return { network: name, defaults };
  }

  /** `globaloptions_`: notes only; returns the owners whose every channel is persistent. */
  globalOptions(rows: readonly Row[], tally: Tally, channelRows: readonly Row[]): Set<string> {
    const persistentOwners = new Set<string>();
    for (const r of rows) {
      const label = `id ${text(r.id_)} (${text(r.owner_)})`;
      const maxHistory = int(r.maxhistorylength_);
      if (maxHistory !== undefined && maxHistory !== BIBOUMI_DEFAULTS.maxHistoryLength) {
        tally.note(label, `maxhistorylength_ = ${maxHistory}: not imported: ${NOT_TAKEN.max_history_length}`);
      }
      if (int(r.recordhistory_) === 0) tally.note(label, `recordhistory_ = 0: not imported: ${NOT_TAKEN.record_history}`);
      if (int(r.persistent_) === 1) {
        persistentOwners.add(text(r.owner_));
        const n = channelRows.filter((c) => text(c.owner_) === text(r.owner_)).length;
        const channels = n === 1 ? '1 channel in ircchanneloptions_ is' : `${n} channels in ircchanneloptions_ are`;
        tally.note(label, `persistent_ = 1 (every channel persistent): Jabirc has no such default; the owner's ${channels} made persistent, as biboumi treats them`);
      }
      tally.count('nothing');
    }
    return persistentOwners;
  }

  /** `ircserveroptions_` with its `after_connection_commands_`: identities. */
  serverOptions(rows: readonly Row[], commandRows: readonly Row[], tally: Tally, commandTally: Tally): void {
    const commandsOf = new Map<string, Row[]>();
    for (const c of commandRows) commandsOf.set(text(c.fk_), [...(commandsOf.get(text(c.fk_)) ?? []), c]);
    for (const r of rows) {
      const commands = commandsOf.get(text(r.id_)) ?? [];
      const { outcome, commandOutcomes } = this.#server(r, commands, tally, commandTally);
      tally.count(outcome);
      for (const o of commandOutcomes) commandTally.count(o);
    }
    const ids = new Set(rows.map((r) => text(r.id_)));
    for (const c of commandRows) {
      if (!ids.has(text(c.fk_))) commandTally.count(commandTally.skip(`id ${text(c.id_)}`, `fk_ ${shown(c.fk_)} names no ircserveroptions_ row`));
    }
  }

  #server(r: Row, commands: readonly Row[], tally: Tally, commandTally: Tally): { outcome: Outcome; commandOutcomes: Outcome[] } {
    const label = `id ${text(r.id_)} (${text(r.owner_)} on ${text(r.server_)})`;
    const skipped = (why: string): { outcome: Outcome; commandOutcomes: Outcome[] } => {
      if (commands.length > 0) {
        commandTally.note(`id ${commands.map((c) => text(c.id_)).join(', ')} (of ircserveroptions_ id ${text(r.id_)})`, 'not imported: their server row is not');
      }
      return { outcome: tally.skip(label, why), commandOutcomes: commands.map(() => 'not-imported') };
    };
    const who = this.user(r.owner_);
    if ('why' in who) return skipped(who.why);
    const where = this.network(r.server_);
    if ('why' in where) return skipped(where.why);
    const { user } = who;
    const { network, defaults } = where;

    const found: NetworkIdentity = {};
    const take = (column: string, ours: string, values: string[], secret = false): void => {
      try {
        Object.assign(found, applyIdentityFields(SETTINGS_FIELDS, new Map([[ours, values]]), undefined, defaults));
      } catch (err) {
        if (!(err instanceof InvalidFieldError)) throw err;
        tally.note(label, `${column}${secret ? '' : ` = ${shown(values[0])}`}: not imported: ${err.reason}`);
      }
    };
    for (const [column, ours, secret] of SERVER_COLUMNS) {
      const value = text(r[column]);
      if (value === '') continue;
      if (column === 'encodingin_' && parseEncodingOrUndefined(value) === 'utf-8') continue; // what Jabirc tries first anyway
      take(column, ours, [value], secret);
    }
    if (int(r.verifycert_) === 0) take('verifycert_', 'verify_certificate', ['false']);
    const ports = portsFromBiboumi(splitBiboumiPorts(text(r.ports_)), splitBiboumiPorts(text(r.tlsports_)));
    if (ports.kind === 'error') {
      tally.note(label, `${ports.field === 'ports' ? 'ports_' : 'tlsports_'}: not imported: ${ports.text}`);
    } else {
      if (ports.port !== undefined) take('ports_', 'port', [String(ports.port)]);
      if (ports.tls !== undefined) take('tlsports_', 'tls', [String(ports.tls)]);
      const unused = unusedPortsText(ports);
      if (unused !== undefined) tally.note(label, `ports_/tlsports_: ${unused}`);
    }
    const lines = this.#commands(commands, commandTally);
    if (lines.accepted.length > 0) take('after_connection_commands_', 'after_connect', lines.accepted, true);
    this.#notTaken(r, label, tally);

    const stored = this.target.identities.get(user, network);
    let outcome: Outcome;
    if (Object.keys(found).length === 0) {
      outcome = stored !== undefined ? 'unchanged' : 'nothing';
      if (outcome === 'nothing') tally.note(label, 'nothing to import: no setting Jabirc has differs from its default');
    } else {
      for (const key of Object.keys(found) as Array<keyof NetworkIdentity>) {
        if (stored?.[key] !== undefined && JSON.stringify(stored[key]) !== JSON.stringify(found[key])) {
          tally.note(label, `${key}: Jabirc already has another value; kept`);
        }
      }
      outcome = this.#saveIdentity(user, network, { ...found, ...stored }, stored, label, tally);
    }
    // A command shares its row's fate, unless it was refused or Jabirc kept its own list.
    const keptOurs = stored?.afterConnect !== undefined && JSON.stringify(stored.afterConnect) !== JSON.stringify(found.afterConnect);
    const fate: Outcome = keptOurs && lines.accepted.length > 0 ? 'not-imported' : outcome;
    return { outcome, commandOutcomes: lines.outcomes.map((o) => o ?? fate) };
  }

  #saveIdentity(user: BareJid, network: string, merged: NetworkIdentity, stored: NetworkIdentity | undefined, label: string, tally: Tally): Outcome {
    if (stored !== undefined && sameIdentity(merged, stored)) return 'unchanged';
    if (stored === undefined) {
      const max = this.opts.limits?.maxNetworksPerUser;
      const have = this.target.identities.networks(user).length;
      if (max !== undefined && have >= max) return tally.skip(label, `${user} already has ${have} networks, the most this gateway allows`);
    }
    this.target.identities.set(user, network, merged);
    return 'imported';
  }

  /**
   * The after-connect command lines that pass our checks, in biboumi's order; `outcomes`
   * has 'not-imported' for each one refused (and named), undefined for the others.
   */
  #commands(commands: readonly Row[], tally: Tally): { accepted: string[]; outcomes: Array<Outcome | undefined> } {
    const accepted: string[] = [];
    const outcomes = commands.map((c): Outcome | undefined => {
      const line = text(c.afterconnectioncommand_).trim();
      const label = `id ${text(c.id_)} (of ircserveroptions_ id ${text(c.fk_)})`;
      if (line === '') return tally.skip(label, 'an empty command');
      try {
        parseAfterConnect('after_connect', [line]);
      } catch (err) {
        if (!(err instanceof InvalidFieldError)) throw err;
        return tally.skip(label, err.reason.replace('line 1 ', 'the command '));
      }
      if (accepted.length === MAX_AFTER_CONNECT_LINES) {
        return tally.skip(label, `Jabirc keeps at most ${MAX_AFTER_CONNECT_LINES} after-connect commands per network`);
      }
      accepted.push(line);
      return undefined;
    });
    return { accepted, outcomes };
  }

  /** Names the server row's settings Jabirc does not take, when they are not biboumi's defaults. */
  #notTaken(r: Row, label: string, tally: Tally): void {
    const out = text(r.encodingout_);
    if (out !== '' && parseEncodingOrUndefined(out) !== 'utf-8') tally.note(label, `encodingout_ = ${shown(out)}: not imported: ${NOT_TAKEN.encoding_out}`);
    if (text(r.trustedfingerprint_) !== '') tally.note(label, `trustedfingerprint_: not imported: ${NOT_TAKEN.fingerprint}`);
    const address = text(r.address_);
    if (address !== '' && address.toLowerCase() !== text(r.server_).toLowerCase()) {
      tally.note(label, `address_ = ${shown(address)}: not imported: ${NOT_TAKEN.address}`);
    }
    const throttle = int(r.throttlelimit_);
    if (throttle !== undefined && throttle !== BIBOUMI_DEFAULTS.throttleLimit) tally.note(label, `throttlelimit_ = ${throttle}: not imported: ${NOT_TAKEN.throttle_limit}`);
    const maxHistory = int(r.maxhistorylength_);
    if (maxHistory !== undefined && maxHistory !== BIBOUMI_DEFAULTS.maxHistoryLength) {
      tally.note(label, `maxhistorylength_ = ${maxHistory}: not imported: ${NOT_TAKEN.max_history_length}`);
    }
  }

  /** `ircchanneloptions_`: persistent channels and room encodings. */
  channelOptions(rows: readonly Row[], persistentOwners: ReadonlySet<string>, tally: Tally): void {
    for (const r of rows) tally.count(this.#channel(r, persistentOwners.has(text(r.owner_)), tally));
  }

  #channel(r: Row, allPersistent: boolean, tally: Tally): Outcome {
    const label = `id ${text(r.id_)} (${text(r.owner_)}, ${text(r.channel_)} on ${text(r.server_)})`;
    const who = this.user(r.owner_);
    if ('why' in who) return tally.skip(label, who.why);
    const where = this.network(r.server_);
    if ('why' in where) return tally.skip(label, where.why);
    const channel = text(r.channel_);
    if (!isValidChannelName(channel)) return tally.skip(label, `channel_ ${shown(channel)} is not an IRC channel name`);
    const { user } = who;
    const { network } = where;

    const out = text(r.encodingout_);
    if (out !== '' && parseEncodingOrUndefined(out) !== 'utf-8') tally.note(label, `encodingout_ = ${shown(out)}: not imported: ${NOT_TAKEN.encoding_out}`);
    const maxHistory = int(r.maxhistorylength_);
    if (maxHistory !== undefined && maxHistory !== BIBOUMI_DEFAULTS.maxHistoryLength && maxHistory !== 0) {
      tally.note(label, `maxhistorylength_ = ${maxHistory}: not imported: ${NOT_TAKEN.max_history_length}`);
    }
    const record = int(r.recordhistory_); // OptionalBool: 0 unset, 1 true, -1 false
    if (record === 1) tally.note(label, `recordhistory_ = 1: nothing to import: Jabirc records every room unless told not to`);

    let wrote = false;
    let had = false;
    if (record === -1) {
      // The room `record` setting (issue 10 §5): this user did not record the channel.
      if (this.target.roomEncodings.recording?.(user, network, channel) === false) had = true;
      else {
        this.target.roomEncodings.setRecording?.(user, network, channel, false);
        wrote = true;
      }
    }
    if (int(r.persistent_) === 1 || allPersistent) {
      if (this.target.channels.get(user, network, channel) !== undefined) {
        had = true;
      } else {
        const max = this.opts.limits?.maxChannelsPerUser;
        const have = this.target.channels.count(user);
        if (max !== undefined && have >= max) {
          tally.note(label, `persistent_: not imported: ${user} already has ${have} persistent channels, the most this gateway allows`);
        } else {
          this.target.channels.setPersistent({ user, network, channel }, true);
          wrote = true;
        }
      }
    }
    const encodingIn = text(r.encodingin_);
    let encoding: string | undefined;
    try {
      encoding = encodingIn === '' ? undefined : parseEncoding('encodingin_', encodingIn);
    } catch (err) {
      if (!(err instanceof InvalidFieldError)) throw err;
      tally.note(label, `encodingin_ = ${shown(encodingIn)}: not imported: ${err.reason}`);
    }
    if (encoding !== undefined && encoding !== 'utf-8') {
      const stored = this.target.roomEncodings.get(user, network, channel);
      if (stored === encoding) had = true;
      else if (stored !== undefined) tally.note(label, `encodingin_: Jabirc already has ${stored} for this room; kept`);
      else {
        this.target.roomEncodings.set(user, network, channel, encoding);
        wrote = true;
      }
    }
    if (wrote) return 'imported';
    return had ? 'unchanged' : 'nothing';
  }

  /** `roster`: contacts (see the module header for biboumi's two columns). */
  roster(rows: readonly Row[], tally: Tally): void {
    for (const r of rows) tally.count(this.#rosterRow(r, tally));
  }

  #rosterRow(r: Row, tally: Tally): Outcome {
    const local = text(r.local);
    const remote = text(r.remote);
    const label = `row ${text(r.rowid__)} (${local.slice(0, 80)} ↔ ${remote.slice(0, 80)})`;
    const at = (jid: string): boolean => splitJid(jid)?.domain === this.opts.gatewayDomain.toLowerCase();
    const [gatewaySide, userSide] = at(local) ? [local, remote] : at(remote) ? [remote, local] : [undefined, undefined];
    if (gatewaySide === undefined || userSide === undefined) return tally.skip(label, `neither side is at ${this.opts.gatewayDomain}`);
    const parts = splitJid(gatewaySide);
    const address = parts && parseAddress({ ...parts, resource: '' }, { gatewayDomain: this.opts.gatewayDomain, fixedNetwork: this.opts.fixedNetwork });
    if (address === undefined || address.kind === 'error') return tally.skip(label, `${shown(gatewaySide)} names nothing here${address ? `: ${address.text}` : ''}`);
    if (address.kind === 'gateway') {
      return tally.skip(label, 'a subscription to the gateway itself: Jabirc keeps no state for it (the user\'s roster keeps it, and Jabirc answers its probes, XEP-0100 §4.1)');
    }
    if (address.kind === 'network') return tally.skip(label, `a subscription to the network ${address.network}: Jabirc keeps none to networks`);
    if (address.kind !== 'user') return tally.skip(label, 'a room is not a contact');
    const who = this.user(userSide);
    if ('why' in who) return tally.skip(label, who.why);
    const where = this.network(address.network);
    if ('why' in where) return tally.skip(label, where.why);
    const { user } = who;
    const { network } = where;
    const have = this.target.contacts.list(user, network);
    // Folded the widest way (rfc1459): before the network's CASEMAPPING is known, as the store does.
    if (have.some((nick) => ircEquals('rfc1459', nick, address.nick))) return 'unchanged';
    if (have.length >= MAX_CONTACTS_PER_NETWORK) {
      return tally.skip(label, `${user} already follows ${have.length} users on ${network}, the most Jabirc keeps`);
    }
    this.target.contacts.add(user, network, address.nick);
    return 'imported';
  }
}

function parseEncodingOrUndefined(label: string): string | undefined {
  try {
    return parseEncoding('encoding', label);
  } catch {
    return undefined;
  }
}

/** biboumi's database, read-only: the import never writes to it. */
export function openBiboumiDatabase(path: string): Db {
  try {
    return new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BiboumiImportError(`cannot open the biboumi database ${path}: ${(err as Error).message}`);
  }
}

/**
 * The Jabirc database and its stores, as the import writes to them. For a dry run it is a
 * migrated in-memory copy of the file (an empty database when there is none yet), so that
 * neither the migrations nor a first secret key touch the disk; without a key file or a
 * configured key, the copy gets a throw-away key where a real run would create the file.
 */
export function openImportTarget(
  path: string,
  opts: { dryRun: boolean; configuredKey: string | undefined; log: Pick<CoreLog, 'warn'>; addSecret(secret: string): void },
): ImportTarget {
  let db: Db;
  let keyPath = path;
  if (!opts.dryRun) {
    db = openDatabase(path).db;
  } else {
    if (existsSync(path)) {
      const file = new Database(path, { readonly: true, fileMustExist: true });
      const image = file.serialize();
      file.close();
      // A WAL database's header says so (file format bytes 18–19 = 2, sqlite.org/fileformat2.html
      // §1.3); an in-memory copy cannot use WAL, so it is marked a rollback-journal database.
      if (image[18] === 2) image[18] = 1;
      if (image[19] === 2) image[19] = 1;
      db = new Database(image);
      db.pragma('foreign_keys = ON');
      migrate(db);
    } else {
      db = openDatabase(':memory:').db;
    }
    if (opts.configuredKey === undefined && !existsSync(keyFilePath(path))) keyPath = ':memory:';
  }
  return importTarget(db, openSecretBox(db, { configuredKey: opts.configuredKey, databasePath: keyPath, log: opts.log, addSecret: opts.addSecret }));
}

/** Our repositories on `db`, secrets sealed by `box`. */
export function importTarget(db: Db, box: SecretBox): ImportTarget {
  return {
    db,
    identities: new SqliteIdentityStore(db, box),
    channels: new SqliteChannelStore(db, box),
    roomEncodings: new SqliteRoomEncodingStore(db),
    contacts: new SqliteContactStore(db),
    // Inline: the import runs inside one transaction on this connection.
    archive: new SqliteArchiveStore(db, { retentionDays: 36_500, maxPerChannel: Number.MAX_SAFE_INTEGER, writer: 'inline' }),
  };
}

/** The report as text, one block per table, for the command line. */
export function formatImportReport(report: ImportReport, source: string): string {
  const out = [`biboumi import from ${source}${report.dryRun ? ' (dry run: nothing written)' : ''}`];
  for (const t of report.tables) {
    const counts = [
      `${t.imported} ${report.dryRun ? 'to import' : 'imported'}`,
      `${t.unchanged} unchanged`,
      `${t.nothing} with nothing to import`,
      `${t.notImported} not imported`,
    ];
    out.push(`${t.table}: ${t.rows} ${t.rows === 1 ? 'row' : 'rows'}: ${counts.join(', ')}`);
    for (const n of t.notes) out.push(`  ${n}`);
  }
  return `${out.join('\n')}\n`;
}

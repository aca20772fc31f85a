/**
 * Ad-hoc commands (XEP-0050) with data forms (XEP-0004) on `gw`, `net@gw` and rooms:
 * how users and operators configure Jabirc from any XMPP client (issue 4 §2).
 *
 * Length: over 500 lines on purpose — it is the table of commands below plus one small
 * start/submit pair per command, and the biboumi aliases of three of them; splitting the table across files would hide which
 * commands an entity has, the one thing a reader of this module wants to see at once.
 *
 * Commands, by entity (listed through disco#items node `http://jabber.org/protocol/commands`,
 * XEP-0050 §2.2, to whoever may run them):
 *
 * | entity           | node              | who   | does                                                    |
 * | ---------------- | ----------------- | ----- | ------------------------------------------------------- |
 * | `gw`             | `defaults`        | users | default nick/username/realname (IdentityStore, net '')  |
 * | `gw`             | `networks`        | users | table of the user's registered networks (read-only)     |
 * | `gw`             | `users`           | admin | table of registered users (read-only)                   |
 * | `gw`             | `connections`     | admin | table of live IRC connections (read-only)               |
 * | `gw`             | `connection-info` | admin | one user's live connections: nick, state, since, channels |
 * | `gw`             | `disconnect-user` | admin | action `disconnect-user` for the caller                 |
 * | `gw`             | `disconnect-network` | admin | action `disconnect-network` for the caller           |
 * | `gw`             | `announce`        | admin | action `announce` for the caller                        |
 * | `gw`             | `reload`          | admin | re-reads the configuration as SIGHUP does, at execute   |
 * | `net@gw`         | `settings`        | users | identity, TLS, port, credentials, after_connect, encoding |
 * | `#chan%net@gw`   | `room`            | users | persistent, key, encoding, record                       |
 * | `gw`             | `configure`       | users | biboumi's node: `defaults` under biboumi's field names  |
 * | `net@gw`         | `configure`       | users | biboumi's node: `settings` under biboumi's field names  |
 * | `#chan%net@gw`   | `configure`       | users | biboumi's node: `room` under biboumi's field names      |
 *
 * In fixed-network mode `gw` stands for the network, so it offers `settings` in place of
 * `defaults` and `networks`, and biboumi's `server-configure` (its fixed-server name) in
 * place of `configure`.
 *
 * biboumi's nodes (issue 9 §8) are aliases, so that a user's habits and scripts keep
 * working: the form and its rules are ours (a password is never sent back, `forget`
 * clears), its fields carry biboumi's vars where biboumi has the setting (`pass` for
 * `server_password`, `encoding_in` for `encoding`, …; core/biboumi.ts has the table), a
 * submission may use either name, and the completed command's note names every submitted
 * biboumi field that was not applied and why (`encoding_out`: Jabirc always sends UTF-8).
 * biboumi's `global-configure` (fixed-server mode) sets only history and all-channels
 * persistence, neither of which Jabirc has, so it has no alias.
 *
 * The state machine (XEP-0050 §3.4), one stage per command:
 *
 * | request                                | answer                                                |
 * | -------------------------------------- | ----------------------------------------------------- |
 * | execute, no sessionid, form command    | `executing` + new sessionid + form, `complete` allowed |
 * | execute, no sessionid, read-only       | `completed` + result form (no session kept)           |
 * | complete/execute + sessionid + submit  | `completed` + note; session ends                      |
 * | cancel + sessionid                     | `canceled`; session ends                              |
 * | next/prev                              | bad-request `<bad-action/>`                           |
 * | unknown or foreign sessionid           | bad-request `<bad-sessionid/>`                        |
 * | a bad field value                      | bad-request `<bad-payload/>` (§4.6), text names field; session kept to retry |
 *
 * Sessions are bounded by count, globally and per user (oldest dropped first), and by age
 * (older than the TTL, 10 minutes by default: refused with `<session-expired/>`).
 * Single-stage commands keep no state but their owner, so a dropped session only costs
 * the user a re-execute.
 * Pure: reads and writes the synchronous ports, returns replies and actions.
 */
import xml, { type Element } from '@xmpp/xml';
import { buildJid } from './address.js';
import { BIBOUMI_NETWORK_FIELDS, NOT_TAKEN, portsFromBiboumi, splitBiboumiPorts, unusedPortsText } from './biboumi.js';
import { StanzaError, type Condition } from './errors.js';
import { discoInfoPayload, discoItemsPayload, iqPayload } from './gateway-entity.js';
import { bareOf, fullOf, splitJid, type BareJid } from './jid.js';
import { NS_COMMANDS, NS_DATA, NS_DISCO_INFO, NS_DISCO_ITEMS } from './namespaces.js';
import { InvalidFieldError, dataForm, parseBoolean, singleValue, submittedFields, tableForm, type FieldType, type FormField } from './data-form.js';
import type { GatewayAction, RoomEncodingStore } from './ports.js';
import {
  DEFAULT_FIELDS,
  FORGET_FIELD,
  SETTINGS_FIELDS,
  applyIdentityFields,
  checkNetworkLimit,
  identityFormFields,
  identityNetwork,
  parseEncoding,
  type EntityContext,
  type EntityOutcome,
} from './registration.js';
import { errorReply, iqResult } from './stanza.js';

/** The feature every entity with commands advertises in disco#info. */
export const ADHOC_FEATURES: readonly string[] = [NS_COMMANDS];

export interface AdhocContext extends EntityContext {
  /** When absent, the room command offers no encoding field. */
  roomEncodings?: RoomEncodingStore;
}

export interface AdhocOptions {
  /** A fresh, unguessable session id. */
  newId(): string;
  /** Pending sessions kept at most (oldest dropped first); default 1000. */
  maxSessions?: number;
  /** Pending sessions kept at most per user (their oldest dropped first); default 10. */
  maxSessionsPerUser?: number;
  /** Age after which a pending session expires, in milliseconds; default 10 minutes. */
  sessionTtlMs?: number;
  /** The clock for session ages (milliseconds); default Date.now. */
  now?: () => number;
}

type EntityKind = 'gateway' | 'network' | 'room';

/** What executing a command gives: a form to fill, or a finished result (a table, a note or both). */
type Start = { kind: 'form'; form: Element } | { kind: 'result'; form?: Element; note?: string };

/** What a submitted form gives: the note, the actions, and a result form (XEP-0050 §3.4 allows one on `completed`). */
interface Done {
  note: string;
  actions: GatewayAction[];
  form?: Element;
}

interface Command {
  node: string;
  name: string;
  entity: EntityKind;
  admin: boolean;
  /** Whether the command exists in this mode (fixed-network or not). */
  fixed: 'both' | 'only' | 'never';
  /** Whether the command exists with what this gateway was given; always when absent. */
  available?(ctx: AdhocContext): boolean;
  start(ctx: AdhocContext): Start;
  /** Applies a submitted form; throws InvalidFieldError for a bad value. */
  submit?(fields: ReadonlyMap<string, string[]>, ctx: AdhocContext): Done;
}

/** XEP-0050 §4.6 application-specific conditions. */
type CommandCondition = 'bad-action' | 'bad-locale' | 'bad-payload' | 'bad-sessionid' | 'malformed-action' | 'session-expired';

class CommandError extends StanzaError {
  constructor(
    condition: Condition,
    readonly specific: CommandCondition,
    text: string,
  ) {
    super(condition, text);
  }
}

function required(fields: ReadonlyMap<string, string[]>, name: string): string {
  const v = singleValue(fields, name) ?? '';
  if (v.trim() === '') throw new InvalidFieldError(name, 'is required');
  return v.trim();
}

function textLines(fields: ReadonlyMap<string, string[]>, name: string, max: number): string {
  const values = fields.get(name) ?? [];
  if (values.some((v) => /[\r\n\0]/.test(v))) throw new InvalidFieldError(name, 'a line contains CR, LF or NUL');
  const text = values.join('\n').trim();
  if (text === '') throw new InvalidFieldError(name, 'is required');
  if ([...text].length > max) throw new InvalidFieldError(name, `is longer than ${max} characters`);
  return text;
}

/** A `jid-single` field that must hold a bare JID (the user an admin command is about). */
function bareJidField(fields: ReadonlyMap<string, string[]>, name: string): BareJid {
  const parts = splitJid(required(fields, name));
  if (parts === undefined || parts.resource !== '') throw new InvalidFieldError(name, 'must be a bare JID (user@domain)');
  return bareOf(parts);
}

const USER_FIELD: FormField = { var: 'user', type: 'jid-single', label: 'User (bare JID)', required: true };
const NETWORK_FIELD: FormField = { var: 'network', type: 'text-single', label: 'Network (as in their room addresses, e.g. irc.libera.chat)', required: true };
const REASON_FIELD: FormField = { var: 'reason', type: 'text-single', label: 'Reason (sent as the QUIT message)' };

/** The reason field of the disconnect commands: the QUIT message. */
function quitReason(fields: ReadonlyMap<string, string[]>): string {
  const reason = singleValue(fields, 'reason')?.trim() || 'Disconnected by the gateway operator';
  if (/[\r\n\0]/.test(reason)) throw new InvalidFieldError('reason', 'contains CR, LF or NUL');
  if ([...reason].length > 300) throw new InvalidFieldError('reason', 'is longer than 300 characters');
  return reason;
}

function liveUsers(ctx: AdhocContext): Set<string> {
  return new Set(ctx.liveConnections().map((c) => c.user));
}

function networkJid(ctx: AdhocContext, network: string): string {
  return fullOf(buildJid({ kind: 'network', network }, { gatewayDomain: ctx.gatewayDomain, fixedNetwork: ctx.fixedNetwork }));
}

const CHANNEL_KEY = /^[^\s,\0]{1,100}$/;

/** The addressed room's stored state. */
function roomState(ctx: AdhocContext): { network: string; channel: string; persistent: boolean; key: string | undefined } {
  const network = identityNetwork(ctx);
  const channel = ctx.channel ?? '';
  const row = ctx.channels.get(ctx.user, network, channel);
  return { network, channel, persistent: row !== undefined, key: row?.key };
}

/** A read-only admin command on `gw`: one table, completed at once. */
function adminTable(
  node: string,
  name: string,
  noun: string,
  columns: ReadonlyArray<{ var: string; label: string; type?: FieldType }>,
  rows: (ctx: AdhocContext) => Array<Record<string, string>>,
): Command {
  return {
    node,
    name,
    entity: 'gateway',
    admin: true,
    fixed: 'both',
    start: (ctx) => {
      const table = rows(ctx);
      return { kind: 'result', form: tableForm(name, columns, table), note: `${table.length} ${noun}.` };
    },
  };
}

/** A one-stage form: its title, instructions and fields. */
interface FormSpec {
  title: string;
  instructions?: string;
  fields: FormField[];
}

type Submit = (fields: ReadonlyMap<string, string[]>, ctx: AdhocContext) => Done;

function formStart(spec: FormSpec): Start {
  return { kind: 'form', form: dataForm('form', spec) };
}

/** A one-stage admin command on `gw`: a form titled `name`, then what its submission does. */
function adminForm(node: string, name: string, form: (ctx: AdhocContext) => Omit<FormSpec, 'title'>, submit: Submit): Command {
  return { node, name, entity: 'gateway', admin: true, fixed: 'both', start: (ctx) => formStart({ title: name, ...form(ctx) }), submit };
}

/** `defaults` on `gw`: the identity used on every network where the user set none. */
function defaultsForm(ctx: AdhocContext): FormSpec {
  return {
    title: 'Default IRC identity',
    instructions: 'Used on every network where you set none. Leave a field empty for the gateway default.',
    fields: identityFormFields(DEFAULT_FIELDS, ctx.identities.get(ctx.user, '')),
  };
}

const submitDefaults: Submit = (fields, ctx) => {
  ctx.identities.set(ctx.user, '', applyIdentityFields(DEFAULT_FIELDS, fields, ctx.identities.get(ctx.user, '')));
  return { note: 'Saved your defaults; they apply the next time Jabirc connects you to a network.', actions: [] };
};

/** `settings` on `net@gw`: everything the user may set for one network. */
function settingsForm(ctx: AdhocContext): FormSpec {
  const network = identityNetwork(ctx);
  return {
    title: `Settings for ${network}`,
    instructions: 'Passwords are never shown: leave one empty to keep it. Empty fields use the defaults.',
    fields: identityFormFields(SETTINGS_FIELDS, ctx.identities.get(ctx.user, network), ctx.networkDefaults?.(network)),
  };
}

const submitSettings: Submit = (fields, ctx) => {
  const network = identityNetwork(ctx);
  const stored = ctx.identities.get(ctx.user, network);
  const next = applyIdentityFields(SETTINGS_FIELDS, fields, stored, ctx.networkDefaults?.(network));
  // Saving settings for a network registers with it: the same limit applies.
  if (stored === undefined) checkNetworkLimit(ctx, network);
  ctx.identities.set(ctx.user, network, next);
  return { note: `Saved; the settings apply the next time Jabirc connects you to ${network}.`, actions: [] };
};

/** The room store, when it keeps whether a room is recorded (issue 10 §5). */
function recordingStore(ctx: AdhocContext): Required<Pick<RoomEncodingStore, 'recording' | 'setRecording'>> | undefined {
  const store = ctx.roomEncodings;
  if (store?.recording === undefined || store.setRecording === undefined) return undefined;
  return { recording: store.recording.bind(store), setRecording: store.setRecording.bind(store) };
}

/** `room` on a room: persistent (ChannelStore), key (kept only with persistence), encoding, record. */
function roomForm(ctx: AdhocContext): FormSpec {
  const room = roomState(ctx);
  const fields: FormField[] = [
    { var: 'persistent', type: 'boolean', label: 'Stay joined on IRC while you are offline', values: [room.persistent ? 'true' : 'false'] },
    room.key !== undefined
      ? { var: 'key', type: 'text-private', label: 'Channel key (set — leave empty to keep)', desc: 'A key is stored; leave this empty to keep it.' }
      : { var: 'key', type: 'text-private', label: 'Channel key', desc: 'Used when Jabirc rejoins the channel for you; kept only while persistent.' },
  ];
  if (room.key !== undefined) {
    fields.push({ var: FORGET_FIELD, type: 'list-multi', label: 'Forget the stored key', options: [{ label: 'Channel key', value: 'key' }] });
  }
  if (ctx.roomEncodings) {
    const enc = ctx.roomEncodings.get(ctx.user, room.network, room.channel);
    fields.push({ var: 'encoding', type: 'text-single', label: 'Encoding of lines that are not UTF-8', values: enc ? [enc] : [] });
  }
  const recording = recordingStore(ctx);
  if (recording) {
    fields.push({
      var: 'record',
      type: 'boolean',
      label: 'Record the history of this room for you',
      desc: 'Off: nothing said here is archived through your connection, and you cannot fetch it later (MAM, history on join). Applies when the gateway keeps history.',
      values: [recording.recording(ctx.user, room.network, room.channel) ? 'true' : 'false'],
    });
  }
  return { title: `Settings for ${room.channel}`, fields };
}

/** Rooms one user may keep an encoding or record setting for. */
export const MAX_ROOM_SETTINGS_PER_USER = 500;

const submitRoom: Submit = (fields, ctx) => {
  const room = roomState(ctx);
  const persistentValue = singleValue(fields, 'persistent');
  const persistent = persistentValue === undefined ? room.persistent : (parseBoolean('persistent', persistentValue) ?? false);
  const keyValue = singleValue(fields, 'key') ?? '';
  if (keyValue !== '' && !CHANNEL_KEY.test(keyValue)) throw new InvalidFieldError('key', 'must be 1 to 100 characters without spaces or commas');
  const forget = fields.get(FORGET_FIELD) ?? [];
  if (forget.some((f) => f !== 'key')) throw new InvalidFieldError(FORGET_FIELD, 'only the key can be forgotten here');
  let key = keyValue !== '' ? keyValue : room.key;
  if (forget.length > 0) key = undefined;
  if (keyValue !== '' && !persistent) throw new InvalidFieldError('key', 'is kept only for a persistent room: turn persistent on');
  const maxChannels = ctx.limits?.maxChannelsPerUser;
  if (persistent && !room.persistent && maxChannels !== undefined) {
    const have = ctx.channels.count(ctx.user);
    if (have >= maxChannels) {
      throw new InvalidFieldError('persistent', `you already have ${have} persistent channels, the most this gateway allows; turn one off first`);
    }
  }
  const encodingValue = ctx.roomEncodings ? singleValue(fields, 'encoding') : undefined;
  const encoding = encodingValue === undefined ? undefined : parseEncoding('encoding', encodingValue);
  const recording = recordingStore(ctx);
  const wasRecorded = recording?.recording(ctx.user, room.network, room.channel) ?? true;
  const recordValue = recording ? singleValue(fields, 'record') : undefined;
  const record = recordValue === undefined ? wasRecorded : (parseBoolean('record', recordValue) ?? true);
  // A bound on the rooms one user keeps settings for (issue 8 §5): a new room's row is refused past it.
  const store = ctx.roomEncodings;
  const addsRow = (encoding !== undefined || !record) && store?.has?.(ctx.user, room.network, room.channel) === false;
  if (addsRow && (store?.rooms?.(ctx.user) ?? 0) >= MAX_ROOM_SETTINGS_PER_USER) {
    throw new InvalidFieldError(encoding !== undefined ? 'encoding' : 'record', `you keep settings for ${MAX_ROOM_SETTINGS_PER_USER} rooms, the most this gateway allows; clear one first`);
  }
  // Every value is checked before anything is written.
  // The nick the user has there now is the nick a restart brings them back under.
  const nick = ctx.liveConnections().find((c) => c.user === ctx.user && c.network === room.network)?.nick;
  ctx.channels.setPersistent({ user: ctx.user, network: room.network, channel: room.channel, key, ...(nick !== undefined ? { nick } : {}) }, persistent);
  if (ctx.roomEncodings && encodingValue !== undefined) ctx.roomEncodings.set(ctx.user, room.network, room.channel, encoding);
  if (recording && record !== wasRecorded) recording.setRecording(ctx.user, room.network, room.channel, record);
  const stays = persistent ? `${room.channel} stays joined while you are offline.` : `${room.channel} is left when you leave it.`;
  const recorded = record === wasRecorded ? '' : record ? ' Its history is recorded for you again.' : ' Its history is no longer recorded for you.';
  const note = `${stays}${recorded}`;
  // The live bridge reads persistence, the key and recording from the stores: tell it when they change.
  const changed = persistent !== room.persistent || (persistent && key !== room.key) || record !== wasRecorded;
  const actions: GatewayAction[] = changed
    ? [{ kind: 'room-settings', user: ctx.user, network: room.network, channel: room.channel }]
    : [];
  return { note: `Saved. ${note}`, actions };
};

/**
 * How a biboumi form's fields reach one of our commands: `renames` maps biboumi's var to
 * ours (the same var when the names agree); `notTaken` names the biboumi vars accepted and
 * left out, with why; `ports` turns biboumi's `ports`/`tls_ports` into our `port`/`tls`;
 * `values` turns a renamed field's biboumi values into ours (by biboumi var, then value).
 */
interface BiboumiMapping {
  renames: Readonly<Record<string, string>>;
  values?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  notTaken: Readonly<Record<string, string>>;
  ports: boolean;
}

const IDENTITY_RENAMES = { nick: 'nick', username: 'username', realname: 'realname' } as const;

/** Every biboumi per-server field but the identity: on `gw` and on a room they belong to a network. */
const NETWORK_ONLY: Readonly<Record<string, string>> = Object.fromEntries(
  BIBOUMI_NETWORK_FIELDS.filter((f) => !(f in IDENTITY_RENAMES)).map((f) => [f, NOT_TAKEN.network_only]),
);

/** biboumi's `configure` on `gw` (ConfigureGlobal): the history and persistence defaults. */
const GATEWAY_MAPPING: BiboumiMapping = {
  renames: IDENTITY_RENAMES,
  notTaken: {
    ...NETWORK_ONLY,
    record_history: NOT_TAKEN.record_history,
    max_history_length: NOT_TAKEN.max_history_length,
    persistent: NOT_TAKEN.persistent_all,
  },
  ports: false,
};

/** biboumi's `configure` on `server@gw` (ConfigureIrcServer). */
const NETWORK_MAPPING: BiboumiMapping = {
  renames: {
    ...IDENTITY_RENAMES,
    sasl_password: 'sasl_password',
    pass: 'server_password',
    after_connect_commands: 'after_connect',
    verify_cert: 'verify_certificate',
    encoding_in: 'encoding',
  },
  notTaken: {
    encoding_out: NOT_TAKEN.encoding_out,
    record_history: NOT_TAKEN.record_history,
    max_history_length: NOT_TAKEN.max_history_length,
    throttle_limit: NOT_TAKEN.throttle_limit,
    fingerprint: NOT_TAKEN.fingerprint,
    address: NOT_TAKEN.address,
    persistent: NOT_TAKEN.room_only,
  },
  ports: true,
};

/**
 * biboumi's `configure` on `#chan%server@gw` (ConfigureIrcChannel). Its `record_history`
 * is a list of `true`, `false` and `unset` (the user's global choice, which Jabirc does
 * not have: recording is on unless turned off per room), so `unset` is our default.
 */
function roomMapping(ctx: AdhocContext): BiboumiMapping {
  const records = recordingStore(ctx) !== undefined;
  return {
    renames: {
      persistent: 'persistent',
      ...(ctx.roomEncodings ? { encoding_in: 'encoding' } : {}),
      ...(records ? { record_history: 'record' } : {}),
    },
    values: { record_history: { unset: 'true' } },
    notTaken: {
      ...NETWORK_ONLY,
      nick: NOT_TAKEN.network_only,
      username: NOT_TAKEN.network_only,
      realname: NOT_TAKEN.network_only,
      encoding_in: 'this gateway keeps no per-room encoding',
      encoding_out: NOT_TAKEN.encoding_out,
      record_history: NOT_TAKEN.record_history,
      max_history_length: NOT_TAKEN.max_history_length,
    },
    ports: false,
  };
}

/**
 * A biboumi node as an alias of one of our form commands: the form is ours (secrets never
 * shown, `forget` to clear) under biboumi's field vars; a submission may use biboumi's
 * vars or ours, and the note names every submitted biboumi field left out, with why.
 */
function biboumiAlias(a: {
  node: string;
  name: string;
  entity: EntityKind;
  fixed: Command['fixed'];
  form(ctx: AdhocContext): FormSpec;
  submit: Submit;
  mapping(ctx: AdhocContext): BiboumiMapping;
}): Command {
  return {
    node: a.node,
    name: a.name,
    entity: a.entity,
    admin: false,
    fixed: a.fixed,
    start: (ctx) => {
      const spec = a.form(ctx);
      const biboumiVar = new Map(Object.entries(a.mapping(ctx).renames).map(([theirs, ours]) => [ours, theirs]));
      return formStart({ ...spec, fields: spec.fields.map((f) => ({ ...f, var: biboumiVar.get(f.var) ?? f.var })) });
    },
    submit: (fields, ctx) => {
      const mapping = a.mapping(ctx);
      const { ours, notApplied } = fromBiboumiFields(fields, mapping);
      let done;
      try {
        done = a.submit(ours, ctx);
      } catch (err) {
        // Name the field as the form showed it.
        const theirs = Object.entries(mapping.renames).find(([, o]) => err instanceof InvalidFieldError && o === err.field)?.[0];
        if (err instanceof InvalidFieldError && theirs !== undefined) throw new InvalidFieldError(theirs, err.reason);
        throw err;
      }
      const note = notApplied.length > 0 ? `${done.note} Not applied: ${notApplied.join('; ')}.` : done.note;
      return { note, actions: done.actions };
    },
  };
}

/** A submission under biboumi's vars as one under ours, and what of it is not applied. */
function fromBiboumiFields(fields: ReadonlyMap<string, string[]>, mapping: BiboumiMapping): { ours: Map<string, string[]>; notApplied: string[] } {
  const ours = new Map<string, string[]>();
  const notApplied: string[] = [];
  const portFields = ['ports', 'tls_ports'];
  for (const [name, values] of fields) {
    const mapped = mapping.renames[name];
    if (mapped !== undefined && mapped !== name && fields.has(mapped)) {
      notApplied.push(`${name} (${mapped} was given too, and used)`);
    } else if (mapped !== undefined) {
      ours.set(mapped, values.map((v) => mapping.values?.[name]?.[v] ?? v));
    } else if (mapping.ports && portFields.includes(name)) {
      // below
    } else if (mapping.notTaken[name] !== undefined) {
      notApplied.push(`${name} (${mapping.notTaken[name]})`);
    } else if (!ours.has(name)) {
      ours.set(name, values); // our own vars work too; the command ignores what it does not have
    }
  }
  if (mapping.ports && portFields.some((f) => fields.has(f))) {
    if (fields.has('port') || fields.has('tls')) {
      notApplied.push('ports, tls_ports (the port and tls fields were given too, and used)');
    } else {
      const ports = portsFromBiboumi(splitBiboumiPorts(fields.get('ports') ?? []), splitBiboumiPorts(fields.get('tls_ports') ?? []));
      if (ports.kind === 'error') throw new InvalidFieldError(ports.field, ports.text);
      // Empty values clear both: back to the operator's settings.
      ours.set('port', [ports.port === undefined ? '' : String(ports.port)]);
      ours.set('tls', [ports.tls === undefined ? '' : String(ports.tls)]);
      const unused = unusedPortsText(ports);
      if (unused !== undefined) notApplied.push(`ports (${unused})`);
    }
  }
  return { ours, notApplied };
}

const COMMANDS: readonly Command[] = [
  {
    node: 'defaults',
    name: 'Default nick, username and real name',
    entity: 'gateway',
    admin: false,
    fixed: 'never',
    start: (ctx) => formStart(defaultsForm(ctx)),
    submit: submitDefaults,
  },
  {
    node: 'networks',
    name: 'Your networks',
    entity: 'gateway',
    admin: false,
    fixed: 'never',
    start: (ctx) => {
      const networks = ctx.identities.networks(ctx.user);
      const rows = networks.map((network) => ({
        network: networkJid(ctx, network),
        nick: ctx.identities.get(ctx.user, network)?.nick ?? ctx.identities.get(ctx.user, '')?.nick ?? '',
      }));
      const columns = [
        { var: 'network', label: 'Network', type: 'jid-single' as const },
        { var: 'nick', label: 'Nick' },
      ];
      const note = networks.length === 0 ? 'You have registered with no network.' : undefined;
      return { kind: 'result', form: tableForm('Your networks', columns, rows), note };
    },
  },
  {
    node: 'settings',
    name: 'Settings for this network',
    entity: 'network',
    admin: false,
    fixed: 'both',
    start: (ctx) => formStart(settingsForm(ctx)),
    submit: submitSettings,
  },
  {
    node: 'room',
    name: 'Settings for this room',
    entity: 'room',
    admin: false,
    fixed: 'both',
    start: (ctx) => formStart(roomForm(ctx)),
    submit: submitRoom,
  },
  // biboumi's nodes (see the header): its field names onto the three commands above.
  biboumiAlias({ node: 'configure', name: "Configure your defaults (biboumi's configure)", entity: 'gateway', fixed: 'never', form: defaultsForm, submit: submitDefaults, mapping: () => GATEWAY_MAPPING }),
  biboumiAlias({ node: 'configure', name: "Configure this network (biboumi's configure)", entity: 'network', fixed: 'never', form: settingsForm, submit: submitSettings, mapping: () => NETWORK_MAPPING }),
  biboumiAlias({ node: 'server-configure', name: "Configure the network (biboumi's server-configure)", entity: 'network', fixed: 'only', form: settingsForm, submit: submitSettings, mapping: () => NETWORK_MAPPING }),
  biboumiAlias({ node: 'configure', name: "Configure this room (biboumi's configure)", entity: 'room', fixed: 'both', form: roomForm, submit: submitRoom, mapping: roomMapping }),
  adminTable('users', 'Registered users', 'registered users', [
    { var: 'user', label: 'User', type: 'jid-single' },
    { var: 'networks', label: 'Networks' },
    { var: 'online', label: 'Connected' },
  ], (ctx) => {
    const live = liveUsers(ctx);
    return ctx.identities.users().sort().map((user) => ({
      user,
      networks: ctx.identities.networks(user).join(' '),
      online: live.has(user) ? 'yes' : 'no',
    }));
  }),
  adminTable('connections', 'Live IRC connections', 'live connections', [
    { var: 'user', label: 'User', type: 'jid-single' },
    { var: 'network', label: 'Network' },
    { var: 'nick', label: 'Nick' },
    { var: 'channels', label: 'Channels' },
  ], (ctx) => ctx.liveConnections().map((c) => ({ user: c.user, network: c.network, nick: c.nick, channels: String(c.channels.length) }))),
  adminForm('connection-info', 'Connection information of a user', () => ({ fields: [USER_FIELD] }), (fields, ctx) => {
    const user = bareJidField(fields, 'user');
    const mine = ctx.liveConnections().filter((c) => c.user === user);
    const registered = ctx.identities.networks(user);
    const where = registered.length === 0 ? 'registered with no network' : `registered with ${registered.join(', ')}`;
    if (mine.length === 0) return { note: `${user} has no live IRC connection (${where}).`, actions: [] };
    const columns = [
      { var: 'network', label: 'Network' },
      { var: 'nick', label: 'Nick' },
      { var: 'state', label: 'State' },
      { var: 'since', label: 'Connected since (UTC)' },
      { var: 'channels', label: 'Channels' },
    ];
    const rows = mine.map((c) => ({
      network: c.network,
      nick: c.nick,
      state: c.state ?? '',
      // XEP-0082 DateTime, to the second.
      since: c.since === undefined ? '' : `${new Date(c.since).toISOString().slice(0, 19)}Z`,
      channels: c.channels.join(' '),
    }));
    return { note: `${mine.length} live connections of ${user} (${where}).`, actions: [], form: tableForm(`Connections of ${user}`, columns, rows) };
  }),
  adminForm(
    'disconnect-user',
    'Disconnect a user',
    () => ({ instructions: 'Closes every IRC connection of the user. They may reconnect.', fields: [USER_FIELD, REASON_FIELD] }),
    (fields, ctx) => {
      const user = bareJidField(fields, 'user');
      const count = ctx.liveConnections().filter((c) => c.user === user).length;
      if (count === 0) throw new InvalidFieldError('user', `${user} has no live connection`);
      const reason = quitReason(fields);
      return { note: `Disconnecting ${count} connections of ${user}.`, actions: [{ kind: 'disconnect-user', user, reason }] };
    },
  ),
  adminForm(
    'disconnect-network',
    'Disconnect a user from one network',
    (ctx) => ({
      instructions: "Closes the user's IRC connection to that network; their other networks stay. They may reconnect.",
      // In fixed-network mode there is one network to name.
      fields: ctx.fixedNetwork === undefined ? [USER_FIELD, NETWORK_FIELD, REASON_FIELD] : [USER_FIELD, REASON_FIELD],
    }),
    (fields, ctx) => {
      const user = bareJidField(fields, 'user');
      const wanted = ctx.fixedNetwork ?? required(fields, 'network').toLowerCase();
      const mine = ctx.liveConnections().filter((c) => c.user === user);
      const conn = mine.find((c) => c.network.toLowerCase() === wanted);
      if (conn === undefined) {
        const on = mine.map((c) => c.network).join(', ');
        throw new InvalidFieldError(ctx.fixedNetwork !== undefined ? 'user' : 'network', `${user} has no live connection to ${wanted}${on === '' ? '' : ` (only to ${on})`}`);
      }
      const reason = quitReason(fields);
      return { note: `Disconnecting ${user} from ${conn.network}.`, actions: [{ kind: 'disconnect-network', user, network: conn.network, reason }] };
    },
  ),
  adminForm(
    'announce',
    'Announce to all users',
    () => ({ instructions: 'Sent from the gateway to every user with a live IRC connection.', fields: [{ var: 'message', type: 'text-multi', label: 'Message', required: true }] }),
    (fields, ctx) => {
      const text = textLines(fields, 'message', 4000);
      return { note: `Announced to ${liveUsers(ctx).size} users.`, actions: [{ kind: 'announce', text }] };
    },
  ),
  {
    // biboumi's `reload` runs at execute too: there is nothing to ask (issue 12 §9).
    node: 'reload',
    name: 'Reload the configuration',
    entity: 'gateway',
    admin: true,
    fixed: 'both',
    available: (ctx) => ctx.reload !== undefined,
    start: (ctx) => ({ kind: 'result', note: ctx.reload!() }),
  },
];

function entityKind(ctx: AdhocContext): EntityKind {
  if (ctx.channel !== undefined) return 'room';
  return ctx.network !== '' ? 'network' : 'gateway';
}

/** Whether `c` exists on the addressed entity in this mode (whoever asks). */
function existsHere(c: Command, ctx: AdhocContext): boolean {
  const kind = entityKind(ctx);
  const fixed = ctx.fixedNetwork !== undefined;
  if (c.fixed === (fixed ? 'never' : 'only')) return false;
  if (c.available && !c.available(ctx)) return false;
  // In fixed-network mode `gw` is also the network entity.
  return c.entity === kind || (fixed && kind === 'gateway' && c.entity === 'network');
}

/** The commands `ctx.user` may run on the addressed entity. */
function commandsFor(ctx: AdhocContext): Command[] {
  const isAdmin = ctx.admins.has(ctx.user);
  return COMMANDS.filter((c) => existsHere(c, ctx) && (isAdmin || !c.admin));
}

/** Whether this iq is for {@link AdhocCommands.handle}. */
export function isAdhocRequest(iq: Element): boolean {
  const payload = iq.getChildElements()[0];
  if (payload === undefined) return false;
  if (payload.name === 'command' && payload.attrs.xmlns === NS_COMMANDS) return true;
  if (payload.name !== 'query' || typeof payload.attrs.node !== 'string') return false;
  if (payload.attrs.xmlns === NS_DISCO_ITEMS) return payload.attrs.node === NS_COMMANDS;
  return payload.attrs.xmlns === NS_DISCO_INFO && COMMANDS.some((c) => c.node === payload.attrs.node);
}

interface Session {
  user: BareJid;
  entity: string;
  node: string;
  /** When it was created (AdhocOptions.now). */
  created: number;
}

export class AdhocCommands {
  readonly #newId: () => string;
  readonly #max: number;
  readonly #maxPerUser: number;
  readonly #ttl: number;
  readonly #now: () => number;
  /** In creation order (Map keeps insertion order): the oldest first. */
  readonly #sessions = new Map<string, Session>();

  constructor(opts: AdhocOptions) {
    this.#newId = opts.newId;
    this.#max = opts.maxSessions ?? 1000;
    this.#maxPerUser = opts.maxSessionsPerUser ?? 10;
    this.#ttl = opts.sessionTtlMs ?? 10 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  #expired(s: Session, now: number): boolean {
    return now - s.created >= this.#ttl;
  }

  /** Drops expired sessions: they are in creation order, so stop at the first live one. */
  #prune(now: number): void {
    for (const [id, s] of this.#sessions) {
      if (!this.#expired(s, now)) break;
      this.#sessions.delete(id);
    }
  }

  /** Pending sessions (for tests and metrics). */
  get pendingSessions(): number {
    return this.#sessions.size;
  }

  /** XEP-0050 §2.2 disco#items of the commands node: what `ctx.user` may run on `entityJid`. */
  items(ctx: AdhocContext, entityJid: string): Array<{ jid: string; node: string; name: string }> {
    return commandsFor(ctx).map((c) => ({ jid: entityJid, node: c.node, name: c.name }));
  }

  /**
   * Answers an iq for which {@link isAdhocRequest} holds: disco of the commands and
   * XEP-0050 execution. Refusals with a plain condition are thrown as StanzaError; those
   * with an XEP-0050 §4.6 condition come back as an error reply among `replies`.
   */
  handle(iq: Element, ctx: AdhocContext): EntityOutcome {
    const payload = iqPayload(iq);
    const entity = String(iq.attrs.to ?? '');
    if (payload.attrs.xmlns === NS_DISCO_ITEMS || payload.attrs.xmlns === NS_DISCO_INFO) {
      if (iq.attrs.type !== 'get') throw new StanzaError('feature-not-implemented');
      return { replies: [this.#disco(iq, payload, ctx, entity)], actions: [] };
    }
    try {
      return this.#command(iq, payload, ctx, entity);
    } catch (err) {
      if (err instanceof InvalidFieldError) return { replies: [commandError(iq, 'bad-request', 'bad-payload', err.message)], actions: [] };
      if (err instanceof CommandError) return { replies: [commandError(iq, err.condition, err.specific, err.text ?? '')], actions: [] };
      throw err;
    }
  }

  #disco(iq: Element, payload: Element, ctx: AdhocContext, entity: string): Element {
    const node = String(payload.attrs.node);
    if (payload.attrs.xmlns === NS_DISCO_ITEMS) return iqResult(iq, discoItemsPayload(this.items(ctx, entity), node));
    // XEP-0050 §2.3: a command node's identity and features.
    const command = commandsFor(ctx).find((c) => c.node === node);
    if (command === undefined) throw new StanzaError('item-not-found', `no such command: ${node}`);
    return iqResult(
      iq,
      discoInfoPayload({ identities: [{ category: 'automation', type: 'command-node', name: command.name }], features: [NS_COMMANDS, NS_DATA] }, node),
    );
  }

  #command(iq: Element, payload: Element, ctx: AdhocContext, entity: string): EntityOutcome {
    if (iq.attrs.type !== 'set') throw new StanzaError('bad-request', 'commands are run with an iq of type set (XEP-0050 §3)');
    const node = payload.attrs.node;
    if (typeof node !== 'string' || node === '') throw new StanzaError('bad-request', 'the command has no node');
    const available = COMMANDS.find((c) => c.node === node && existsHere(c, ctx));
    if (available === undefined) throw new StanzaError('item-not-found', `no such command here: ${node}`);
    if (available.admin && !ctx.admins.has(ctx.user)) throw new StanzaError('forbidden', `${node} is for the gateway's administrators`);
    const action = payload.attrs.action ?? 'execute';
    const sessionid = payload.attrs.sessionid;
    if (!['execute', 'complete', 'cancel', 'next', 'prev'].includes(action)) {
      throw new CommandError('bad-request', 'malformed-action', `unknown action ${String(action).slice(0, 20)}`);
    }
    if (sessionid === undefined) {
      if (action !== 'execute') throw new CommandError('bad-request', 'bad-sessionid', `${action} needs the sessionid of an executing command`);
      return this.#start(iq, available, ctx, entity);
    }
    const now = this.#now();
    const session = this.#sessions.get(sessionid);
    if (session !== undefined && session.user === ctx.user && this.#expired(session, now)) {
      this.#sessions.delete(sessionid);
      throw new CommandError('not-allowed', 'session-expired', 'the session expired: execute the command again');
    }
    this.#prune(now);
    if (session === undefined || session.user !== ctx.user || session.entity !== entity || session.node !== node) {
      throw new CommandError('bad-request', 'bad-sessionid', 'no such session: execute the command again');
    }
    if (action === 'cancel') {
      this.#sessions.delete(sessionid);
      return { replies: [iqResult(iq, commandElement(node, sessionid, 'canceled'))], actions: [] };
    }
    if (action === 'next' || action === 'prev') throw new CommandError('bad-request', 'bad-action', 'this command has one stage: complete or cancel');
    const x = payload.getChild('x', NS_DATA);
    if (x === undefined) throw new CommandError('bad-request', 'bad-payload', 'submit the form (jabber:x:data type submit)');
    const fields = submittedFields(x);
    if (fields === undefined || available.submit === undefined) {
      this.#sessions.delete(sessionid);
      return { replies: [iqResult(iq, commandElement(node, sessionid, 'canceled'))], actions: [] };
    }
    const done = available.submit(fields, ctx); // a bad value throws and keeps the session
    this.#sessions.delete(sessionid);
    return {
      replies: [iqResult(iq, commandElement(node, sessionid, 'completed', xml('note', { type: 'info' }, done.note), done.form ?? null))],
      actions: done.actions,
    };
  }

  #start(iq: Element, command: Command, ctx: AdhocContext, entity: string): EntityOutcome {
    const sessionid = this.#newId();
    const start = command.start(ctx);
    if (start.kind === 'result') {
      const note = start.note !== undefined ? xml('note', { type: 'info' }, start.note) : null;
      return { replies: [iqResult(iq, commandElement(command.node, sessionid, 'completed', note, start.form ?? null))], actions: [] };
    }
    const now = this.#now();
    this.#prune(now);
    // Per user first, so one user filling their share does not push out others' sessions.
    const mine = [...this.#sessions].filter(([, s]) => s.user === ctx.user).map(([id]) => id);
    for (const id of mine.slice(0, Math.max(0, mine.length - this.#maxPerUser + 1))) this.#sessions.delete(id);
    this.#sessions.set(sessionid, { user: ctx.user, entity, node: command.node, created: now });
    while (this.#sessions.size > this.#max) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    // XEP-0050 §3.4: one stage, so `complete` is the only way on.
    const actions = xml('actions', { execute: 'complete' }, xml('complete'));
    return { replies: [iqResult(iq, commandElement(command.node, sessionid, 'executing', actions, start.form))], actions: [] };
  }
}

function commandElement(node: string, sessionid: string, status: string, ...children: Array<Element | null>): Element {
  return xml('command', { xmlns: NS_COMMANDS, node, sessionid, status }, ...children);
}

/** An error reply with an XEP-0050 §4.6 application condition inside `<error/>`. */
function commandError(iq: Element, condition: Condition, specific: CommandCondition, text: string): Element {
  const reply = errorReply(iq, new StanzaError(condition, text));
  reply.getChild('error')?.append(xml(specific, { xmlns: NS_COMMANDS }));
  return reply;
}

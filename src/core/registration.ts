/**
 * In-band registration (XEP-0077) on the gateway `gw` and on each network `net@gw`, the
 * XEP-0100 gateway handshake (presence subscription, `jabber:iq:gateway`), and the
 * identity fields and XEP-0004 data-form helpers that ad-hoc commands (adhoc.ts) share.
 *
 * Why here: registration and the ad-hoc "defaults"/"settings" commands edit the same
 * stored identity (IdentityStore, network '' for `gw`); one table of fields keeps their
 * validation and their secrecy rules in one place. The XEP-0004 helpers both use are in
 * data-form.ts. Length: over 500 lines because the field table, its validation and the
 * XEP-0077 flows share those secrecy rules; split, they would have to be restated.
 *
 * Rules:
 * - A password is never sent back (issue 4 §5): password fields (XEP-0004 `text-private`,
 *   legacy `<password/>`) come back empty, labelled "set — leave empty to keep" when one
 *   is stored. An empty password on submit keeps the stored one; the `forget` list-multi
 *   field is the only way to clear one short of unregistering.
 * - The after-connect commands are treated like a password (they often carry one:
 *   `PRIVMSG NickServ :IDENTIFY pw`, `OPER x pw`): the text-multi comes back empty,
 *   labelled with how many commands are stored; an empty submission keeps them, new lines
 *   replace them all, and `forget` offers `after_connect` to clear them.
 * - Every submitted value is validated before anything is stored: no CR, LF or NUL
 *   anywhere, lengths bounded, nicks through `isValidNick`. A bad field is refused as a
 *   whole (nothing stored) with a text that names the field; XEP-0077 §3 and XEP-0004
 *   have no per-field error element, so the text is what we promise.
 * - A SASL password without a SASL account logs in as the IRC nick (issue 9 §4, as biboumi
 *   does; SASL PLAIN, RFC 4616, needs an authentication identity, and on most networks the
 *   account is named after the nick): the field's description says so.
 * - Other fields absent from a submission keep their stored value; present but empty
 *   clears them (back to the network's or the operator's default). Fields the form does
 *   not have are ignored (clients echo `fixed` and their own fields).
 * - Legacy fields (XEP-0077 §3.1, §14.2): `<nick/>` IRC nick, `<username/>` IRC username
 *   (ident), `<name/>` IRC realname; on `net@gw` also `<password/>`, the NickServ
 *   password — the one IRC account password that works without an account name (SASL
 *   needs one, so SASL is offered through the data form only). No `<password/>` on `gw`:
 *   the gateway itself holds no credentials.
 * - Fixed-network mode: `gw` stands for the one network (address.ts), so registration on
 *   `gw` edits that network's identity and shows its credentials.
 * - `<remove/>` (XEP-0077 §3.2) on `gw` removes everything of the user; on `net@gw` only
 *   that network. The caller closes connections from the returned actions.
 * Pure: reads and writes the synchronous ports, returns replies and actions.
 */
import xml, { type Element } from '@xmpp/xml';
import { buildJid, isValidNetworkName, isValidNick } from './address.js';
import { StanzaError } from './errors.js';
import { iqPayload } from './gateway-entity.js';
import { fullOf, type BareJid } from './jid.js';
import { NS_DATA, NS_REGISTER } from './namespaces.js';
import { InvalidFieldError, dataForm, parseBoolean, singleValue, submittedFields, type FormField } from './data-form.js';
import { tryBuildRawLine } from './irc-writer.js';
import type { ChannelStore, GatewayAction, IdentityStore, LiveConnection, NetworkIdentity } from './ports.js';
import { iqResult } from './stanza.js';

/** XEP-0100 §6.3 (XEP-0100 predates namespaces.ts' NS_ list; move it there when wired). */
export const NS_IQ_GATEWAY = 'jabber:iq:gateway';

/** The features `gw` and `net@gw` advertise in disco#info for this module. */
export const REGISTRATION_FEATURES: readonly string[] = [NS_REGISTER, NS_IQ_GATEWAY];

/** The operator's settings of a network, which the user's overrides fall back to. */
export interface NetworkDefaults {
  port: number;
  tls: boolean;
}

/** What an entity handler needs: who asks, which entity, and the ports. */
export interface EntityContext {
  /** The requester's bare JID. */
  user: BareJid;
  /** The addressed network; '' for `gw`. */
  network: string;
  /** The addressed channel when the entity is a room `#chan%net@gw`. */
  channel?: string;
  gatewayDomain: string;
  fixedNetwork?: string;
  identities: IdentityStore;
  channels: ChannelStore;
  /** Operator-configured admin bare JIDs. */
  admins: ReadonlySet<string>;
  liveConnections(): LiveConnection[];
  /** The operator's network settings; undefined when the network is not configured. */
  networkDefaults?(network: string): NetworkDefaults | undefined;
  /** The operator's per-user limits; none enforced when absent. */
  limits?: EntityLimits;
  /** Re-reads the configuration as SIGHUP does, returning what it did; the admins' `reload` command is absent without it. */
  reload?(): string;
}

/** Per-user limits on what the stores keep (the operator's configuration). */
export interface EntityLimits {
  /** Persistent channels (ChannelStore) a user may have, over every network. */
  maxChannelsPerUser: number;
  /** Networks (IdentityStore, network ≠ '') a user may register with. */
  maxNetworksPerUser: number;
}

/**
 * Refuses (not-acceptable, naming the network) storing an identity for a network the user
 * has not registered with yet when they already have `limits.maxNetworksPerUser`.
 */
export function checkNetworkLimit(ctx: Pick<EntityContext, 'user' | 'identities' | 'limits'>, network: string): void {
  const max = ctx.limits?.maxNetworksPerUser;
  if (max === undefined || network === '') return;
  const registered = ctx.identities.networks(ctx.user);
  if (registered.includes(network) || registered.length < max) return;
  throw new StanzaError(
    'not-acceptable',
    `cannot register with ${network}: you are registered with ${registered.length} networks, the most this gateway allows; unregister from one first`,
  );
}

export interface EntityOutcome {
  replies: Element[];
  actions: GatewayAction[];
}

// ---------------------------------------------------------------------------------------
// Identity fields
// ---------------------------------------------------------------------------------------

type SecretKey = 'saslPassword' | 'nickservPassword' | 'serverPassword';
type TextKey = 'nick' | 'username' | 'realname' | 'saslAccount';

/** One field of the identity form: its var, how it is shown, and how it is checked. */
export type IdentityField =
  | { kind: 'text'; var: string; key: TextKey; label: string; max: number; check?: (v: string) => string | undefined }
  | { kind: 'secret'; var: string; key: SecretKey; label: string; max: number }
  | { kind: 'boolean'; var: string; key: 'tls' | 'verifyCertificate'; label: string }
  | { kind: 'port'; var: string; key: 'port'; label: string }
  | { kind: 'lines'; var: string; key: 'afterConnect'; label: string }
  | { kind: 'encoding'; var: string; key: 'encoding'; label: string };

/** The most after-connect commands one identity keeps. */
export const MAX_AFTER_CONNECT_LINES = 20;
const MAX_IRC_LINE_BYTES = 510; // RFC 2812 §2.3: 512 with CR LF

function checkNick(v: string): string | undefined {
  return isValidNick(v) ? undefined : 'is not a valid IRC nick (no space , * ? ! @, not starting with $ : # & ~ % +)';
}

function checkUsername(v: string): string | undefined {
  return /[ @]/.test(v) ? 'must not contain a space or @' : undefined;
}

function checkAccount(v: string): string | undefined {
  return /\s/.test(v) ? 'must not contain spaces' : undefined;
}

const NICK: IdentityField = { kind: 'text', var: 'nick', key: 'nick', label: 'IRC nick', max: 64, check: checkNick };
const USERNAME: IdentityField = { kind: 'text', var: 'username', key: 'username', label: 'IRC username (ident)', max: 64, check: checkUsername };
const REALNAME: IdentityField = { kind: 'text', var: 'realname', key: 'realname', label: 'IRC real name', max: 256 };
const CREDENTIALS: readonly IdentityField[] = [
  { kind: 'text', var: 'sasl_account', key: 'saslAccount', label: 'SASL account (empty: your IRC nick)', max: 128, check: checkAccount },
  { kind: 'secret', var: 'sasl_password', key: 'saslPassword', label: 'SASL password', max: 256 },
  { kind: 'secret', var: 'nickserv_password', key: 'nickservPassword', label: 'NickServ password', max: 256 },
  { kind: 'secret', var: 'server_password', key: 'serverPassword', label: 'Server password (PASS)', max: 256 },
];

/** `gw`: the user's defaults for every network. */
export const DEFAULT_FIELDS: readonly IdentityField[] = [NICK, USERNAME, REALNAME];
/** `net@gw` registration: identity and credentials. */
export const NETWORK_FIELDS: readonly IdentityField[] = [NICK, USERNAME, REALNAME, ...CREDENTIALS];
/** `net@gw` "settings" ad-hoc command: everything the user may set for a network. */
export const SETTINGS_FIELDS: readonly IdentityField[] = [
  NICK,
  USERNAME,
  REALNAME,
  { kind: 'boolean', var: 'tls', key: 'tls', label: 'Use TLS' },
  { kind: 'boolean', var: 'verify_certificate', key: 'verifyCertificate', label: 'Verify the server certificate' },
  { kind: 'port', var: 'port', key: 'port', label: 'Port' },
  ...CREDENTIALS,
  { kind: 'lines', var: 'after_connect', key: 'afterConnect', label: 'IRC commands sent after connecting, one per line' },
  { kind: 'encoding', var: 'encoding', key: 'encoding', label: 'Encoding of lines that are not UTF-8 (e.g. windows-1252)' },
];

/** The list-multi field that clears stored secrets (the only way short of unregistering). */
export const FORGET_FIELD = 'forget';

/** The effective value of a setting the operator configures per network. */
function defaultOf(key: 'tls' | 'verifyCertificate' | 'port', defaults: NetworkDefaults | undefined): boolean | number | undefined {
  // Without the operator's defaults TLS is assumed: an untouched form then keeps TLS on.
  if (key === 'tls') return defaults?.tls ?? true;
  if (key === 'verifyCertificate') return true;
  return defaults?.port;
}

/** The form fields for `fields`, filled from `stored`; secrets never carry their value. */
export function identityFormFields(
  fields: readonly IdentityField[],
  stored: NetworkIdentity | undefined,
  defaults?: NetworkDefaults,
): FormField[] {
  const out = fields.map((f): FormField => {
    switch (f.kind) {
      case 'text':
      case 'encoding': {
        const v = stored?.[f.key];
        return { var: f.var, type: 'text-single', label: f.label, values: v ? [v] : [] };
      }
      case 'secret':
        return stored?.[f.key]
          ? { var: f.var, type: 'text-private', label: `${f.label} (set — leave empty to keep)`, desc: 'A password is stored; leave this empty to keep it.' }
          : { var: f.var, type: 'text-private', label: f.label };
      case 'boolean': {
        const v = stored?.[f.key] ?? defaultOf(f.key, defaults);
        return { var: f.var, type: 'boolean', label: f.label, values: v === undefined ? [] : [v ? 'true' : 'false'] };
      }
      case 'port': {
        const v = stored?.port ?? defaultOf('port', defaults);
        return { var: f.var, type: 'text-single', label: f.label, values: v === undefined ? [] : [String(v)] };
      }
      case 'lines': {
        // Never sent back: the commands often carry passwords.
        const n = stored?.afterConnect?.length ?? 0;
        return n > 0
          ? {
              var: f.var,
              type: 'text-multi',
              label: `${f.label} (${n} ${n === 1 ? 'command' : 'commands'} set — leave empty to keep)`,
              desc: 'Commands are stored and not shown; leave this empty to keep them, or enter the full new list.',
            }
          : { var: f.var, type: 'text-multi', label: f.label };
      }
    }
  });
  const secrets = fields.flatMap((f) => {
    if (f.kind === 'secret' && stored?.[f.key]) return [{ label: f.label, value: f.var }];
    if (f.kind === 'lines' && (stored?.afterConnect?.length ?? 0) > 0) return [{ label: 'After-connect commands', value: f.var }];
    return [];
  });
  if (secrets.length > 0) {
    out.push({ var: FORGET_FIELD, type: 'list-multi', label: 'Forget these stored passwords and commands', options: secrets });
  }
  return out;
}

function checkText(name: string, value: string, max: number): void {
  if (/[\r\n\0]/.test(value)) throw new InvalidFieldError(name, 'must not contain CR, LF or NUL');
  if ([...value].length > max) throw new InvalidFieldError(name, `is longer than ${max} characters`);
}

/** A WHATWG encoding label, as its canonical name (`latin1` → `windows-1252`). */
export function parseEncoding(name: string, value: string): string | undefined {
  if (value === '') return undefined;
  try {
    return new TextDecoder(value).encoding;
  } catch {
    throw new InvalidFieldError(name, `"${value.slice(0, 40)}" is not an encoding label (WHATWG Encoding Standard)`);
  }
}

/** Commands for after connecting: one IRC command line per value (XEP-0004 text-multi). */
export function parseAfterConnect(name: string, values: readonly string[]): string[] | undefined {
  const lines = values.map((v) => v.trim()).filter((v) => v !== '');
  if (lines.length > MAX_AFTER_CONNECT_LINES) throw new InvalidFieldError(name, `takes at most ${MAX_AFTER_CONNECT_LINES} lines`);
  lines.forEach((line, i) => {
    const where = `line ${i + 1}`;
    const built = tryBuildRawLine(line);
    if (built.kind === 'line') return;
    const r = built.refusal;
    if (r.kind === 'forbidden-char') throw new InvalidFieldError(name, `${where} contains CR, LF or NUL`);
    if (r.kind === 'too-long') throw new InvalidFieldError(name, `${where} is longer than ${MAX_IRC_LINE_BYTES} bytes`);
    throw new InvalidFieldError(name, `${where} is not an IRC command line (a command such as PRIVMSG, then its parameters; no leading /)`);
  });
  return lines.length > 0 ? lines : undefined;
}

/**
 * The identity after a submission: `stored` with every submitted field applied, each
 * validated. Absent fields keep their value; empty secrets and an empty after-connect list
 * keep theirs; `forget` clears.
 */
export function applyIdentityFields(
  fields: readonly IdentityField[],
  submitted: ReadonlyMap<string, string[]>,
  stored: NetworkIdentity | undefined,
  defaults?: NetworkDefaults,
): NetworkIdentity {
  const next: NetworkIdentity = { ...stored };
  const set = <K extends keyof NetworkIdentity>(key: K, value: NetworkIdentity[K] | undefined): void => {
    if (value === undefined) delete next[key];
    else next[key] = value;
  };
  for (const f of fields) {
    if (!submitted.has(f.var)) continue;
    if (f.kind === 'lines') {
      // Like a password: empty keeps the stored commands (`forget` clears them).
      const lines = parseAfterConnect(f.var, submitted.get(f.var) ?? []);
      if (lines !== undefined) set(f.key, lines);
      continue;
    }
    const value = singleValue(submitted, f.var) ?? '';
    switch (f.kind) {
      case 'text': {
        checkText(f.var, value, f.max);
        const problem = value === '' ? undefined : f.check?.(value);
        if (problem !== undefined) throw new InvalidFieldError(f.var, problem);
        set(f.key, value === '' ? undefined : value);
        break;
      }
      case 'secret':
        checkText(f.var, value, f.max);
        if (value !== '') set(f.key, value);
        break;
      case 'boolean':
        set(f.key, keepDefault(parseBoolean(f.var, value), stored?.[f.key], defaultOf(f.key, defaults)));
        break;
      case 'port': {
        if (value !== '' && !/^\d{1,5}$/.test(value)) throw new InvalidFieldError(f.var, 'must be a number from 1 to 65535');
        const port = value === '' ? undefined : Number(value);
        if (port !== undefined && (port < 1 || port > 65535)) throw new InvalidFieldError(f.var, 'must be a number from 1 to 65535');
        set(f.key, keepDefault(port, stored?.port, defaultOf('port', defaults)));
        break;
      }
      case 'encoding':
        checkText(f.var, value, 64);
        set(f.key, parseEncoding(f.var, value));
        break;
    }
  }
  const forget = submitted.get(FORGET_FIELD) ?? [];
  for (const name of forget) {
    const f = fields.find((x) => x.var === name && (x.kind === 'secret' || x.kind === 'lines'));
    if (f === undefined || (f.kind !== 'secret' && f.kind !== 'lines')) {
      throw new InvalidFieldError(FORGET_FIELD, `"${name.slice(0, 40)}" is not a password field`);
    }
    delete next[f.key];
  }
  return next;
}

/**
 * An operator-configured setting stays unset while the submitted value equals the
 * default, so an untouched form does not pin today's default for ever.
 */
function keepDefault<T>(submitted: T | undefined, stored: T | undefined, dflt: unknown): T | undefined {
  if (submitted !== undefined && stored === undefined && submitted === dflt) return undefined;
  return submitted;
}

// ---------------------------------------------------------------------------------------
// XEP-0077 In-Band Registration
// ---------------------------------------------------------------------------------------

/** Legacy XEP-0077 §14.2 field → identity key (password on `net@gw` only). */
const LEGACY_FIELDS = [
  { name: 'nick', field: 'nick' },
  { name: 'username', field: 'username' },
  { name: 'name', field: 'realname' },
] as const;

/** Which identity `ctx` edits: the user's defaults on `gw`, or a network (the fixed one on `gw` in fixed mode). */
export function identityNetwork(ctx: Pick<EntityContext, 'network' | 'fixedNetwork'>): string {
  return ctx.network === '' ? (ctx.fixedNetwork ?? '') : ctx.network;
}

/** Whether this iq is for {@link handleRegister}: XEP-0077 or XEP-0100 `jabber:iq:gateway`. */
export function isRegistrationRequest(iq: Element): boolean {
  const payload = iq.getChildElements()[0];
  return payload?.name === 'query' && (payload.attrs.xmlns === NS_REGISTER || payload.attrs.xmlns === NS_IQ_GATEWAY);
}

/**
 * Answers an iq get/set in `jabber:iq:register` or `jabber:iq:gateway` addressed to `gw`
 * (ctx.network '') or to `net@gw`. Throws StanzaError for refusals.
 */
export function handleRegister(iq: Element, ctx: EntityContext): EntityOutcome {
  const payload = iqPayload(iq);
  if (payload.attrs.xmlns === NS_IQ_GATEWAY) return { replies: [gatewayPrompt(iq, payload, ctx)], actions: [] };
  if (payload.attrs.xmlns !== NS_REGISTER || payload.name !== 'query') throw new StanzaError('service-unavailable');
  if (iq.attrs.type === 'get') return { replies: [iqResult(iq, registrationForm(ctx))], actions: [] };
  if (payload.getChild('remove') !== undefined) return unregister(iq, ctx);
  try {
    return register(iq, payload, ctx);
  } catch (err) {
    if (err instanceof InvalidFieldError) throw new StanzaError('not-acceptable', err.message);
    throw err;
  }
}

function fieldsFor(ctx: EntityContext): readonly IdentityField[] {
  return identityNetwork(ctx) === '' ? DEFAULT_FIELDS : NETWORK_FIELDS;
}

/** XEP-0077 §3.1 (and §7 with a data form): the legacy fields and the form, filled. */
function registrationForm(ctx: EntityContext): Element {
  const network = identityNetwork(ctx);
  const stored = ctx.identities.get(ctx.user, network);
  const onNetwork = network !== '';
  const instructions = onNetwork
    ? `Your IRC identity and credentials on ${network}. Passwords are never shown; leave a password empty to keep the stored one.`
    : 'Your default IRC nick, username and real name, used on every network where you set none.';
  return xml(
    'query',
    { xmlns: NS_REGISTER },
    stored !== undefined ? xml('registered') : null,
    xml('instructions', {}, instructions),
    ...LEGACY_FIELDS.map((l) => xml(l.name, {}, stored?.[l.field] ?? '')),
    onNetwork ? xml('password') : null,
    dataForm('form', {
      title: onNetwork ? `Registration with ${network}` : 'Registration with the IRC gateway',
      instructions,
      formType: NS_REGISTER,
      fields: identityFormFields(fieldsFor(ctx), stored),
    }),
  );
}

/** XEP-0077 §3.1 set: a data form (§7) or the legacy fields. */
function register(iq: Element, payload: Element, ctx: EntityContext): EntityOutcome {
  const network = identityNetwork(ctx);
  const stored = ctx.identities.get(ctx.user, network);
  const form = payload.getChild('x', NS_DATA);
  let submitted: Map<string, string[]> | undefined;
  if (form !== undefined) {
    submitted = submittedFields(form, NS_REGISTER);
    if (submitted === undefined) return { replies: [iqResult(iq)], actions: [] }; // XEP-0004 §3.1 cancel
  } else {
    submitted = legacyFields(payload, network !== '');
  }
  const identity = applyIdentityFields(fieldsFor(ctx), submitted, stored);
  if (stored === undefined) checkNetworkLimit(ctx, network);
  ctx.identities.set(ctx.user, network, identity);
  const replies = [iqResult(iq)];
  // XEP-0100 §4.1.1: after registering with the gateway it asks for the user's presence,
  // so that it shows in the roster. Only on the first registration: asking again is noise.
  if (ctx.network === '' && stored === undefined) {
    replies.push(xml('presence', { type: 'subscribe', from: ctx.gatewayDomain, to: ctx.user }));
  }
  return { replies, actions: [] };
}

function legacyFields(payload: Element, onNetwork: boolean): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const l of LEGACY_FIELDS) {
    const el = payload.getChild(l.name);
    if (el !== undefined) fields.set(l.field, [el.text()]);
  }
  const password = payload.getChild('password');
  if (password !== undefined) {
    if (!onNetwork) throw new InvalidFieldError('password', 'the gateway itself takes no password; register with a network');
    fields.set('nickserv_password', [password.text()]);
  }
  return fields;
}

/** XEP-0077 §3.2: on `gw` everything of the user goes; on `net@gw` that network. */
function unregister(iq: Element, ctx: EntityContext): EntityOutcome {
  const result = iqResult(iq);
  if (ctx.network !== '') {
    ctx.identities.remove(ctx.user, ctx.network);
    return {
      replies: [result],
      actions: [{ kind: 'disconnect-network', user: ctx.user, network: ctx.network, reason: 'Unregistered from the gateway' }],
    };
  }
  ctx.identities.remove(ctx.user);
  ctx.channels.removeUser(ctx.user);
  const from = ctx.gatewayDomain;
  // XEP-0100 §4.3: the gateway cancels both subscriptions and goes offline for the user.
  return {
    replies: [
      result,
      xml('presence', { type: 'unsubscribe', from, to: ctx.user }),
      xml('presence', { type: 'unsubscribed', from, to: ctx.user }),
      xml('presence', { type: 'unavailable', from, to: ctx.user }),
    ],
    actions: [
      { kind: 'disconnect-user', user: ctx.user, reason: 'Unregistered from the gateway' },
      { kind: 'forget-user', user: ctx.user },
    ],
  };
}

// ---------------------------------------------------------------------------------------
// XEP-0100 §6.3 jabber:iq:gateway and §4.1 presence subscription
// ---------------------------------------------------------------------------------------

/**
 * XEP-0100 §6.3: get → the prompt; set with `<prompt>` → the JID. The prompt is
 * `nick%network`, or just `nick` when the network is implied: asked of `net@gw`, fixed-
 * network mode, or the user's only live connection (else their only registered network).
 */
function gatewayPrompt(iq: Element, payload: Element, ctx: EntityContext): Element {
  const network = identityNetwork(ctx);
  if (iq.attrs.type === 'get') {
    const desc = network !== ''
      ? `Enter the nick of a user on ${network}.`
      : 'Enter nick%network (e.g. alice%irc.libera.chat), or just the nick when you use one network.';
    return iqResult(iq, xml('query', { xmlns: NS_IQ_GATEWAY }, xml('desc', {}, desc), xml('prompt', {}, 'IRC nick')));
  }
  const prompt = payload.getChildText('prompt')?.trim() ?? '';
  if (prompt === '') throw new StanzaError('bad-request', 'the prompt is empty: send <prompt>nick</prompt>');
  let nick = prompt;
  let on = network !== '' ? network : undefined;
  const sep = prompt.lastIndexOf('%');
  if (on === undefined && sep !== -1) {
    nick = prompt.slice(0, sep);
    on = prompt.slice(sep + 1).toLowerCase();
    if (!isValidNetworkName(on)) throw new StanzaError('not-acceptable', `"${on.slice(0, 64)}" is not a network name`);
  }
  on ??= impliedNetwork(ctx);
  if (on === undefined) throw new StanzaError('not-acceptable', 'say which network: nick%network');
  if (checkNick(nick) !== undefined || nick.length > 64) throw new StanzaError('not-acceptable', `"${nick.slice(0, 64)}" is not a valid IRC nick`);
  const jid = fullOf(buildJid({ kind: 'user', network: on, nick }, { gatewayDomain: ctx.gatewayDomain, fixedNetwork: ctx.fixedNetwork }));
  return iqResult(iq, xml('query', { xmlns: NS_IQ_GATEWAY }, xml('jid', {}, jid)));
}

function impliedNetwork(ctx: EntityContext): string | undefined {
  const live = [...new Set(ctx.liveConnections().filter((c) => c.user === ctx.user).map((c) => c.network))];
  if (live.length === 1) return live[0];
  if (live.length > 1) return undefined;
  const registered = ctx.identities.networks(ctx.user);
  return registered.length === 1 ? registered[0] : undefined;
}

/**
 * Presence to `gw` (XEP-0100 §4.1, RFC 6121 §3): the gateway approves the user's
 * subscription and answers probes; it asks for the user's presence after registration
 * (see {@link handleRegister}). The user's `unsubscribed` only ends what we receive:
 * unregistering is explicit (`<remove/>`), never a side effect of a roster cleanup.
 * Available and unavailable presence ask nothing (IRC connections open on joins).
 */
export function handleGatewayPresence(presence: Element, ctx: Pick<EntityContext, 'gatewayDomain' | 'user'>): Element[] {
  const to = presence.attrs.from ?? ctx.user;
  const from = ctx.gatewayDomain;
  switch (presence.attrs.type) {
    case 'subscribe':
      // RFC 6121 §3.1.5: approve, then send current presence.
      return [xml('presence', { type: 'subscribed', from, to: ctx.user }), xml('presence', { from, to: ctx.user })];
    case 'probe':
      // RFC 6121 §4.3.2: the gateway is always available.
      return [xml('presence', { from, to })];
    case 'unsubscribe':
      // RFC 6121 §3.3.3: the contact's side sends unavailable to the former subscriber.
      return [xml('presence', { type: 'unavailable', from, to: ctx.user })];
    default:
      return [];
  }
}

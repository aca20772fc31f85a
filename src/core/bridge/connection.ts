/**
 * The life of one IRC connection: connect parameters, registration (SASL, NickServ,
 * after-connect commands, nick retries), what the server supports (ISUPPORT, CAP),
 * refusals that end it, a lost link and its back-off, and QUIT.
 *
 * Why here: the states of `Session` (session.ts) change only in this module, so their
 * rules can be read in one place:
 *   connecting → registered (001) → waiting (link lost, reconnect timer) → connecting …
 *   any → quitting (QUIT sent) → forgotten on `closed`, or reconnected when joins arrived.
 *
 * Rules:
 * - a first connection that fails, or a refusal retrying cannot fix (bad password,
 *   K-line, SASL failure, no free nick), ends every join with an error at once;
 * - a registered link that drops reconnects on a jittered, capped back-off; the rooms
 *   are told once and their IRC occupants leave;
 * - after `shutdown` no reconnect is armed;
 * - every line, after-connect commands included, is built by irc-writer.ts.
 */
import xml, { type Element } from '@xmpp/xml';
import { detached } from '../bounded-cache.js';
import { parseIsupportTokens, type ServerSupport } from '../casemap.js';
import { connKey } from '../effects.js';
import { StanzaError } from '../errors.js';
import { NICK_CHANGE_ERRORS } from '../irc-numerics.js';
import { DEFAULT_CHANMODES, parseChanmodes, type IrcMessage } from '../irc-message.js';
import { oneLine, tryBuildRawLine } from '../irc-writer.js';
import { splitJid, type BareJid } from '../jid.js';
import type { NetworkIdentity } from '../ports.js';
import { STATUS } from '../muc-stanzas.js';
import { newSession, type Session } from '../session.js';
import type { BridgeContext, NetworkSettings } from './context.js';
import { ircError } from './irc-errors.js';
import { failList } from './channel-list.js';
import { contactsLost } from './contacts.js';
import { leaveRecovery, networkUp, scheduleReconnect } from './reconnect.js';
import { closeChannel, occupantGone, sendJoin } from './rooms.js';
import { flushMotd } from './irc-to-xmpp/server-text.js';

export const QUIT_MESSAGE = 'Leaving';
const MAX_NICK_TRIES = 5;

/** IRC-safe form of a JID localpart, used as the default nick (RFC 2812 §2.3.1, leniently). */
export function ircSafeNick(local: string): string {
  let nick = local.replace(/[^A-Za-z0-9\-_[\]\\^{}|`]/g, '_');
  if (nick === '' || /^[0-9-]/.test(nick)) nick = `_${nick}`;
  return nick.slice(0, 30);
}

/** The user's stored identity for a network over their gateway-wide defaults. */
export function identityOf(ctx: BridgeContext, user: string, network: string): NetworkIdentity {
  const store = ctx.o.identities;
  if (!store) return {};
  const defaults = store.get(user, '') ?? {};
  const own = store.get(user, network) ?? {};
  const merged: NetworkIdentity = { ...defaults };
  for (const [k, v] of Object.entries(own)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  return merged;
}

/**
 * A new session in the registry, not yet connected (`connect` or a reconnect timer starts
 * it). Its nick: the registered one; else the nick of the join that opened it (made
 * IRC-safe: the user asked for it); else the JID's localpart. `id` is the user's identity
 * when the caller has just read it (a join, which connects at once with the same).
 */
export function addSession(ctx: BridgeContext, user: BareJid, network: string, requestedNick?: string, id = identityOf(ctx, user, network)): Session {
  const nick = id.nick ?? ircSafeNick(requestedNick ?? splitJid(user)?.local ?? 'user');
  return ctx.registry.add(newSession(connKey(user, network), user, network, nick));
}

/**
 * Asks the adapter for a connection with the user's identity over the operator's settings;
 * `id` when the caller read it in this same step (two store reads fewer per join).
 */
export function connect(ctx: BridgeContext, s: Session, settings: NetworkSettings, id = identityOf(ctx, s.user, s.network)): void {
  s.state = 'connecting';
  s.nickTries = 0;
  s.wantedNick = id.nick ?? s.wantedNick;
  s.nickservPassword = id.nickservPassword;
  // A SASL password without an account logs in as the nick (as biboumi does): most
  // networks' accounts are named after the nick they registered.
  s.sasl = id.saslPassword !== undefined ? { account: id.saslAccount ?? s.wantedNick, password: id.saslPassword } : undefined;
  s.saslDone = false;
  s.afterConnect = id.afterConnect ?? [];
  const clean = (v: string): string => v.replace(/[\r\n\0]/g, '');
  // A user's port is used only when the operator lists it (issue 8 §5): no port scanning
  // through the gateway.
  const port = id.port === undefined || id.port === settings.port || settings.userPorts?.includes(id.port) ? (id.port ?? settings.port) : settings.port;
  if (port !== (id.port ?? settings.port)) {
    ctx.networkNotice(s, `Your settings ask for port ${id.port}, which this gateway does not allow for ${s.network}; connecting on ${settings.port}.`);
  }
  ctx.emit({
    kind: 'irc-connect',
    key: s.key,
    params: {
      network: s.network,
      host: settings.host,
      port,
      tls: id.tls ?? settings.tls,
      nick: s.wantedNick,
      username: clean(id.username ?? (s.wantedNick.replace(/[^A-Za-z0-9]/g, '').slice(0, 10) || 'jabirc')),
      realname: clean(id.realname ?? `${s.user} via Jabirc`),
      allowPrivateAddresses: settings.allowPrivateAddresses ?? ctx.o.allowPrivateAddresses,
      ...(id.serverPassword !== undefined ? { serverPassword: id.serverPassword } : {}),
      ...(s.sasl ? { sasl: { account: s.sasl.account, password: s.sasl.password } } : {}),
      ...(id.verifyCertificate === false ? { verifyCertificate: false } : {}),
      ...(id.encoding !== undefined ? { encoding: id.encoding } : {}),
      // The adapter scrubs these from this connection's trace lines (issue 8 §2): redaction
      // at the source, per connection, never a global list users can grow.
      ...(s.nickservPassword !== undefined || s.afterConnect.length > 0
        ? { traceSecrets: [...(s.nickservPassword !== undefined ? [s.nickservPassword] : []), ...s.afterConnect] }
        : {}),
    },
  });
}

/** Someone wants in now: a session waiting for its back-off or the start-up queue connects. */
export function connectNow(ctx: BridgeContext, s: Session, settings: NetworkSettings): void {
  ctx.clearTimer(ctx.reconnectTimerId(s));
  ctx.recovery.get(s.network)?.waiting.delete(s.key);
  connect(ctx, s, settings);
}

/** Forgets a session, handing its place as the network's probe to the next one waiting. */
export function forgetSession(ctx: BridgeContext, s: Session): void {
  ctx.registry.forget(s);
  leaveRecovery(ctx, s);
}

/** RPL_WELCOME: identify, send the after-connect commands, join every channel. */
export function registered(ctx: BridgeContext, s: Session, nick: string): void {
  s.state = 'registered';
  s.nick = nick;
  s.connectedAt = ctx.o.now();
  s.reconnectAttempt = 0;
  s.fatal = undefined;
  s.fatalError = undefined;
  s.lastError = undefined;
  ctx.log.info({ user: s.user, network: s.network, nick }, 'registered on IRC');
  networkUp(ctx, s);
  for (const [, channel] of s.channels) {
    if (!channel.linkLost) continue;
    channel.linkLost = false;
    const note = `Reconnected to ${s.network}; rejoining ${channel.name}.`;
    ctx.broadcast(channel, (to, room) => roomNotice(ctx.roomJid(s, room), to, ctx.o.newId(), note));
  }
  if (!s.saslDone && s.nickservPassword !== undefined) {
    // Identify the classic way (Anope/Atheme NickServ IDENTIFY) with the NickServ password
    // the user set — never with the SASL credentials: whoever holds the nick NickServ on a
    // network without services would read them.
    ctx.sendLine(s, 'PRIVMSG', ['NickServ', `IDENTIFY ${s.nickservPassword}`]);
  } else if (!s.saslDone && s.sasl) {
    ctx.networkNotice(s, `${s.network} did not log you in with SASL (the server does not offer it, or did not complete it); you are connected without logging in. Set a NickServ password in your settings for this network to identify with NickServ instead.`);
  }
  for (const [i, command] of s.afterConnect.entries()) {
    const built = tryBuildRawLine(command);
    if (built.kind === 'refused' || built.line === '') {
      // Its text is not quoted: after-connect commands often carry passwords.
      ctx.networkNotice(s, `After-connect command #${i + 1} was not sent (empty, over 510 bytes, or with a line break).`);
      continue;
    }
    ctx.irc(s, built.line);
  }
  for (const [, channel] of s.channels) {
    sendJoin(ctx, s, channel);
    ctx.armJoinTimer(s, channel);
  }
}

/**
 * RPL_ISUPPORT (005): server features. A new CASEMAPPING re-keys every per-name map, and
 * the stores learn it so that stored names fold as the session's do.
 */
export function isupport(ctx: BridgeContext, s: Session, tokens: string[]): void {
  const before: ServerSupport = s.support;
  s.support = parseIsupportTokens(tokens, before);
  if (tokens.some((t) => t.startsWith('CASEMAPPING='))) {
    ctx.o.channels?.useCaseMapping?.(s.network, s.support.casemapping);
    ctx.o.roomEncodings?.useCaseMapping?.(s.network, s.support.casemapping);
    ctx.o.contacts?.useCaseMapping?.(s.network, s.support.casemapping);
    ctx.o.archive?.useCaseMapping(s.network, s.support.casemapping);
  }
  for (const t of tokens) {
    // IRCv3 MONITOR: `MONITOR=<limit>`, no value for no limit.
    if (t === 'MONITOR' || t.startsWith('MONITOR=')) s.monitor = Number(t.slice('MONITOR='.length)) || 0;
    else if (t === '-MONITOR') s.monitor = undefined;
  }
  for (const t of tokens) {
    // Its own copy: the groups are kept for the session's life, and a slice of the token keeps
    // the whole 005 line (bounded-cache.ts `detached`).
    if (t.startsWith('CHANMODES=')) s.chanmodes = parseChanmodes(detached(t.slice('CHANMODES='.length)));
    else if (t === '-CHANMODES') s.chanmodes = DEFAULT_CHANMODES;
  }
  if (s.support.casemapping !== before.casemapping) {
    s.channels.remap(s.support.casemapping);
    ctx.registry.changed(s);
    s.pendingPrivate.remap(s.support.casemapping);
    for (const [, ch] of s.channels) ch.occupants.remap(s.support.casemapping);
    s.contacts?.remap(s.support.casemapping);
  }
}

/** Capabilities a connection may hold: real servers offer a few dozen. */
const MAX_CAPS = 64;

/**
 * Ends a connection whose server made it hold more than Jabirc bounds (issue 8 §4): the
 * user is told why, the rooms end with the reason (no retry: the server would do it again),
 * and the process and every other connection go on.
 */
export function dropForOverflow(ctx: BridgeContext, s: Session, what: string): void {
  if (s.fatal !== undefined) return;
  s.fatal = `the server sent more ${what} than Jabirc keeps`;
  ctx.log.warn({ network: s.network, what }, 'dropped a connection over a bound');
  ctx.networkNotice(s, `Jabirc closed its connection to ${s.network}: ${s.fatal}.`);
  ctx.emit({ kind: 'irc-quit', key: s.key, message: QUIT_MESSAGE });
}

/** IRCv3 capability negotiation (ACK and DEL): what the connection has now. */
export function cap(ctx: BridgeContext, s: Session, p: string[]): void {
  const sub = (p[1] ?? '').toUpperCase();
  const list = (p[p.length - 1] ?? '').split(' ').filter(Boolean);
  if (sub === 'ACK') {
    for (const c of list) {
      if (c.startsWith('-')) s.caps.delete(c.slice(1));
      else s.caps.add(ctx.shared(c.split('=')[0]!)); // one copy for every session, not a slice of each ACK line
    }
    if (s.caps.size > MAX_CAPS) dropForOverflow(ctx, s, 'capabilities');
  } else if (sub === 'DEL') {
    for (const c of list) s.caps.delete(c.split('=')[0]!);
  }
}

/** The nick was refused while registering: try the usual alternatives, then give up. */
export function nextNick(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  s.nickTries++;
  if (s.nickTries > MAX_NICK_TRIES) {
    const text = ctx.text(m.params[m.params.length - 1] ?? m.command);
    s.fatal = `no free nick: ${text}`;
    // XEP-0045 §7.2.9: the nick is in use → conflict, with the server's words.
    s.fatalError = ircError(NICK_CHANGE_ERRORS, m);
    ctx.emit({ kind: 'irc-quit', key: s.key, message: QUIT_MESSAGE });
    return;
  }
  const base = s.wantedNick.slice(0, 26);
  const alt = s.nickTries <= 3 ? `${base}${'_'.repeat(s.nickTries)}` : `${base}${s.nickTries}${Math.floor(ctx.o.random() * 100)}`;
  s.nick = alt;
  ctx.sendLine(s, 'NICK', [alt]);
}

/** A refusal retrying cannot fix (464, 465, 904): remembered for when the link closes. */
export function refusedByServer(ctx: BridgeContext, s: Session, m: IrcMessage, sasl: boolean): void {
  s.fatal = ctx.text(m.params[m.params.length - 1] ?? m.command);
  ctx.networkNotice(
    s,
    sasl
      ? `SASL authentication with ${s.network} failed (${s.fatal}): check the SASL account and password in your settings for this network.`
      : `${s.network} refused the connection: ${s.fatal}`,
  );
  if (sasl) ctx.emit({ kind: 'irc-quit', key: s.key, message: 'SASL authentication failed' });
}

/** ERROR (RFC 2812 §3.7.4): the best reason when the link then closes. */
export function serverError(ctx: BridgeContext, s: Session, text: string | undefined): void {
  s.lastError = ctx.text(text ?? 'closed by the server');
  if (/\b(k-?lined?|g-?lined?|z-?lined?|banned)\b/i.test(s.lastError)) s.fatal = s.lastError;
}

/**
 * QUITs a session. It stays known, as `quitting`, until the adapter reports `closed`:
 * a join that arrives meanwhile is queued on it and reconnects then, instead of
 * opening a second connection under the same key.
 */
export function closeSession(ctx: BridgeContext, s: Session, message: string): void {
  ctx.clearTimer(ctx.reconnectTimerId(s));
  if (s.state === 'waiting') {
    forgetSession(ctx, s);
    return;
  }
  if (s.state === 'quitting') return;
  s.state = 'quitting';
  ctx.emit({ kind: 'irc-quit', key: s.key, message: oneLine(message) });
}

/** Ends every room of the session with `error` and QUITs it. */
export function endSession(ctx: BridgeContext, s: Session, error: StanzaError, quitMessage: string, status?: number): void {
  for (const [, channel] of [...s.channels]) closeChannel(ctx, s, channel, { kind: 'ended', error, ...(status !== undefined ? { status } : {}) });
  closeSession(ctx, s, quitMessage);
}

/** The adapter's `closed`: forget, reconnect the queued joins, or back off and retry. */
export function closed(ctx: BridgeContext, s: Session, reason: string, refused: boolean): void {
  failList(ctx, s, new StanzaError('remote-server-timeout', `the connection to ${s.network} closed`));
  contactsLost(ctx, s);
  if (s.state === 'quitting') {
    if (s.channels.size === 0 || ctx.stopping) {
      forgetSession(ctx, s);
      return;
    }
    // Joins arrived while we were quitting: start afresh.
    const settings = ctx.o.network(s.network);
    if (settings) {
      s.nick = s.wantedNick;
      s.reconnectAttempt = 0;
      s.caps.clear();
      connect(ctx, s, settings);
      return;
    }
  }
  const why = s.fatal ?? s.lastError ?? reason;
  const wasRegistered = s.state === 'registered';
  ctx.log.info({ user: s.user, network: s.network, reason: why, refused }, 'IRC connection closed');
  const retry = !ctx.stopping && !refused && s.fatal === undefined && (wasRegistered || s.reconnectAttempt > 0);
  if (!retry) {
    // Nothing retrying can fix, or the first connection failed: every join ends now.
    const err = s.fatalError ?? new StanzaError(refused ? 'not-allowed' : 'remote-server-not-found', `${s.network}: ${why}`);
    // XEP-0045 §10.2 status 333: removed for a technical reason (the link cannot be had).
    for (const [, channel] of [...s.channels]) closeChannel(ctx, s, channel, { kind: 'ended', error: err, status: STATUS.ERROR_REMOVED });
    if (s.motd?.length) flushMotd(ctx, s, undefined);
    ctx.networkNotice(s, `Disconnected from ${s.network}: ${why}`);
    ctx.clearTimer(ctx.reconnectTimerId(s));
    forgetSession(ctx, s);
    return;
  }
  s.state = 'waiting';
  s.reconnectAttempt++;
  s.caps.clear(); // the next connection negotiates its own (IRCv3 capability-negotiation)
  for (const [, channel] of s.channels) {
    channel.state = 'joining';
    channel.echoes = [];
    if (!wasRegistered) continue; // a retry that failed again: the room was told already
    // Tell the room once; the occupants it can no longer vouch for leave.
    for (const [, o] of [...channel.occupants]) {
      if (!ctx.isMe(s, o.nick)) occupantGone(ctx, s, channel, o.nick, { status: 'IRC connection lost' });
    }
    channel.linkLost = true;
    const note = `Connection to ${s.network} lost (${why}); reconnecting. You will be told when it is back.`;
    ctx.broadcast(channel, (to, room) => roomNotice(ctx.roomJid(s, room), to, ctx.o.newId(), note));
  }
  scheduleReconnect(ctx, s);
}

/** The reconnect timer: connect again, or forget a session nothing needs any more. */
export function reconnectDue(ctx: BridgeContext, s: Session): void {
  const settings = s.channels.size > 0 && !ctx.stopping ? ctx.o.network(s.network) : undefined;
  if (settings) connect(ctx, s, settings);
  else forgetSession(ctx, s);
}

/** A groupchat message from the room itself (no occupant): the gateway speaking. */
function roomNotice(from: string, to: string, id: string, body: string): Element {
  return xml('message', { from, to, type: 'groupchat', id }, xml('body', {}, body));
}

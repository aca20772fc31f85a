/**
 * IRC users as contacts (XEP-0100 §5): a user who adds `nick%net@gw` to their roster sees
 * that IRC user online, away (with the message) and offline.
 *
 * Why here: presence of IRC users is only known through a session on their network. The
 * contacts of a user are stored (ContactStore) and followed while the user has a session:
 * with IRCv3 MONITOR (RPL_MONONLINE 730 / RPL_MONOFFLINE 731) where the server offers it
 * (ISUPPORT MONITOR=limit), else with a paced ISON poll (RFC 2812 §4.9, RPL_ISON 303). Away
 * comes from away-notify for contacts who share a channel with the user.
 *
 * Rules:
 * - subscriptions are answered as a gateway should (RFC 6121 §3.1.5, XEP-0100 §5.1): a
 *   subscribe gets `subscribed`, the contact's own `subscribe` back, then its presence;
 *   unsubscribe gets `unsubscribed` and `unavailable`; a probe gets the presence known now;
 * - presence goes to the bare JID (the user's server fans it out to every client);
 * - bounded: MAX_FOLLOWED contacts per session, ISON at most every ISON_INTERVAL_MS with at
 *   most ISON_BATCH nicks a line, MONITOR lists within the server's limit;
 * - when the session ends, followed contacts that were online become unavailable.
 */
import xml, { type Element } from '@xmpp/xml';
import { CaseMappedMap } from '../casemap.js';
import { StanzaError } from '../errors.js';
import type { FullJid } from '../jid.js';
import type { Session } from '../session.js';
import type { BridgeContext } from './context.js';

const MAX_FOLLOWED = 500;
const ISON_INTERVAL_MS = 60_000;
const ISON_BATCH = 40;
/** Bytes of nicks in one MONITOR + line (a 512-byte line with room for the command). */
const MONITOR_LINE_BYTES = 400;

export interface Followed {
  nick: string;
  online: boolean | undefined;
  away: string | undefined;
}

export function isonTimerId(s: Session): string {
  return `ison ${s.key}`;
}

function followed(s: Session): CaseMappedMap<Followed> {
  if (!s.contacts) s.contacts = new CaseMappedMap<Followed>(s.support.casemapping);
  return s.contacts;
}

/** A presence stanza from an XMPP user to `nick%net@gw`. */
export function contactPresence(ctx: BridgeContext, stanza: Element, from: FullJid, network: string, nick: string): void {
  const user = ctx.userOf(from);
  const contact = ctx.jid({ kind: 'user', network, nick });
  const type = stanza.attrs.type;
  const s = ctx.registry.get(user, network);
  switch (type) {
    case 'subscribe': {
      if (!ctx.o.network(network)) throw new StanzaError('not-allowed', `the IRC network ${network} is not open on this gateway`);
      if (ctx.o.contacts && ctx.o.contacts.list(user, network).length >= MAX_FOLLOWED) {
        throw new StanzaError('resource-constraint', `you follow ${MAX_FOLLOWED} IRC users on ${network}, the most this gateway allows`);
      }
      ctx.o.contacts?.add(user, network, nick);
      ctx.send(xml('presence', { type: 'subscribed', from: contact, to: user }));
      ctx.send(xml('presence', { type: 'subscribe', from: contact, to: user }));
      if (s) follow(ctx, s, [nick]);
      sendContactPresence(ctx, user, contact, s ? followed(s).get(nick) : undefined, s);
      return;
    }
    case 'unsubscribe':
    case 'unsubscribed': {
      ctx.o.contacts?.remove(user, network, nick);
      if (s?.contacts?.has(nick)) {
        s.contacts.delete(nick);
        if (s.monitor !== undefined && s.state === 'registered') ctx.sendLine(s, 'MONITOR', ['-', nick]);
      }
      if (type === 'unsubscribe') ctx.send(xml('presence', { type: 'unsubscribed', from: contact, to: user }));
      ctx.send(xml('presence', { type: 'unavailable', from: contact, to: user }));
      return;
    }
    case 'probe':
      sendContactPresence(ctx, user, contact, s?.contacts?.get(nick), s);
      return;
    default:
      return; // subscribed (the user approved the contact's request), directed presence
  }
}

function sendContactPresence(ctx: BridgeContext, user: string, contact: string, f: Followed | undefined, s: Session | undefined): void {
  if (!f?.online) {
    const status = !s || s.state !== 'registered' ? 'not connected to this IRC network: join a room there to follow IRC users' : undefined;
    ctx.send(xml('presence', { type: 'unavailable', from: contact, to: user }, status ? xml('status', {}, status) : null));
    return;
  }
  ctx.send(
    xml('presence', { from: contact, to: user }, f.away !== undefined ? xml('show', {}, 'away') : null, f.away !== undefined ? xml('status', {}, f.away) : null),
  );
}

/** Adds nicks to the session's followed set and asks the server about them when it can. */
function follow(ctx: BridgeContext, s: Session, nicks: readonly string[]): void {
  const map = followed(s);
  const added: string[] = [];
  for (const nick of nicks) {
    if (map.has(nick) || map.size >= MAX_FOLLOWED) continue;
    map.set(nick, { nick, online: undefined, away: undefined });
    added.push(nick);
  }
  if (added.length === 0 || s.state !== 'registered' || !s.followStarted) return;
  if (s.monitor !== undefined) monitorAdd(ctx, s, added);
  else ctx.setTimer(isonTimerId(s), 0);
}

/** After registration and ISUPPORT (end of MOTD): follow the stored contacts. */
export function startFollowing(ctx: BridgeContext, s: Session): void {
  if (s.followStarted) return;
  s.followStarted = true;
  const stored = ctx.o.contacts?.list(s.user, s.network) ?? [];
  const map = followed(s);
  for (const nick of stored) if (!map.has(nick) && map.size < MAX_FOLLOWED) map.set(nick, { nick, online: undefined, away: undefined });
  if (map.size === 0) return;
  if (s.monitor !== undefined) monitorAdd(ctx, s, [...map].map(([, f]) => f.nick));
  else ctx.setTimer(isonTimerId(s), 0);
}

function monitorAdd(ctx: BridgeContext, s: Session, nicks: readonly string[]): void {
  const limit = s.monitor === 0 || s.monitor === undefined ? Infinity : s.monitor;
  const take = nicks.slice(0, Math.max(0, limit));
  let batch: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (batch.length > 0) ctx.sendLine(s, 'MONITOR', ['+', batch.join(',')]);
    batch = [];
    bytes = 0;
  };
  for (const nick of take) {
    if (bytes + nick.length + 1 > MONITOR_LINE_BYTES) flush();
    batch.push(nick);
    bytes += nick.length + 1;
  }
  flush();
}

/** The ISON poll timer: ask about the next batch of followed nicks. */
export function isonDue(ctx: BridgeContext, s: Session): void {
  if (s.state !== 'registered' || s.monitor !== undefined || !s.contacts || s.contacts.size === 0) return;
  const nicks = [...s.contacts].map(([, f]) => f.nick);
  const start = (s.isonCursor ?? 0) % nicks.length;
  const batch = nicks.slice(start, start + ISON_BATCH);
  s.isonCursor = start + batch.length;
  s.isonAsked = batch;
  ctx.sendLine(s, 'ISON', [batch.join(' ')]);
  ctx.setTimer(isonTimerId(s), ISON_INTERVAL_MS);
}

/** RPL_MONONLINE (730): `nick!user@host,…` came online. */
export function monOnline(ctx: BridgeContext, s: Session, list: string): void {
  for (const target of list.split(',')) changed(ctx, s, target.split('!')[0] ?? '', true);
}

/** RPL_MONOFFLINE (731): `nick,…` went offline. */
export function monOffline(ctx: BridgeContext, s: Session, list: string): void {
  for (const nick of list.split(',')) changed(ctx, s, nick, false);
}

/** RPL_ISON (303): which of the nicks asked about are online. */
export function isonReply(ctx: BridgeContext, s: Session, list: string): void {
  const online = new CaseMappedMap<true>(s.support.casemapping);
  for (const nick of list.split(' ')) if (nick) online.set(nick, true);
  for (const nick of s.isonAsked ?? []) changed(ctx, s, nick, online.has(nick));
  s.isonAsked = undefined;
}

/** An AWAY (away-notify) or its end for a nick: followed contacts show it. */
export function contactAway(ctx: BridgeContext, s: Session, nick: string, message: string | undefined): void {
  const f = s.contacts?.get(nick);
  if (!f) return;
  f.away = message;
  if (f.online) sendContactPresence(ctx, s.user, ctx.userJid(s, f.nick), f, s);
}

function changed(ctx: BridgeContext, s: Session, nick: string, online: boolean): void {
  const f = s.contacts?.get(nick);
  if (!f || f.online === online) return;
  f.online = online;
  if (!online) f.away = undefined;
  sendContactPresence(ctx, s.user, ctx.userJid(s, f.nick), f, s);
}

/** The session's link is gone: what was online is unknown now, so it is unavailable. */
export function contactsLost(ctx: BridgeContext, s: Session): void {
  ctx.clearTimer(isonTimerId(s));
  s.followStarted = false;
  for (const [, f] of s.contacts ?? []) {
    if (!f.online) continue;
    f.online = undefined;
    f.away = undefined;
    ctx.send(xml('presence', { type: 'unavailable', from: ctx.userJid(s, f.nick), to: s.user }, xml('status', {}, `the gateway lost its link to ${s.network}`)));
  }
}

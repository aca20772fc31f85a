/**
 * IRC → XMPP membership: who is in a channel and with what standing, as MUC occupant
 * presence (XEP-0045 §7.2–§9): JOIN, NAMES (353/366), PART, KICK, QUIT, NICK, MODE,
 * AWAY (IRCv3 away-notify), the topic, and join refusals.
 *
 * Rules:
 * - the room state is sent once NAMES ends (366), never from a partial list;
 * - a KICK right after a matching +b is a ban (status 301, affiliation outcast);
 * - a nick change is XEP-0045 §7.6: unavailable with 303 and the new nick, then
 *   available under it; our own changes carry 110;
 * - state a peer can grow is bounded (NAMES entries, recent bans).
 */
import xml from '@xmpp/xml';
import { detached } from '../../bounded-cache.js';
import { foldCase } from '../../casemap.js';
import { JOIN_ERRORS, NICK_CHANGE_ERRORS } from '../../irc-numerics.js';
import { parseModeChanges, parseNamesEntry, type IrcMessage } from '../../irc-message.js';
import { STATUS, mucStanding, occupantPresence, subjectMessage } from '../../muc-stanzas.js';
import type { Occupant, Session } from '../../session.js';
import { errorReply } from '../../stanza.js';
import type { BridgeContext } from '../context.js';
import { ircError } from '../irc-errors.js';
import { dropForOverflow } from '../connection.js';
import { contactAway } from '../contacts.js';
import { lineTime, recordLine, spanOpens } from '../history.js';
import { ircOccupantId, occupantIdOf } from '../occupant-id.js';
import { awayOf, closeChannel, occupantGone, sendRoomState } from '../rooms.js';

/** Members of one channel Jabirc keeps (the biggest IRC channels have a few tens of thousands). */
const MAX_MEMBERS = 100_000;
/** How soon after a matching +b a KICK counts as a ban (clients send MODE +b then KICK). */
const BAN_KICK_WINDOW_MS = 10_000;

/** An IRC mask (`*` any run, `?` one character) as an anchored pattern. */
function maskPattern(mask: string): RegExp {
  const body = mask.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

export function ircJoin(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  const name = m.params[0] ?? '';
  const nick = m.source?.nick ?? '';
  const channel = s.channels.get(name);
  if (ctx.isMe(s, nick)) {
    if (!channel) {
      // Joined a channel nobody wants any more (the join timed out, or everyone left).
      ctx.sendLine(s, 'PART', [name]);
      return;
    }
    // IRC's spelling wins, as a string of its own: the room keeps it as long as it is joined
    // (bounded-cache.ts `detached`), and a slice would keep the whole JOIN line, tags and all.
    if (name !== channel.name) channel.name = detached(name);
    channel.namesBuffer = [];
    spanOpens(ctx, s, channel, lineTime(ctx, m));
    return;
  }
  if (!channel) return;
  const mask = ctx.shared(`${nick}!${m.source?.user ?? '*'}@${m.source?.host ?? '*'}`);
  // IRCv3 extended-join: JOIN #chan account :realname ('*' when logged out); else account-tag.
  const account = s.caps.has('extended-join') ? m.params[1] : m.tags.account;
  if (channel.occupants.size >= MAX_MEMBERS && !channel.occupants.has(nick)) {
    dropForOverflow(ctx, s, `members of ${channel.name}`);
    return;
  }
  const o: Occupant = { nick: ctx.shared(nick), prefixes: '', mask, ...ircOccupantId(ctx, s, channel, mask, account) };
  channel.occupants.set(o.nick, o);
  ctx.broadcast(channel, (to, room) => occupantPresence({ from: ctx.occupantJid(s, room, nick), to, ...mucStanding(''), occupantId: o.occupantId }));
}

/** RPL_NAMREPLY (353): collected until 366. */
export function names(ctx: BridgeContext, s: Session, p: readonly string[]): void {
  const channel = s.channels.get(p[2] ?? '');
  if (!channel) return;
  channel.namesBuffer ??= [];
  for (const entry of (p[3] ?? '').split(' ')) {
    if (!entry) continue;
    const e = parseNamesEntry(entry, s.support.prefixes);
    if (!e) continue;
    if (channel.namesBuffer.length >= MAX_MEMBERS) {
      dropForOverflow(ctx, s, `names of ${channel.name}`);
      return;
    }
    const mask = ctx.shared(`${e.nick}!${e.user ?? '*'}@${e.host ?? '*'}`);
    // An occupant already known (a NAMES after the join) keeps the id it was given.
    const occupantId = channel.occupants.get(e.nick)?.occupantId ?? ircOccupantId(ctx, s, channel, mask).occupantId;
    channel.namesBuffer.push({ nick: ctx.shared(e.nick), prefixes: e.prefixes, mask, ...(occupantId !== undefined ? { occupantId } : {}) });
  }
}

/** RPL_ENDOFNAMES (366): the occupant list is whole; a join in progress ends with the room state. */
export function endOfNames(ctx: BridgeContext, s: Session, name: string): void {
  const channel = s.channels.get(name);
  if (!channel?.namesBuffer) return;
  channel.occupants.clear();
  for (const o of channel.namesBuffer) channel.occupants.set(o.nick, o);
  channel.namesBuffer = undefined;
  if (channel.state === 'joined') return;
  channel.state = 'joined';
  ctx.disarmJoinTimer(channel);
  for (const res of channel.resources.values()) sendRoomState(ctx, s, channel, res.jid, res.joined);
}

/** RPL_TOPIC (332) / RPL_NOTOPIC (331): the topic for the room state to come. */
export function topicIs(ctx: BridgeContext, s: Session, name: string, topic: string): void {
  const ch = s.channels.get(name);
  if (ch) ch.topic = detached(ctx.text(topic));
}

/** TOPIC: a subject change (XEP-0045 §8.1) from the occupant who set it. */
export function ircTopic(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  const channel = s.channels.get(m.params[0] ?? '');
  if (!channel) return;
  const by = m.source?.nick ?? '';
  channel.topic = detached(ctx.text(m.params[1] ?? ''));
  const id = recordLine(ctx, s, channel, { msgid: m.tags.msgid, at: lineTime(ctx, m), nick: by, kind: 'topic', body: channel.topic });
  ctx.broadcast(channel, (to, room) => subjectMessage(by ? ctx.occupantJid(s, room, by) : ctx.roomJid(s, room), to, channel.topic, id));
}

export function ircPart(ctx: BridgeContext, s: Session, nick: string, name: string, reason: string | undefined): void {
  const channel = s.channels.get(name);
  if (!channel) return;
  if (!ctx.isMe(s, nick)) {
    occupantGone(ctx, s, channel, nick, reason ? { status: ctx.text(reason) } : {});
    return;
  }
  // Parted by the server (or another client): every resource leaves.
  occupantGone(ctx, s, channel, s.nick, { statuses: [STATUS.SELF], status: reason ? ctx.text(reason) : undefined });
  closeChannel(ctx, s, channel, { kind: 'removed' });
}

export function ircKick(ctx: BridgeContext, s: Session, name: string, kicked: string, by: string, reason: string | undefined): void {
  const channel = s.channels.get(name);
  if (!channel) return;
  // A KICK right after a +b that matches the user is a ban (XEP-0045 §9.1: status 301,
  // affiliation outcast); IRC tells bans only this way.
  const mask = channel.occupants.get(kicked)?.mask ?? `${kicked}!*@*`;
  const now = ctx.o.now();
  const banned = channel.recentBans.some((b) => now - b.at <= BAN_KICK_WINDOW_MS && b.re.test(foldCase(s.support.casemapping, mask)));
  const code = banned ? STATUS.BANNED : STATUS.KICKED;
  const me = ctx.isMe(s, kicked);
  occupantGone(ctx, s, channel, kicked, {
    statuses: me ? [STATUS.SELF, code] : [code],
    actor: by || undefined,
    reason: reason !== undefined ? ctx.text(reason) : undefined,
    ...(banned ? { affiliation: 'outcast' as const } : {}),
  });
  if (me) closeChannel(ctx, s, channel, { kind: 'removed' });
}

export function ircQuit(ctx: BridgeContext, s: Session, nick: string, reason: string): void {
  for (const [, channel] of s.channels) {
    if (channel.occupants.has(nick)) occupantGone(ctx, s, channel, nick, { status: ctx.text(reason) });
  }
}

export function ircNick(ctx: BridgeContext, s: Session, oldNick: string, newNick: string): void {
  const me = ctx.isMe(s, oldNick);
  if (me) {
    s.nick = newNick;
    s.pendingNick = undefined;
  }
  for (const [, channel] of s.channels) {
    const o = channel.occupants.get(oldNick);
    if (!o) continue;
    channel.occupants.rename(oldNick, newNick);
    o.nick = newNick;
    if (o.mask) o.mask = `${newNick}${o.mask.slice(o.mask.indexOf('!'))}`;
    const standing = { ...mucStanding(o.prefixes), ...occupantIdOf(ctx, s, channel, o, newNick) };
    const self = me ? [STATUS.SELF] : [];
    // XEP-0045 §7.6: unavailable with 303 and the new nick, then available under it.
    ctx.broadcast(channel, (to, room) =>
      occupantPresence({ from: ctx.occupantJid(s, room, oldNick), to, ...standing, unavailable: true, nick: newNick, statuses: [STATUS.NEW_NICK, ...self] }),
    );
    ctx.broadcast(channel, (to, room) => occupantPresence({ from: ctx.occupantJid(s, room, newNick), to, ...standing, statuses: self, ...awayOf(o) }));
  }
}

/** A nick change we asked for was refused (432/433/436/437 once registered). */
export function nickChangeRefused(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  if (!s.pendingNick) return;
  const { from, nick: wanted, room } = s.pendingNick;
  s.pendingNick = undefined;
  const presence = xml('presence', { from, to: ctx.occupantJid(s, room, wanted) });
  ctx.send(errorReply(presence, ircError(NICK_CHANGE_ERRORS, m)));
}

export function ircMode(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  const channel = s.channels.get(m.params[0] ?? '');
  if (!channel) return;
  const prefixModes = new Map(s.support.prefixes.map((pr) => [pr.mode, pr.symbol]));
  const changes = parseModeChanges(m.params.slice(1), { prefixes: s.support.prefixes, chanmodes: s.chanmodes });
  const touched = new Set<string>();
  for (const c of changes) {
    if (c.mode === 'b' && c.add && c.param !== undefined) {
      channel.recentBans.push({ re: maskPattern(foldCase(s.support.casemapping, c.param)), at: ctx.o.now() });
      if (channel.recentBans.length > 8) channel.recentBans.shift();
      continue;
    }
    const symbol = prefixModes.get(c.mode);
    if (symbol === undefined || c.param === undefined) continue;
    const o = channel.occupants.get(c.param);
    if (!o) continue;
    const set = new Set(o.prefixes);
    if (c.add) set.add(symbol);
    else set.delete(symbol);
    o.prefixes = s.support.prefixes.map((pr) => pr.symbol).filter((sym) => set.has(sym)).join('');
    touched.add(o.nick);
  }
  for (const n of touched) {
    const o = channel.occupants.get(n)!;
    const statuses = ctx.isMe(s, n) ? [STATUS.SELF] : [];
    ctx.broadcast(channel, (to, room) => occupantPresence({ from: ctx.occupantJid(s, room, n), to, ...mucStanding(o.prefixes), statuses, ...awayOf(o), ...occupantIdOf(ctx, s, channel, o, n) }));
  }
}

export function ircAway(ctx: BridgeContext, s: Session, nick: string, message: string | undefined): void {
  contactAway(ctx, s, nick, message !== undefined && message !== '' ? ctx.text(message) : undefined);
  for (const [, channel] of s.channels) {
    const o = channel.occupants.get(nick);
    if (!o) continue;
    o.away = message !== undefined && message !== '' ? detached(ctx.text(message)) : undefined;
    ctx.broadcast(channel, (to, room) => occupantPresence({ from: ctx.occupantJid(s, room, o.nick), to, ...mucStanding(o.prefixes), ...awayOf(o), ...occupantIdOf(ctx, s, channel, o, o.nick) }));
  }
}

/** A join error numeric (JOIN_ERRORS) for a channel being joined: the join fails. */
export function joinRefused(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  const channel = s.channels.get(m.params[1] ?? '');
  if (!channel || channel.state !== 'joining') return;
  closeChannel(ctx, s, channel, { kind: 'failed', error: ircError(JOIN_ERRORS, m) });
}

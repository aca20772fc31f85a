/**
 * The bridge's side of channel history (issue 10): what it archives, when a user's span
 * in a channel opens and closes, history on join, MAM, and the pruning schedule. The
 * engine is src/core/history/ (archive port, MAM, on-join); this module only says when.
 *
 * Rules:
 * - every channel line a connection receives (PRIVMSG, NOTICE, ACTION, our own echoed or
 *   reflected message, a TOPIC change) is recorded; the id the archive returns is the live
 *   message's stanza-id (XEP-0359), so live and archived copies match;
 * - a span opens when IRC confirms our JOIN (at its server-time when tagged) and stays
 *   open across a lost link that will be rejoined (the gap is the channel's, not the
 *   user's leaving); it closes when the channel is torn down, except at shutdown for a
 *   persistent channel, which the gateway keeps joined through the restart;
 * - history on join goes to the resource that joined, after its self-presence and before
 *   the subject (XEP-0045 §7.2.14, §7.2.15);
 * - a rejoin into a span still open asks the server for the gap (catch-up.ts); lines it
 *   replays are archived, never shown live;
 * - pruning runs in bounded steps on a timer, never in one long pass.
 */
import type { Element } from '@xmpp/xml';
import type { ArchiveKind } from '../history/archive-port.js';
import { parseDateTime } from '../history/datetime.js';
import { answerMamIq, type MamRoom } from '../history/mam.js';
import { historyStanzas } from '../history/on-join.js';
import type { IrcMessage } from '../irc-message.js';
import type { BareJid } from '../jid.js';
import type { Channel, JoinedResource, Session } from '../session.js';
import { catchUpOnRejoin } from './catch-up.js';
import type { BridgeContext } from './context.js';

/** Retention pruning runs this often; a step that leaves work re-arms at once. */
const PRUNE_INTERVAL_MS = 10 * 60_000;
export const PRUNE_TIMER = 'prune - -';

/** When a line was said: IRCv3 server-time when tagged, else now. */
export function lineTime(ctx: BridgeContext, m: IrcMessage | undefined): number {
  const tagged = m?.tags.time;
  return (tagged !== undefined ? parseDateTime(tagged) : undefined) ?? ctx.o.now();
}

/**
 * Archives one channel line (said at `at`; undefined: now) and returns the stanza-id for its
 * live copy: the archive's id (the server's msgid when it gave one, else the one the archive
 * names it by) or, with no archive, the msgid or a fresh id.
 */
export function recordLine(
  ctx: BridgeContext,
  s: Session,
  channel: Channel,
  line: { msgid: string | undefined; at: number | undefined; nick: string; kind: ArchiveKind; body: string; statusPrefix?: string | undefined; source?: object },
): string {
  const archive = ctx.o.archive;
  if (!archive || channel.noRecord) return line.msgid ?? liveId(ctx, s, line.source);
  return archive.record(s.user, {
    id: line.msgid,
    serverId: line.msgid !== undefined,
    network: s.network,
    channel: channel.name,
    at: line.at ?? ctx.o.now(),
    nick: line.nick,
    kind: line.kind,
    body: line.body,
    statusPrefix: line.statusPrefix,
    source: line.source,
  });
}

/**
 * The id of each parsed line (`source`) the connections took with no archive, and who took
 * it: the copies of a line share one stanza-id, as the archive names them when it records
 * (store/archive-store.ts), instead of a fresh id each (UUIDs were up to 7 % of the
 * fan-out's profile, issue 11 §2). A session never gets one id twice: a line the same
 * session receives again (same text, so the same parsed object) takes a fresh id. An entry
 * lives as long as its parsed line, which bridge/index.ts keeps for a few dozen lines.
 */
const LIVE_IDS = new WeakMap<object, { readonly id: string; readonly takers: Set<Session> }>();

function liveId(ctx: BridgeContext, s: Session, source: object | undefined): string {
  if (source === undefined) return ctx.o.newId();
  const known = LIVE_IDS.get(source);
  if (known !== undefined && !known.takers.has(s)) {
    known.takers.add(s);
    return known.id;
  }
  const id = ctx.o.newId();
  LIVE_IDS.set(source, { id, takers: new Set([s]) });
  return id;
}

/**
 * IRC confirmed our JOIN: from now on the user may read what is said there. A span that
 * was open already (a rejoin after a lost link or a restart) has a gap: catch it up from
 * the server when it offers chathistory (catch-up.ts, issue 10 §4).
 */
export function spanOpens(ctx: BridgeContext, s: Session, channel: Channel, at: number): void {
  if (channel.noRecord || !ctx.o.archive) return;
  if (ctx.o.archive.openSpan(s.user, s.network, channel.name, at)) catchUpOnRejoin(ctx, s, channel);
}

/** The channel is torn down: the user reads nothing said after now. */
export function spanCloses(ctx: BridgeContext, s: Session, channel: Channel, persistentAtShutdown: boolean): void {
  if (persistentAtShutdown) return;
  ctx.o.archive?.closeSpan(s.user, s.network, channel.name, ctx.o.now());
}

function mamRoom(ctx: BridgeContext, s: Session, room: string): MamRoom {
  const jid = ctx.roomJid(s, room);
  return { jid, occupantJid: (nick) => (nick === '' ? jid : ctx.occupantJid(s, room, nick)) };
}

/** XEP-0045 §7.2.14: the history the join presence asked for, to the resource that joined. */
export function historyOnJoin(ctx: BridgeContext, s: Session, channel: Channel, res: JoinedResource): void {
  const archive = ctx.o.archive;
  const req = res.historyRequest;
  res.historyRequest = undefined; // asked once, answered once; nothing kept past the join
  if (!archive || !req) return;
  const stanzas = historyStanzas(req, {
    archive,
    user: s.user,
    to: res.jid,
    network: s.network,
    channel: channel.name,
    room: mamRoom(ctx, s, res.room),
    defaultCount: ctx.o.historyOnJoin ?? 20,
    now: ctx.o.now(),
  });
  for (const el of stanzas) ctx.send(el);
}

/** XEP-0313 on a room: the stanzas to send, or undefined when the gateway keeps no history. */
export function mam(ctx: BridgeContext, iq: Element, user: BareJid, network: string, channel: string): Element[] | undefined {
  const archive = ctx.o.archive;
  if (!archive) return undefined;
  const s = ctx.registry.get(user, network);
  const jid = ctx.jid({ kind: 'channel', network, channel });
  const room: MamRoom = s
    ? mamRoom(ctx, s, channel)
    : { jid, occupantJid: (nick) => (nick === '' ? jid : ctx.jid({ kind: 'occupant', network, channel, nick })) };
  return answerMamIq(iq, { archive, user, network, channel: s?.channels.get(channel)?.name ?? channel, room });
}

/** Unregistration: the user's spans go; lines nobody can read any more go with the pruning. */
export function forgetUser(ctx: BridgeContext, user: BareJid): void {
  if (ctx.o.archive?.removeUser(user)) ctx.setTimer(PRUNE_TIMER, 0);
}

/** Start-up: arm the pruning schedule. */
export function schedulePruning(ctx: BridgeContext): void {
  if (ctx.o.archive) ctx.setTimer(PRUNE_TIMER, PRUNE_INTERVAL_MS);
}

/** One bounded pruning step; again at once while work remains, else at the next interval. */
export function pruneDue(ctx: BridgeContext): void {
  const archive = ctx.o.archive;
  if (!archive) return;
  ctx.setTimer(PRUNE_TIMER, archive.prune(ctx.o.now()) ? 0 : PRUNE_INTERVAL_MS);
}

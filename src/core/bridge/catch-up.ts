/**
 * History the IRC server sends (issue 10 §4): IRCv3 batches, the lines replayed in a
 * `chathistory` batch, and the catch-up Jabirc asks for when it rejoins a channel.
 *
 * Why its own module: a replayed line looks like a live PRIVMSG but for its `batch` tag;
 * shown live it would reach the room twice (once when said, once replayed) and out of
 * order. Which lines are history is connection state (the open batches), kept here on
 * `Session.history`, so the text handlers only ask `historyBatchOf`.
 *
 * Rules (IRCv3 batch, https://ircv3.net/specs/extensions/batch; chathistory,
 * https://ircv3.net/specs/extensions/chathistory):
 * - `BATCH +ref type params…` opens a batch, `BATCH -ref` ends it; a line tagged
 *   `batch=ref` belongs to it. A batch of type `chathistory` (also the draft's spelling)
 *   is history, and so is every batch nested in one (its own `BATCH +` line tagged with
 *   the outer ref). Its first parameter is the target: the channel.
 * - A line in a history batch is archived (with its server-time and msgid, so a line
 *   already archived is not stored twice) and never shown as live; only PRIVMSG and NOTICE
 *   are archived, anything else replayed (JOIN, TOPIC with event-playback) changes no
 *   state. A replayed line without msgid is archived only when it is newer than the
 *   channel's newest archived line when the batch began: older, it is a copy of one.
 *   InspIRCd 3's m_chanhistory sends `BATCH +n chathistory :#chan` after NAMES, its lines
 *   with their live msgid and a server-time cut to the second.
 * - Without the `batch` capability a server replays the same lines untagged by a batch
 *   (InspIRCd's m_chanhistory without ircv3_batch) but still with server-time: a channel
 *   line stamped before our own JOIN's server-time was said before we were there, so it
 *   is such a replay (a live line after our JOIN is stamped after it by the same clock).
 * - At most MAX_OPEN_BATCHES are open per connection: a server that opens more (or never
 *   closes them) loses the oldest, logged; an unknown ref is no batch. Everything resets
 *   with RPL_WELCOME (a new connection: refs of the old one mean nothing).
 * - Catch-up (core/history/catch-up.ts builds the commands): when IRC confirms our JOIN
 *   of a channel the user was in already (a span still open: start-up restore of a
 *   persistent channel, reconnect after a lost link), and the connection acknowledged
 *   `chathistory` or `draft/chathistory`, ask `CHATHISTORY AFTER` the newest archived
 *   line; each reply batch for that channel leads to the next page or ends it. A FAIL for
 *   CHATHISTORY (IRCv3 standard replies) ends it. A fresh join asks nothing: nothing said
 *   before it is readable by the user who joined.
 */
import { foldCase } from '../casemap.js';
import { parseDateTime } from '../history/datetime.js';
import { chathistoryCap, chathistoryServerMax, continueCatchUp, startCatchUp, type CatchUp, type CatchUpStep } from '../history/catch-up.js';
import type { IrcMessage } from '../irc-message.js';
import type { Channel, Session } from '../session.js';
import type { BridgeContext } from './context.js';

/** IRCv3 batch types that carry history. */
const HISTORY_BATCH_TYPES: ReadonlySet<string> = new Set(['chathistory', 'draft/chathistory']);
export const MAX_OPEN_BATCHES = 16;

export interface OpenBatch {
  readonly type: string;
  readonly history: boolean;
  /** The channel a history batch is for, as the server spelled it. */
  readonly target: string | undefined;
  /** Time of the channel's newest archived line when the batch began (see header). */
  readonly archivedUntil: number | undefined;
  /** Lines in it so far, and the msgid of the last (catch-up paging). */
  count: number;
  lastMsgid: string | undefined;
}

/** The history state of one IRC connection (`Session.history`). */
export interface LinkHistory {
  readonly batches: Map<string, OpenBatch>;
  /** Catch-ups waiting for their reply batch, by folded channel name. */
  readonly catchUps: Map<string, CatchUp>;
  /** ISUPPORT `CHATHISTORY=<n>`: the server's maximum per request. */
  serverMax: number | undefined;
  /**
   * Without the batch capability: the server-time of our JOIN per folded channel, as a
   * batch of its own (`target`, `archivedUntil`) for the lines stamped before it.
   */
  readonly joinedAt: Map<string, { readonly at: number; readonly batch: OpenBatch }>;
}

function stateOf(s: Session): LinkHistory {
  return (s.history ??= { batches: new Map(), catchUps: new Map(), serverMax: undefined, joinedAt: new Map() });
}

/** RPL_WELCOME: a new connection; nothing of the old one's batches or requests holds. */
export function linkRegistered(s: Session): void {
  s.history = undefined;
}

/** RPL_ISUPPORT: `CHATHISTORY=<n>` (and the draft's `draft/CHATHISTORY`). */
export function chathistoryIsupport(s: Session, tokens: readonly string[]): void {
  for (const t of tokens) {
    const m = /^(?:draft\/)?CHATHISTORY(?:=(.*))?$/.exec(t);
    if (m) stateOf(s).serverMax = chathistoryServerMax(m[1]);
  }
}

/** The open history batch a line belongs to, if any. */
export function historyBatchOf(s: Session, m: IrcMessage): OpenBatch | undefined {
  const ref = m.tags.batch;
  if (ref === undefined || !s.history) return undefined;
  const b = s.history.batches.get(ref);
  return b?.history ? b : undefined;
}

/** Our JOIN (after ircJoin): without the batch capability, when it was, for `unbatchedReplayOf`. */
export function joinTimeNoted(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  const time = m.tags.time;
  if (time === undefined || s.caps.has('batch') || !ctx.isMe(s, m.source?.nick)) return;
  const channel = s.channels.get(m.params[0] ?? '');
  const at = parseDateTime(time);
  if (!channel || at === undefined) return;
  const batch: OpenBatch = { type: 'chathistory', history: true, target: channel.name, archivedUntil: newestAt(ctx, s, channel), count: 0, lastMsgid: undefined };
  stateOf(s).joinedAt.set(foldCase(s.support.casemapping, channel.name), { at, batch });
}

/** A channel PRIVMSG/NOTICE stamped before our JOIN, on a connection without batches: a replay. */
export function unbatchedReplayOf(s: Session, m: IrcMessage): OpenBatch | undefined {
  const time = m.tags.time;
  if (time === undefined || !s.history || s.history.joinedAt.size === 0) return undefined;
  const target = (m.params[0] ?? '').replace(/^[@+%~&]+(?=[#&!+])/, '');
  const joined = s.history.joinedAt.get(foldCase(s.support.casemapping, target));
  const at = joined ? parseDateTime(time) : undefined;
  return joined && at !== undefined && at < joined.at ? joined.batch : undefined;
}

function newestAt(ctx: BridgeContext, s: Session, channel: Channel): number | undefined {
  return ctx.o.archive?.newest(s.network, channel.name)?.at;
}

/** BATCH (IRCv3 batch): open or end one. */
export function ircBatch(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  const head = m.params[0] ?? '';
  const ref = head.slice(1);
  if (ref === '') return;
  const st = stateOf(s);
  if (head.startsWith('+')) {
    const type = m.params[1] ?? '';
    const parent = m.tags.batch !== undefined ? st.batches.get(m.tags.batch) : undefined;
    const history = HISTORY_BATCH_TYPES.has(type) || parent?.history === true;
    const target = history ? (HISTORY_BATCH_TYPES.has(type) ? m.params[2] : parent?.target) : undefined;
    const channel = target !== undefined ? s.channels.get(target) : undefined;
    if (st.batches.size >= MAX_OPEN_BATCHES) {
      const [oldest] = st.batches.keys();
      st.batches.delete(oldest!);
      ctx.log.warn({ network: s.network, open: MAX_OPEN_BATCHES }, 'server left too many batches open; forgot the oldest');
    }
    st.batches.set(ref, {
      type,
      history,
      target,
      archivedUntil: channel ? newestAt(ctx, s, channel) : undefined,
      count: 0,
      lastMsgid: undefined,
    });
    return;
  }
  if (!head.startsWith('-')) return;
  const batch = st.batches.get(ref);
  if (!batch) return;
  st.batches.delete(ref);
  if (!batch.history || batch.target === undefined) return;
  const folded = foldCase(s.support.casemapping, batch.target);
  const waiting = st.catchUps.get(folded);
  if (!waiting) return;
  st.catchUps.delete(folded);
  const next = continueCatchUp(waiting, { count: batch.count, ...(batch.lastMsgid !== undefined ? { lastMsgid: batch.lastMsgid } : {}) });
  const channel = s.channels.get(batch.target);
  if (next && channel) request(ctx, s, channel, next);
  else ctx.log.debug({ network: s.network, channel: batch.target, lines: waiting.received + batch.count }, 'catch-up done');
}

/** A line of a history batch was handled: counted for the catch-up's paging. */
export function countReplayed(batch: OpenBatch, m: IrcMessage): void {
  batch.count++;
  batch.lastMsgid = m.tags.msgid;
}

/** FAIL (IRCv3 standard replies) for CHATHISTORY: that catch-up (or, unnamed, every one) ends. */
export function chathistoryFailed(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  if ((m.params[0] ?? '').toUpperCase() !== 'CHATHISTORY' || !s.history) return;
  const named = m.params.slice(2, -1).find((p) => s.history!.catchUps.has(foldCase(s.support.casemapping, p)));
  if (named !== undefined) s.history.catchUps.delete(foldCase(s.support.casemapping, named));
  else s.history.catchUps.clear();
  ctx.log.warn({ network: s.network, code: m.params[1], channel: named }, 'server refused a chathistory catch-up');
}

/** IRC confirmed our JOIN of a channel the user was in already: ask for what was missed. */
export function catchUpOnRejoin(ctx: BridgeContext, s: Session, channel: Channel): void {
  const archive = ctx.o.archive;
  if (!archive || chathistoryCap(s.caps) === undefined) return;
  const st = stateOf(s);
  const step = startCatchUp({
    channel: channel.name,
    newest: archive.newest(s.network, channel.name),
    now: ctx.o.now(),
    retentionMs: archive.retentionMs,
    ...(st.serverMax !== undefined ? { serverMax: st.serverMax } : {}),
  });
  if (step) request(ctx, s, channel, step);
}

function request(ctx: BridgeContext, s: Session, channel: Channel, step: CatchUpStep): void {
  const [command, ...params] = step.command;
  const line = ctx.line(command!, params, () => undefined);
  if (line === undefined) return; // a channel name IRC cannot carry back: no catch-up
  stateOf(s).catchUps.set(foldCase(s.support.casemapping, channel.name), step.state);
  ctx.irc(s, line);
}

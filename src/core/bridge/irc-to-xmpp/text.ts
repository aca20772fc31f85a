/**
 * IRC → XMPP text: PRIVMSG and NOTICE (RFC 2812 §3.3) to a channel, to us, or from the
 * server and services; and the refusals of what we sent (401, 404).
 *
 * Rules:
 * - channel text goes to every joined resource from the occupant (the room itself when
 *   the server speaks); our own echoed text is a reflection (reflection.ts);
 * - a private message goes to the bare JID from `nick%net@gw`, so the user's server
 *   delivers it to every client (and keeps it offline);
 * - services' notices (NickServ …) and server notices come from `net@gw`, named;
 * - CTCP queries are answered by nobody here and not relayed; ACTION is `/me`;
 * - nothing is dropped silently: an untracked target is logged, a refusal comes back to
 *   the sender as an error message with their body;
 * - a line the server replays as history (IRCv3 `chathistory` batch, catch-up.ts) is
 *   archived and not shown (issue 10 §4): it was shown when said, or is history only.
 */
import xml from '@xmpp/xml';
import type { FullJid } from '../../jid.js';
import { MESSAGE_ERRORS } from '../../irc-numerics.js';
import type { IrcMessage } from '../../irc-message.js';
import { ircToXep0393 } from '../../formatting.js';
import { parseCtcp } from '../../irc-writer.js';
import { chatMessage } from '../context.js';
import type { Channel, Session } from '../../session.js';
import type { BridgeContext } from '../context.js';
import { errorChild, ircError } from '../irc-errors.js';
import { occupantIdOf } from '../occupant-id.js';
import { echoed } from '../reflection.js';
import type { ArchiveKind } from '../../history/archive-port.js';
import type { OpenBatch } from '../catch-up.js';
import { lineTime, recordLine } from '../history.js';
import { motdLine } from './server-text.js';

/** Services whose NOTICEs are about the user's account, shown by the network entity. */
const SERVICES = new Set(['nickserv', 'chanserv', 'saslserv', 'hostserv', 'memoserv', 'operserv', 'botserv', 'global', 'q']);

/** What a PRIVMSG or NOTICE says, whoever receives it; null for a CTCP query. */
interface LineText {
  readonly target: string;
  readonly raw: string;
  readonly nick: string | undefined;
  readonly fromServer: boolean;
  readonly ctcp: ReturnType<typeof parseCtcp>;
  /** The body as the room shows it, without a STATUSMSG mark. */
  readonly body: string;
  readonly statusPrefix: string | undefined;
  /** The channel named by a STATUSMSG target, and the body with its mark. */
  readonly statusChannel: string | undefined;
  readonly markedBody: string | undefined;
  readonly kind: ArchiveKind;
}

/**
 * Each parsed line's text, read once: the connections in a channel receive the same
 * parsed object (bridge/index.ts) and read the same text from it, and the copies then
 * share one body string (muc-stanzas.ts finds the line's template by it without hashing
 * anything new). Keyed by the object, which nobody changes; the reading depends on it
 * alone (formatting.ts is pure), so one map serves every context.
 */
const LINE_TEXT = new WeakMap<IrcMessage, LineText | null>();

function lineText(m: IrcMessage): LineText | null {
  // A private message reaches one connection, once: nothing would read it again, and a
  // WeakMap entry per message costs an identity hash, a write barrier and ephemeron work
  // in every scavenge (~2 % of a private message's CPU, perf on gwbench pm).
  if (!mayReachSeveral(m.params[0] ?? '')) return readLineText(m);
  let t = LINE_TEXT.get(m);
  if (t === undefined) LINE_TEXT.set(m, (t = readLineText(m)));
  return t;
}

/**
 * Whether a PRIVMSG or NOTICE to `target` can reach several of the gateway's connections
 * as the same line (channel text: every member's connection hears it; a server mask), so
 * that parsing and reading it once pays (bridge/index.ts `#parsed`, `LINE_TEXT`). A
 * private message to a nick cannot: a nick begins with a letter or one of `[]\`^_{|}`
 * (RFC 2812 §2.3.1, U+0041–U+007D), a channel (`#&!+`) or STATUSMSG (`@%~`) target never
 * does. Only a cost is decided here; either answer gives the same result.
 */
export function mayReachSeveral(target: string): boolean {
  const c = target.charCodeAt(0);
  return !(c >= 0x41 && c <= 0x7d);
}

function readLineText(m: IrcMessage): LineText | null {
  const target = m.params[0] ?? '';
  const raw = m.params[1] ?? '';
  const nick = m.source?.nick;
  const fromServer = !m.source || m.source.isServer || nick === undefined;
  const ctcp = parseCtcp(raw);
  if (ctcp.kind === 'ctcp') return null;
  let body = ctcp.kind === 'action' ? `/me ${ircToXep0393(ctcp.text)}` : ircToXep0393(ctcp.text);
  if (m.command === 'NOTICE' && ctcp.kind !== 'action') body = `[notice] ${body}`;
  // STATUSMSG (`@#chan`: to the channel's operators) is shown in the room, marked.
  const statusPrefix = /^[@+%~&]+(?=[#&!+])/.exec(target)?.[0];
  const kind: ArchiveKind = ctcp.kind === 'action' ? 'action' : m.command === 'NOTICE' ? 'notice' : 'privmsg';
  const statusChannel = statusPrefix ? target.slice(statusPrefix.length) : undefined;
  const markedBody = statusPrefix ? `[to ${statusPrefix}] ${body}` : undefined;
  return { target, raw, nick, fromServer, ctcp, body, statusPrefix, statusChannel, markedBody, kind };
}

/** The session's channel a line is for (a STATUSMSG line's too), if it is in it. */
function channelOfLine(s: Session, t: LineText): Channel | undefined {
  return s.channels.get(t.statusChannel ?? t.target);
}

/** A line's body as `channel` (the line's, or undefined for a private line) shows it: a STATUSMSG line marked. */
function shownBody(t: LineText, channel: Channel | undefined): string {
  return t.statusPrefix && channel ? t.markedBody! : t.body;
}

export function ircText(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  const to = m.params[0] ?? '';
  // Our own private message, echoed back (echo-message): nothing to show, so its text is
  // not read (one echo per message we send, issue 11 §2). A nick target is not a channel
  // name with a STATUSMSG mark (`mayReachSeveral`), so only a channel of that very name
  // could take the line, as below.
  if (!mayReachSeveral(to) && !s.channels.has(to) && ctx.isMe(s, m.source?.nick)) return;
  const t = lineText(m);
  if (t === null) return;
  const { target, raw, nick, fromServer, ctcp, statusPrefix, kind } = t;
  const channel = channelOfLine(s, t);
  const body = shownBody(t, channel);
  if (channel) {
    if (ctx.isMe(s, nick)) {
      echoed(ctx, s, channel, body, m.tags.msgid, lineTime(ctx, m));
      return;
    }
    const stanzaId = recordLine(ctx, s, channel, { msgid: m.tags.msgid, at: lineTime(ctx, m), nick: fromServer ? '' : nick!, kind, body, statusPrefix, source: m });
    const occupantId = fromServer ? undefined : occupantIdOf(ctx, s, channel, channel.occupants.get(nick!), nick!).occupantId;
    ctx.broadcast(channel, (to, room) => {
      const roomJid = ctx.roomJid(s, room);
      const from = fromServer ? roomJid : ctx.occupantJid(s, room, nick!);
      // One shape for every copy (no spread): the templates' lookups stay monomorphic.
      return ctx.groupchat.message({ from, to, id: stanzaId, body, stanzaId, roomJid, occupantId });
    });
    return;
  }
  if (ctx.isMe(s, nick)) return; // our own private message, echoed back (echo-message)
  if (!ctx.isMe(s, target)) {
    // A STATUSMSG (@#chan) or a target we do not track: tell the user, do not drop silently.
    if (!fromServer) ctx.log.debug({ network: s.network, target }, 'message to an untracked target');
    if (fromServer && s.state === 'registered') ctx.networkNotice(s, body);
    return;
  }
  if (fromServer) {
    if (s.motd !== undefined || s.state === 'connecting') motdLine(s, body);
    else ctx.networkNotice(s, body);
    return;
  }
  if (m.command === 'NOTICE' && SERVICES.has(nick!.toLowerCase())) {
    // Services talk about the user's account (nick registered, identified, wrong
    // password): that belongs to the network entity, with the service named.
    ctx.networkNotice(s, `${nick}: ${ctx.text(ctcp.kind === 'plain' ? ctcp.text : raw)}`);
    return;
  }
  if (s.pendingPrivate.size > 0) s.pendingPrivate.delete(nick!); // a reply: nothing to bounce now
  const id = m.tags.msgid ?? ctx.o.newId();
  ctx.send(chatMessage(ctx.userJid(s, nick!), s.user, id, body));
}

/**
 * A channel line the server replayed in a history batch (catch-up.ts): archived, as the
 * room would have shown it, never sent as live. Our own lines are archived under our nick
 * (no reflection: nothing of ours is waiting for it).
 */
export function ircReplayedText(ctx: BridgeContext, s: Session, m: IrcMessage, batch: OpenBatch): void {
  const read = lineText(m);
  const channel = read === null ? undefined : channelOfLine(s, read);
  if (read === null || channel === undefined) return;
  const msgid = m.tags.msgid;
  let at = lineTime(ctx, m);
  const until = batch.archivedUntil;
  if (until !== undefined && at <= until) {
    // Without a msgid a copy cannot be told by its id: no newer than the archive, it is one.
    if (msgid === undefined) return;
    // A new line stamped to the whole second (InspIRCd 3's m_chanhistory) in the second of
    // the newest archived one was said after it, while nobody listened: had it been said
    // before, it would be archived. It goes after it, not before.
    if (at % 1000 === 0 && until - at < 1000 && !ctx.o.archive?.has(s.network, channel.name, msgid)) at = until;
  }
  recordLine(ctx, s, channel, { msgid, at, nick: read.fromServer ? '' : read.nick!, kind: read.kind, body: shownBody(read, channel), statusPrefix: read.statusPrefix });
}

/** ERR_NOSUCHNICK (401) / ERR_CANNOTSENDTOCHAN (404): the message comes back as an error. */
export function messageRefused(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  const target = m.params[1] ?? '';
  const err = ircError(MESSAGE_ERRORS, m);
  const channel = s.channels.get(target);
  if (channel) {
    const pending = channel.echoes.shift();
    const res = channel.resources.get(pending?.from ?? ([...channel.resources.keys()][0] as FullJid));
    if (res) {
      ctx.send(
        xml('message', { from: ctx.roomJid(s, res.room), to: res.jid, type: 'error', id: pending?.id }, pending ? xml('body', {}, pending.body) : null, errorChild(err)),
      );
    }
    return;
  }
  const pending = s.pendingPrivate.get(target);
  const first = pending?.shift();
  if (pending?.length === 0) s.pendingPrivate.delete(target);
  if (!first) {
    ctx.networkNotice(s, `${target}: ${err.text ?? err.condition}`);
    return;
  }
  // RFC 6120 §8.3.1: the error comes from the address the message was sent to.
  ctx.send(xml('message', { from: first.to, to: first.from, type: 'error', id: first.id }, xml('body', {}, first.body), errorChild(err)));
}

/**
 * IRC → XMPP: one table from command or numeric to its handler.
 *
 * Why a table: every line a server can send is looked up once, by the names of
 * irc-numerics.ts; what the gateway does with a line is found by reading one row, and a
 * command with no row is either a join refusal (JOIN_ERRORS), another error numeric
 * (shown to the user from `net@gw`, never dropped), or of no interest.
 *
 * Rules: a handler never throws for a peer's input (the façade logs a bug if one does);
 * a line for a channel that is not ours is ignored by the handler, not here; a line in a
 * history batch (IRCv3 chathistory) is archived only, before any row (catch-up.ts).
 */
import { StanzaError } from '../../errors.js';
import {
  ERR_ERRONEUSNICKNAME,
  ERR_MONLISTFULL,
  RPL_ENDOFMONLIST,
  RPL_ISON,
  RPL_MONLIST,
  RPL_MONOFFLINE,
  RPL_MONONLINE,
  ERR_NICKCOLLISION,
  ERR_NICKLOCKED,
  ERR_NICKNAMEINUSE,
  ERR_NOMOTD,
  ERR_NOPRIVILEGES,
  ERR_NOSUCHNICK,
  ERR_CANNOTSENDTOCHAN,
  ERR_PASSWDMISMATCH,
  ERR_SASLABORTED,
  ERR_SASLFAIL,
  ERR_SASLTOOLONG,
  ERR_TOOMANYMATCHES,
  ERR_UNAVAILRESOURCE,
  ERR_YOUREBANNEDCREEP,
  JOIN_ERRORS,
  RPL_ENDOFMOTD,
  RPL_ENDOFNAMES,
  RPL_ISUPPORT,
  RPL_LIST,
  RPL_LISTEND,
  RPL_LOGGEDIN,
  RPL_MOTD,
  RPL_MOTDSTART,
  RPL_NAMREPLY,
  RPL_NOTOPIC,
  RPL_SASLMECHS,
  RPL_SASLSUCCESS,
  RPL_TOPIC,
  RPL_TRYAGAIN,
  RPL_WELCOME,
} from '../../irc-numerics.js';
import type { IrcMessage } from '../../irc-message.js';
import type { Session } from '../../session.js';
import { failList, listEnd, listEntry, listPending } from '../channel-list.js';
import { chathistoryFailed, chathistoryIsupport, countReplayed, historyBatchOf, ircBatch, joinTimeNoted, linkRegistered, unbatchedReplayOf } from '../catch-up.js';
import { cap, isupport, nextNick, refusedByServer, serverError } from '../connection.js';
import type { BridgeContext } from '../context.js';
import {
  endOfNames,
  ircAway,
  ircJoin,
  ircKick,
  ircMode,
  ircNick,
  ircPart,
  ircQuit,
  ircTopic,
  joinRefused,
  names,
  nickChangeRefused,
  topicIs,
} from './membership.js';
import { isonReply, monOffline, monOnline, startFollowing } from '../contacts.js';
import { flushMotd, motdLine, motdStart } from './server-text.js';
import { ircReplayedText, ircText, messageRefused } from './text.js';

type Handler = (ctx: BridgeContext, s: Session, m: IrcMessage) => void;

const nick = (m: IrcMessage): string => m.source?.nick ?? '';

/** 432/433/436/437: a refused nick, while registering (try another) or on a change we asked for. */
const nickRefused: Handler = (ctx, s, m) => {
  if (s.state === 'connecting' && m.command !== ERR_NICKCOLLISION) {
    nextNick(ctx, s, m);
    return;
  }
  // 437 also means "channel temporarily unavailable" (RFC 2812 §5.2, ERR_UNAVAILRESOURCE).
  if (m.command === ERR_UNAVAILRESOURCE && m.params[1] !== undefined && s.channels.has(m.params[1])) {
    joinRefused(ctx, s, m);
    return;
  }
  nickChangeRefused(ctx, s, m);
};

/** 263/416/481 while a LIST is pending: the list cannot be had now. */
const listRefused: Handler = (ctx, s, m) => {
  if (listPending(s)) failList(ctx, s, new StanzaError('service-unavailable', ctx.text(m.params[m.params.length - 1] ?? m.command), 'wait'));
};

/** 900/903: SASL logged us in (IRCv3 sasl-3.1). */
const saslDone: Handler = (_ctx, s) => {
  s.saslDone = true;
};

/** 902/905/906/908: SASL did not complete; NickServ is tried on registration instead. */
const saslNotDone: Handler = (ctx, s, m) => {
  if (s.state === 'connecting') ctx.log.debug({ network: s.network, numeric: m.command }, 'SASL not completed');
};

const HANDLERS: Readonly<Record<string, Handler>> = {
  // A new connection: the batches and catch-ups of the last one are void (catch-up.ts).
  [RPL_WELCOME]: (_ctx, s) => linkRegistered(s),
  [RPL_ISUPPORT]: (ctx, s, m) => {
    isupport(ctx, s, m.params.slice(1, -1));
    chathistoryIsupport(s, m.params.slice(1, -1));
  },
  // A lost link clears the caps (connection.ts closed), so a new connection starts from none.
  CAP: (ctx, s, m) => cap(ctx, s, m.params),
  BATCH: ircBatch,
  FAIL: chathistoryFailed,
  [ERR_ERRONEUSNICKNAME]: nickRefused,
  [ERR_NICKNAMEINUSE]: nickRefused,
  [ERR_NICKCOLLISION]: nickRefused,
  [ERR_UNAVAILRESOURCE]: nickRefused,
  JOIN: (ctx, s, m) => {
    ircJoin(ctx, s, m);
    joinTimeNoted(ctx, s, m);
  },
  [RPL_NAMREPLY]: (ctx, s, m) => names(ctx, s, m.params),
  [RPL_ENDOFNAMES]: (ctx, s, m) => endOfNames(ctx, s, m.params[1] ?? ''),
  [RPL_TOPIC]: (ctx, s, m) => topicIs(ctx, s, m.params[1] ?? '', m.params[2] ?? ''),
  [RPL_NOTOPIC]: (ctx, s, m) => topicIs(ctx, s, m.params[1] ?? '', ''),
  TOPIC: ircTopic,
  PRIVMSG: ircText,
  NOTICE: ircText,
  PART: (ctx, s, m) => ircPart(ctx, s, nick(m), m.params[0] ?? '', m.params[1]),
  KICK: (ctx, s, m) => ircKick(ctx, s, m.params[0] ?? '', m.params[1] ?? '', nick(m), m.params[2]),
  QUIT: (ctx, s, m) => ircQuit(ctx, s, nick(m), m.params[0] ?? ''),
  NICK: (ctx, s, m) => ircNick(ctx, s, nick(m), m.params[0] ?? ''),
  MODE: ircMode,
  AWAY: (ctx, s, m) => ircAway(ctx, s, nick(m), m.params[0]),
  [RPL_MOTDSTART]: (_ctx, s) => motdStart(s),
  [RPL_MOTD]: (ctx, s, m) => motdLine(s, ctx.text((m.params[1] ?? '').replace(/^- ?/, ''))),
  // The end of the MOTD ends registration's burst (ISUPPORT is in): start following contacts.
  [RPL_ENDOFMOTD]: (ctx, s) => {
    flushMotd(ctx, s, undefined);
    startFollowing(ctx, s);
  },
  [ERR_NOMOTD]: (ctx, s, m) => {
    flushMotd(ctx, s, ctx.text(m.params[1] ?? 'No MOTD'));
    startFollowing(ctx, s);
  },
  [RPL_MONONLINE]: (ctx, s, m) => monOnline(ctx, s, m.params[1] ?? ''),
  [RPL_MONOFFLINE]: (ctx, s, m) => monOffline(ctx, s, m.params[1] ?? ''),
  [RPL_MONLIST]: () => undefined,
  [RPL_ENDOFMONLIST]: () => undefined,
  [ERR_MONLISTFULL]: (ctx, s, m) => ctx.networkNotice(s, `${s.network} follows at most ${m.params[1] ?? 'a few'} IRC users for you; the rest of your contacts show as offline.`),
  [RPL_ISON]: (ctx, s, m) => isonReply(ctx, s, m.params[1] ?? ''),
  [RPL_LIST]: (ctx, s, m) => listEntry(ctx, s, m.params),
  [RPL_LISTEND]: (ctx, s) => listEnd(ctx, s),
  [RPL_TRYAGAIN]: listRefused,
  [ERR_TOOMANYMATCHES]: listRefused,
  [ERR_NOPRIVILEGES]: listRefused,
  [ERR_NOSUCHNICK]: messageRefused,
  [ERR_CANNOTSENDTOCHAN]: messageRefused,
  [RPL_LOGGEDIN]: saslDone,
  [RPL_SASLSUCCESS]: saslDone,
  [ERR_NICKLOCKED]: saslNotDone,
  [ERR_SASLTOOLONG]: saslNotDone,
  [ERR_SASLABORTED]: saslNotDone,
  [RPL_SASLMECHS]: saslNotDone,
  [ERR_PASSWDMISMATCH]: (ctx, s, m) => refusedByServer(ctx, s, m, false),
  [ERR_YOUREBANNEDCREEP]: (ctx, s, m) => refusedByServer(ctx, s, m, false),
  [ERR_SASLFAIL]: (ctx, s, m) => refusedByServer(ctx, s, m, true),
  ERROR: (ctx, s, m) => serverError(ctx, s, m.params[0]),
};

export function dispatchIrc(ctx: BridgeContext, s: Session, m: IrcMessage): void {
  const text = m.command === 'PRIVMSG' || m.command === 'NOTICE';
  const replay = m.command === 'BATCH' ? undefined : (historyBatchOf(s, m) ?? (text ? unbatchedReplayOf(s, m) : undefined));
  if (replay) {
    // History, not news (IRCv3 chathistory batch): archived, never shown live, no state
    // changed by a replayed JOIN or TOPIC (catch-up.ts).
    countReplayed(replay, m);
    if (text) ircReplayedText(ctx, s, m, replay);
    return;
  }
  const handler = HANDLERS[m.command];
  if (handler) {
    handler(ctx, s, m);
    return;
  }
  if (JOIN_ERRORS[m.command] !== undefined && m.params[1] !== undefined && s.channels.has(m.params[1])) {
    joinRefused(ctx, s, m);
    return;
  }
  if (/^[45]\d\d$/.test(m.command) || (/^[23]\d\d$/.test(m.command) && (s.rawRepliesUntil ?? 0) > ctx.o.now())) {
    // Other errors reach the user rather than vanishing; so do the replies to a raw
    // command the user sent lately (xmpp-to-irc/message.ts), such as WHOIS.
    ctx.networkNotice(s, ctx.text(m.params.slice(1).join(' ')));
  }
}

/**
 * IRC numeric replies the gateway reads, and the XMPP stanza errors that IRC
 * error numerics become.
 *
 * Why: a failed JOIN, NICK or PRIVMSG comes back from IRC as a numeric; the
 * XMPP user must get the error the MUC protocol defines for that situation
 * (XEP-0045 §7.2.17 for entering a room, §7.6 for a nick change, §7.4/§7.5
 * for messages), so that clients show "banned", "password required" or "nick
 * in use" instead of a generic failure. The tables below are that mapping,
 * stated once. They give only condition and type: the text for the user is
 * the IRC server's own (the last parameter of the numeric), added by the
 * caller, because servers explain themselves better than we could guess.
 *
 * Rules kept:
 * - Numerics are three-digit strings, as `parseIrcLine` returns the command.
 *   Names follow https://modern.ircdocs.horse/#numerics and, for numerics
 *   only some servers send, the server's own name (defs.ircdocs.horse).
 * - Where XEP-0045 names a condition for the situation, it wins, with the
 *   type of its example; otherwise the RFC 6120 §8.3.3 condition whose
 *   definition fits, with the type §8.3.3 recommends (see errors.ts).
 * - A numeric not in a table maps to `undefined-condition` (RFC 6120
 *   §8.3.3.21), type cancel: the IRC text still tells the user what happened.
 */
import { CONDITION_TYPES, type Condition, type ErrorType } from './errors.js';

// Connection registration and server information.
export const RPL_WELCOME = '001';
export const RPL_YOURHOST = '002';
export const RPL_CREATED = '003';
export const RPL_MYINFO = '004';
export const RPL_ISUPPORT = '005';
export const RPL_HOSTHIDDEN = '396';
export const RPL_MOTDSTART = '375';
export const RPL_MOTD = '372';
export const RPL_ENDOFMOTD = '376';
export const ERR_NOMOTD = '422';

// Away.
export const RPL_AWAY = '301';
/** RFC 2812 §4.9: the nicks of an ISON query that are online. */
export const RPL_ISON = '303';
export const RPL_UNAWAY = '305';
export const RPL_NOWAWAY = '306';

// WHOIS and WHO, for occupant information.
export const RPL_WHOISUSER = '311';
export const RPL_ENDOFWHO = '315';
export const RPL_ENDOFWHOIS = '318';
export const RPL_WHOREPLY = '352';
export const RPL_WHOSPCRPL = '354';

// Channel list (disco#items on the MUC service).
/** The server is too busy for the command (LIST on large networks); try again later. */
export const RPL_TRYAGAIN = '263';
export const RPL_LISTSTART = '321';
export const RPL_LIST = '322';
export const RPL_LISTEND = '323';

// Channel state on join.
export const RPL_CHANNELMODEIS = '324';
export const RPL_CREATIONTIME = '329';
export const RPL_NOTOPIC = '331';
export const RPL_TOPIC = '332';
export const RPL_TOPICWHOTIME = '333';
export const RPL_INVITING = '341';
export const RPL_NAMREPLY = '353';
export const RPL_ENDOFNAMES = '366';
export const RPL_BANLIST = '367';
export const RPL_ENDOFBANLIST = '368';

// Errors.
export const ERR_UNKNOWNERROR = '400';
export const ERR_NOSUCHNICK = '401';
export const ERR_NOSUCHSERVER = '402';
export const ERR_NOSUCHCHANNEL = '403';
export const ERR_CANNOTSENDTOCHAN = '404';
export const ERR_TOOMANYCHANNELS = '405';
export const ERR_NOTEXTTOSEND = '412';
/** Too many matches (a LIST the server will not answer in full). */
export const ERR_TOOMANYMATCHES = '416';
export const ERR_INPUTTOOLONG = '417';
export const ERR_UNKNOWNCOMMAND = '421';
export const ERR_NONICKNAMEGIVEN = '431';
export const ERR_ERRONEUSNICKNAME = '432';
export const ERR_NICKNAMEINUSE = '433';
/** ratbox, charybdis, solanum: nick change refused while banned (or quieted) on a channel. */
export const ERR_BANNICKCHANGE = '435';
export const ERR_NICKCOLLISION = '436';
/** RFC 2812: nick or channel held by the nick/channel delay mechanism. */
export const ERR_UNAVAILRESOURCE = '437';
/** ratbox, charybdis, solanum: nick changed too recently. */
export const ERR_NICKTOOFAST = '438';
export const ERR_USERNOTINCHANNEL = '441';
export const ERR_NOTONCHANNEL = '442';
export const ERR_USERONCHANNEL = '443';
/** UnrealIRCd: nick change refused on a channel with +N. */
export const ERR_NONICKCHANGE = '447';
export const ERR_NOTREGISTERED = '451';
export const ERR_NEEDMOREPARAMS = '461';
export const ERR_ALREADYREGISTERED = '462';
export const ERR_PASSWDMISMATCH = '464';
export const ERR_YOUREBANNEDCREEP = '465';
/** Forwarded to another channel (charybdis/solanum +f, UnrealIRCd +L); a JOIN for the target follows. */
export const ERR_LINKCHANNEL = '470';
export const ERR_CHANNELISFULL = '471';
export const ERR_UNKNOWNMODE = '472';
export const ERR_INVITEONLYCHAN = '473';
export const ERR_BANNEDFROMCHAN = '474';
export const ERR_BADCHANNELKEY = '475';
export const ERR_BADCHANMASK = '476';
/** Join or speech needs a registered (identified) nick. RFC 2812 names 477 ERR_NOCHANMODES. */
export const ERR_NEEDREGGEDNICK = '477';
export const ERR_NOCHANMODES = '477';
/** Hybrid, solanum, UnrealIRCd: the channel name is not allowed. */
export const ERR_BADCHANNAME = '479';
/** Not an IRC operator (some servers restrict LIST). */
export const ERR_NOPRIVILEGES = '481';
export const ERR_CHANOPRIVSNEEDED = '482';
/** RFC 2812: the connection is restricted (user mode +r); nick changes are refused. */
export const ERR_RESTRICTED = '484';
/** Messages to this user need an identified nick (UnrealIRCd, charybdis). */
export const ERR_NONONREG = '486';
/** UnrealIRCd, InspIRCd: the channel admits only TLS connections. */
export const ERR_SECUREONLYCHAN = '489';
/** InspIRCd, UnrealIRCd: the channel admits only IRC operators. */
export const ERR_OPERONLY = '520';
/** InspIRCd: the target does not accept private messages from us. */
export const ERR_CANTSENDTOUSER = '531';
/** ratbox, charybdis, solanum: the target is +g (caller ID) and did not accept us. */
export const ERR_TARGUMODEG = '716';

// SASL (https://ircv3.net/specs/extensions/sasl-3.1).
// IRCv3 MONITOR (https://ircv3.net/specs/extensions/monitor).
export const RPL_MONONLINE = '730';
export const RPL_MONOFFLINE = '731';
export const RPL_MONLIST = '732';
export const RPL_ENDOFMONLIST = '733';
export const ERR_MONLISTFULL = '734';

export const RPL_LOGGEDIN = '900';
export const RPL_LOGGEDOUT = '901';
export const ERR_NICKLOCKED = '902';
export const RPL_SASLSUCCESS = '903';
export const ERR_SASLFAIL = '904';
export const ERR_SASLTOOLONG = '905';
export const ERR_SASLABORTED = '906';
export const ERR_SASLALREADY = '907';
export const RPL_SASLMECHS = '908';

/** A stanza error condition and its type (RFC 6120 §8.3.2). */
export interface IrcErrorCondition {
  readonly condition: Condition;
  readonly type: ErrorType;
}

/** IRC error numeric → stanza error. */
export type IrcErrorTable = Readonly<Record<string, IrcErrorCondition>>;

/** The condition with the type RFC 6120 §8.3.3 recommends for it. */
function rfc(condition: Condition): IrcErrorCondition {
  return { condition, type: CONDITION_TYPES[condition] };
}

/**
 * Nick numerics, in reply to NICK (an occupant changing nick, XEP-0045 §7.6)
 * or to the nick sent at registration (the first room join picks the nick).
 */
export const NICK_CHANGE_ERRORS: IrcErrorTable = {
  // §7.6: "already in use by another user (or … reserved by another user)" → conflict, cancel.
  [ERR_NICKNAMEINUSE]: rfc('conflict'),
  [ERR_NICKCOLLISION]: rfc('conflict'),
  // Held by nick delay or services enforcement: still "reserved by another user" (§7.6).
  [ERR_UNAVAILRESOURCE]: rfc('conflict'),
  // The JID resource is a valid JID but no valid IRC nick, so not jid-malformed
  // (RFC 6120 §8.3.3.8 is about JID syntax): not-acceptable, and the user can
  // pick another nick, hence modify.
  [ERR_ERRONEUSNICKNAME]: rfc('not-acceptable'),
  [ERR_NONICKNAMEGIVEN]: rfc('not-acceptable'),
  // §7.6 "nicknames are locked down" → not-acceptable with type cancel, as its example.
  [ERR_NICKLOCKED]: { condition: 'not-acceptable', type: 'cancel' },
  // Nick changes forbidden by connection or channel policy (RFC 6120 §8.3.3.10).
  [ERR_RESTRICTED]: rfc('not-allowed'),
  [ERR_BANNICKCHANGE]: rfc('not-allowed'),
  [ERR_NONICKCHANGE]: rfc('not-allowed'),
  // Rate limit: retry later (RFC 6120 §8.3.3.18).
  [ERR_NICKTOOFAST]: rfc('resource-constraint'),
};

/**
 * A failed room join (XEP-0045 §7.2.17 "Error Conditions for Entering a
 * Room"). Holds the channel numerics a JOIN can get and, since the occupant
 * nick is chosen when entering, the nick numerics of NICK_CHANGE_ERRORS.
 * 437 is the exception: in reply to JOIN it names the channel (RFC 2812
 * channel delay), so a caller whose 437 names our nick should use
 * NICK_CHANGE_ERRORS.
 */
export const JOIN_ERRORS: IrcErrorTable = {
  ...NICK_CHANGE_ERRORS,
  // §7.2.10/§7.2.17: the room does not exist.
  [ERR_NOSUCHCHANNEL]: rfc('item-not-found'),
  // §7.2.5 password-protected rooms: not-authorized, auth.
  [ERR_BADCHANNELKEY]: rfc('not-authorized'),
  // §7.2.6 members-only rooms: registration-required, auth. +i is IRC's member list.
  [ERR_INVITEONLYCHAN]: rfc('registration-required'),
  // Channel needs an identified nick: the user must register (with services) first.
  [ERR_NEEDREGGEDNICK]: rfc('registration-required'),
  // §7.2.7 banned users: forbidden, auth.
  [ERR_BANNEDFROMCHAN]: rfc('forbidden'),
  // §7.2.9 max users: service-unavailable with type wait, as its example.
  [ERR_CHANNELISFULL]: { condition: 'service-unavailable', type: 'wait' },
  // Channel held by the delay mechanism: temporarily unavailable, same as §7.2.9.
  [ERR_UNAVAILRESOURCE]: { condition: 'service-unavailable', type: 'wait' },
  // Our per-connection channel limit, not the room's: XEP-0045 has no case for
  // it; RFC 6120 §8.3.3.18 resource-constraint, wait (leaving a room frees one).
  [ERR_TOOMANYCHANNELS]: rfc('resource-constraint'),
  // The room JID names no possible channel: the address itself is wrong (§8.3.3.8).
  [ERR_BADCHANMASK]: rfc('jid-malformed'),
  [ERR_BADCHANNAME]: rfc('jid-malformed'),
  // Admission rules the XMPP user cannot meet through the gateway (TLS-only is
  // about our IRC connection, oper-only about IRC privileges): §8.3.3.10.
  [ERR_SECUREONLYCHAN]: rfc('not-allowed'),
  [ERR_OPERONLY]: rfc('not-allowed'),
};

/** A message to a room (XEP-0045 §7.4), a private message (§7.5) or a subject change (§8.1). */
export const MESSAGE_ERRORS: IrcErrorTable = {
  // §7.5: private message to an occupant JID that does not exist → item-not-found.
  [ERR_NOSUCHNICK]: rfc('item-not-found'),
  [ERR_NOSUCHCHANNEL]: rfc('item-not-found'),
  // §7.4: a visitor (no voice) may not speak → forbidden. IRC says 404 for +m,
  // quiets and bans alike.
  [ERR_CANNOTSENDTOCHAN]: rfc('forbidden'),
  // §7.4: the sender is not an occupant → not-acceptable.
  [ERR_NOTONCHANNEL]: rfc('not-acceptable'),
  // §8.1: changing the subject without the privilege → forbidden.
  [ERR_CHANOPRIVSNEEDED]: rfc('forbidden'),
  // Speaking, or messaging this user, needs an identified nick.
  [ERR_NEEDREGGEDNICK]: rfc('registration-required'),
  [ERR_NONONREG]: rfc('registration-required'),
  // The recipient refuses private messages from us (RFC 6120 §8.3.3.5).
  [ERR_CANTSENDTOUSER]: rfc('forbidden'),
  [ERR_TARGUMODEG]: rfc('forbidden'),
};

const UNDEFINED_CONDITION: IrcErrorCondition = rfc('undefined-condition');

/**
 * The stanza error for an IRC error numeric, e.g.
 * `ircErrorToCondition(JOIN_ERRORS, '474')` → `{ condition: 'forbidden', type: 'auth' }`.
 * Numerics the table does not hold give `undefined-condition`, cancel.
 */
export function ircErrorToCondition(table: IrcErrorTable, numeric: string): IrcErrorCondition {
  return Object.hasOwn(table, numeric) ? (table[numeric] ?? UNDEFINED_CONDITION) : UNDEFINED_CONDITION;
}

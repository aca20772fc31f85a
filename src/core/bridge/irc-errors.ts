/**
 * IRC error numerics as stanza errors, carrying the server's own words.
 *
 * Why: the tables of irc-numerics.ts say which condition a numeric maps to; this adds the
 * text (the numeric's last parameter, IRC formatting as XEP-0393) so the user reads what
 * the IRC server said, and the `<error/>` child for error messages built by hand.
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../errors.js';
import { ircToXep0393 } from '../formatting.js';
import { ircErrorToCondition, type IrcErrorTable } from '../irc-numerics.js';
import type { IrcMessage } from '../irc-message.js';
import { errorReply } from '../stanza.js';

/** IRC error condition → stanza error with the server's own text. */
export function ircError(table: IrcErrorTable, msg: IrcMessage): StanzaError {
  const c = ircErrorToCondition(table, msg.command);
  const text = ircToXep0393(msg.params[msg.params.length - 1] ?? msg.command);
  return new StanzaError(c.condition, text, c.type);
}

/** The `<error/>` element of a stanza error (RFC 6120 §8.3.2), to append to a bounce. */
export function errorChild(err: StanzaError): Element {
  return errorReply(xml('message', {}), err).getChild('error')!;
}

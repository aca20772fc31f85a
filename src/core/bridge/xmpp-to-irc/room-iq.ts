/**
 * XMPP → IRC requests on a room that need the live channel: moderation (XEP-0045 §8–§9
 * as KICK and MODE), self-ping (XEP-0410), and the room facts its disco#info shows
 * (room-entity.ts builds the answer).
 *
 * Rules: the IRC privilege is checked first, so a user without it gets `forbidden`
 * (§8.2) instead of a silent 482 from the server; every line comes from irc-writer.ts,
 * a value IRC cannot carry is `not-acceptable`.
 */
import type { Element } from '@xmpp/xml';
import type { ServerSupport } from '../../casemap.js';
import { foldCase } from '../../casemap.js';
import { StanzaError } from '../../errors.js';
import { oneLine } from '../../irc-writer.js';
import type { BareJid, FullJid } from '../../jid.js';
import { iqResult } from '../../stanza.js';
import { refuseWith, type BridgeContext } from '../context.js';

/** What a room's disco#info tells of the live channel (XEP-0045 §6.4, §15.5.4). */
export interface RoomView {
  /** The name as IRC spells it (or as asked, when not joined). */
  name: string;
  joined: boolean;
  topic: string;
  occupants: number;
  /** Whether occupants carry XEP-0421 occupant ids in this gateway. */
  occupantIds: boolean;
  /** Whether the room has an archive (XEP-0313). */
  archive: boolean;
}

export function roomView(ctx: BridgeContext, user: BareJid, network: string, channelName: string): RoomView {
  const channel = ctx.registry.get(user, network)?.channels.get(channelName);
  return {
    name: channel?.name ?? channelName,
    joined: channel?.state === 'joined',
    topic: channel?.topic ?? '',
    occupants: channel?.occupants.size ?? 0,
    occupantIds: ctx.o.occupantId !== undefined,
    archive: ctx.o.archive !== undefined,
  };
}

/** XEP-0410 §4: self-ping answers success while joined, not-acceptable otherwise. */
export function selfPing(ctx: BridgeContext, iq: Element, from: FullJid, network: string, channelName: string, nick: string): void {
  const s = ctx.registry.get(ctx.userOf(from), network);
  const res = s?.channels.get(channelName)?.resources.get(from);
  if (!s || !res?.joined) throw new StanzaError('not-acceptable', 'you are not joined to this room');
  if (foldCase(s.support.casemapping, nick) !== foldCase(s.support.casemapping, s.nick)) {
    throw new StanzaError('feature-not-implemented', 'IRC users cannot be pinged through the room');
  }
  ctx.send(iqResult(iq));
}

/**
 * XEP-0045 §8.2 (kick), §8.3–8.4 (voice), §9.6–9.7 (moderator), §9.1 (ban) as KICK and
 * MODE, all items or none.
 */
export function moderate(ctx: BridgeContext, iq: Element, query: Element, from: FullJid, network: string, channelName: string): void {
  const s = ctx.registry.get(ctx.userOf(from), network);
  const channel = s?.channels.get(channelName);
  if (!s || !channel?.resources.get(from)?.joined || s.state !== 'registered') {
    throw new StanzaError('not-acceptable', 'join the room before moderating it');
  }
  const items = query.getChildren('item');
  if (items.length === 0) throw new StanzaError('bad-request', 'no item to change');
  const lines: string[] = [];
  const mine = channel.occupants.get(s.nick)?.prefixes ?? '';
  const refused = refuseWith('a value of the request cannot be sent to IRC');
  const line = (command: string, params: string[]): string => ctx.line(command, params, refused)!;
  for (const item of items) {
    const nick = item.attrs.nick;
    if (!nick) throw new StanzaError('bad-request', 'items must name an occupant by nick');
    const target = channel.occupants.get(nick);
    if (!target) throw new StanzaError('item-not-found', `${nick} is not in ${channel.name}`);
    const reason = oneLine(item.getChildText('reason') ?? '');
    const kick = (): string => line('KICK', reason ? [channel.name, target.nick, reason] : [channel.name, target.nick]);
    const mode = (change: string, param: string): string => line('MODE', [channel.name, change, param]);
    const { role, affiliation } = item.attrs;
    let need: '@' | '%';
    let produce: () => string[];
    if (role === 'none') {
      need = '%';
      produce = () => [kick()];
    } else if (role === 'visitor' || role === 'participant') {
      need = '%';
      produce = () => [mode(role === 'participant' ? '+v' : '-v', target.nick)];
    } else if (role === 'moderator' || affiliation === 'admin' || affiliation === 'owner') {
      need = '@';
      produce = () => [mode('+o', target.nick)];
    } else if (affiliation === 'member') {
      need = '%';
      produce = () => [mode('+v', target.nick)];
    } else if (affiliation === 'none') {
      need = '@';
      produce = () => [mode('-o', target.nick)];
    } else if (affiliation === 'outcast') {
      need = '@';
      produce = () => [mode('+b', `${target.nick}!*@*`), kick()];
    } else {
      throw new StanzaError('bad-request', 'the item must set a role or an affiliation');
    }
    if (!outranks(s.support.prefixes, mine, need)) {
      throw new StanzaError('forbidden', `you need ${need === '@' ? 'operator (@)' : 'half-operator (%) or operator (@)'} status in ${channel.name}`);
    }
    lines.push(...produce());
  }
  ctx.irc(s, ...lines);
  ctx.send(iqResult(iq));
}

/** Whether prefixes `held` (highest first) include `need` or a higher rank. */
function outranks(ranks: ServerSupport['prefixes'], held: string, need: string): boolean {
  const top = held[0];
  if (top === undefined) return false;
  const order = ranks.map((r) => r.symbol);
  const needAt = order.indexOf(need) === -1 ? order.indexOf('@') : order.indexOf(need);
  const topAt = order.indexOf(top);
  return topAt !== -1 && needAt !== -1 && topAt <= needAt;
}

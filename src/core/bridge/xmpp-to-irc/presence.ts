/**
 * XMPP → IRC presence to rooms: entering (XEP-0045 §7.2), leaving (§7.14), changing
 * nick (§7.6) and show/status (§7.7 → IRC AWAY, RFC 2812 §4.1).
 *
 * Rules:
 * - one IRC session per (bare JID, network), shared by all of the user's resources; a
 *   second resource joining a joined channel gets the room state at once;
 * - the per-user limits (networks, channels over every network) refuse with
 *   `resource-constraint` before anything is sent;
 * - presence that asks nothing of IRC (subscriptions, probes, other addresses) is
 *   ignored without an answer, as XEP-0045 leaves it.
 */
import type { Element } from '@xmpp/xml';
import type { Address } from '../../address.js';
import { isValidChannelName } from '../../address.js';
import { foldCase } from '../../casemap.js';
import { StanzaError } from '../../errors.js';
import { NO_HISTORY_REQUEST, parseHistoryRequest } from '../../history/on-join.js';
import { oneLine, reasonText } from '../../irc-writer.js';
import type { BareJid, FullJid } from '../../jid.js';
import { NS_MUC } from '../../namespaces.js';
import type { Channel, Session } from '../../session.js';
import { addSession, connect, connectNow, identityOf } from '../connection.js';
import { refuseWith, type BridgeContext } from '../context.js';
import { contactPresence } from '../contacts.js';
import { leaveRoom, openChannel, sendRoomState } from '../rooms.js';

/** Bytes of an AWAY message we send (servers cut at AWAYLEN, often 200–300). */
const MAX_AWAY_BYTES = 300;

/**
 * `user` is `from`'s bare JID as the gateway keeps it per sender: a session made by a join
 * is kept under that very string, so the lookups of the user's messages by it compare
 * strings by identity, not by their characters.
 */
export function xmppPresenceToIrc(ctx: BridgeContext, stanza: Element, from: FullJid, user: BareJid, address: Address): void {
  const type = stanza.attrs.type;
  if (address.kind === 'channel' && type === undefined) {
    // XEP-0045 §7.2.1: a join without a nick.
    throw new StanzaError('jid-malformed', 'a room nickname is required: join #channel%network@gateway/nick');
  }
  if (address.kind === 'user') {
    contactPresence(ctx, stanza, from, address.network, address.nick);
    return;
  }
  if (address.kind !== 'occupant' && address.kind !== 'channel') return;
  const s = ctx.registry.get(user, address.network);
  const channel = s?.channels.get(address.channel);
  if (type === 'unavailable') {
    // The status text says why: it becomes the PART reason, and the QUIT message when this
    // was the user's last room on the network.
    if (s && channel) leaveRoom(ctx, s, channel, from, stanza.getChildText('status') ?? undefined);
    return;
  }
  if (type !== undefined || address.kind !== 'occupant') return; // subscriptions and probes ask nothing here
  if (s && channel?.resources.has(from)) {
    presenceUpdate(ctx, s, channel, from, address.nick, stanza);
    return;
  }
  join(ctx, stanza, from, user, address.network, address.channel, address.nick);
}

function join(ctx: BridgeContext, stanza: Element, from: FullJid, user: BareJid, network: string, channelName: string, nick: string): void {
  if (ctx.stopping) throw new StanzaError('service-unavailable', 'the gateway is shutting down; join again once it is back');
  const settings = ctx.o.network(network);
  if (!settings) throw new StanzaError('not-allowed', `the IRC network ${network} is not open on this gateway`);
  let s = ctx.registry.get(user, network);
  if (s && !isValidChannelName(channelName, s.support.chantypes)) {
    throw new StanzaError('jid-malformed', `${channelName} is not a channel name on ${network}`);
  }
  if (!s && ctx.registry.networkCount(user) >= ctx.o.maxConnectionsPerUser) {
    throw new StanzaError('resource-constraint', `you are connected to ${ctx.o.maxConnectionsPerUser} IRC networks, the most this gateway allows`);
  }
  const existing = s?.channels.get(channelName);
  if (!existing && ctx.registry.channelCount(user) >= ctx.o.maxChannelsPerUser) {
    throw new StanzaError('resource-constraint', `you are in ${ctx.o.maxChannelsPerUser} channels, the most this gateway allows`);
  }
  // XEP-0045 §7.2.6: the room password is the channel key.
  const password = stanza.getChild('x', NS_MUC)?.getChildText('password') ?? undefined;
  if (!s) {
    const id = identityOf(ctx, user, network);
    s = addSession(ctx, user, network, nick, id);
    connect(ctx, s, settings, id);
  } else if (s.state === 'waiting') {
    connectNow(ctx, s, settings);
  }
  // Only what the join's `<history/>` asks for waits for the join to finish (history.ts
  // `historyOnJoin`), not the stanza: held for the seconds a join takes, the parsed trees of a
  // join burst outlived V8's young generation and went to the old one (issue 11 §3).
  const historyRequest = ctx.o.archive ? (parseHistoryRequest(stanza) ?? NO_HISTORY_REQUEST) : undefined;
  const resource = { jid: from, requestedNick: nick, joined: false, room: channelName, historyRequest };
  if (existing) {
    existing.resources.set(from, resource);
    ctx.registry.changed(s);
    if (existing.state === 'joined') sendRoomState(ctx, s, existing, from);
    return;
  }
  ctx.log.debug({ user, network, channel: channelName }, 'joining channel');
  // The resource is in before the JOIN goes out, so a refusal of the line reaches it.
  openChannel(ctx, s, channelName, password, resource);
}

/** Presence to a room already joined: a nick change (XEP-0045 §7.6) or a show/status change. */
function presenceUpdate(ctx: BridgeContext, s: Session, channel: Channel, from: FullJid, nick: string, stanza: Element): void {
  if (s.state !== 'registered') return;
  if (foldCase(s.support.casemapping, nick) !== foldCase(s.support.casemapping, s.nick)) {
    s.pendingNick = { from, nick, room: channel.name };
    ctx.irc(s, ctx.line('NICK', [nick], refuseWith('that nick cannot be used on IRC'))!);
    return;
  }
  // XEP-0045 §7.7 presence broadcast → IRC AWAY (RFC 2812 §4.1).
  const show = stanza.getChildText('show');
  const status = oneLine(stanza.getChildText('status') ?? '').trim();
  if (show === 'away' || show === 'xa' || show === 'dnd') {
    ctx.irc(s, ctx.line('AWAY', [reasonText(status || show, MAX_AWAY_BYTES)], refuseWith('the status cannot be sent to IRC'))!);
  } else {
    ctx.sendLine(s, 'AWAY', []);
  }
}

/**
 * XEP-0421 occupant ids: an opaque id per occupant of a room, stable for as long as the
 * gateway can tell it is the same person, so clients can tell people apart across nick
 * changes and match their messages and presence.
 *
 * Why derived, not random: the same IRC user must get the same id from every session that
 * sees them and after a restart. The seed is the IRC account when the server names it
 * (IRCv3 extended-join / account-tag), else nick!user@host as first seen; an occupant keeps
 * its id through nick changes (membership.ts carries it on). Our own user's seed is their
 * bare JID, so the id is stable across resources and never shows the JID: the composition
 * root hashes every seed with a secret (BridgeOptions.occupantId, HMAC in main.ts).
 *
 * Rules: the seed names the network and channel, so ids do not correlate across rooms
 * (XEP-0421 §4); without `occupantId` in the options the room does not offer the feature.
 */
import { foldCase } from '../casemap.js';
import type { Channel, Occupant, Session } from '../session.js';
import type { BridgeContext } from './context.js';

function id(ctx: BridgeContext, s: Session, channel: Channel | string, who: string): { occupantId?: string } {
  const hash = ctx.o.occupantId;
  if (!hash) return {};
  const name = typeof channel === 'string' ? channel : channel.name;
  const seed = `${s.network} ${foldCase(s.support.casemapping, name)} ${who}`;
  return { occupantId: ctx.occupantIds.get(seed) ?? ctx.occupantIds.set(seed, hash(seed)) };
}

/** The id of our own user in a room. */
export function selfOccupantId(ctx: BridgeContext, s: Session, channel: Channel | string): { occupantId?: string } {
  return id(ctx, s, channel, `self ${s.user}`);
}

/** The id of an IRC user first seen as `mask` (nick!user@host), with their account if known. */
export function ircOccupantId(ctx: BridgeContext, s: Session, channel: Channel | string, mask: string, account?: string): { occupantId?: string } {
  const known = account !== undefined && account !== '' && account !== '*';
  return id(ctx, s, channel, known ? `account ${account}` : `mask ${foldCase(s.support.casemapping, mask)}`);
}

/** The id to put on an occupant's stanzas: ours, or the one the IRC occupant was given. */
export function occupantIdOf(ctx: BridgeContext, s: Session, channel: Channel, o: Occupant | undefined, nick: string): { occupantId?: string } {
  if (ctx.isMe(s, nick)) return selfOccupantId(ctx, s, channel);
  if (o?.occupantId !== undefined) return { occupantId: o.occupantId };
  return ircOccupantId(ctx, s, channel, o?.mask ?? `${nick}!*@*`);
}

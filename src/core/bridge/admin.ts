/**
 * What the gateway decides for users rather than users for themselves: the actions of
 * registration and ad-hoc commands (unregister, disconnect, announce, room settings),
 * the administrators' view of live connections, and shutdown.
 *
 * Rules:
 * - a session closed on the user's behalf ends every room with `gone` and the reason;
 * - shutdown is XEP-0045 §11.2 seen from each joined resource: its own unavailable
 *   presence with 110 and 332, then QUIT on every connection; after it nothing
 *   reconnects (connection.ts reads `ctx.stopping`).
 */
import xml from '@xmpp/xml';
import { StanzaError } from '../errors.js';
import type { BareJid } from '../jid.js';
import { STATUS } from '../muc-stanzas.js';
import type { GatewayAction, LiveConnection } from '../ports.js';
import { endSession } from './connection.js';
import type { BridgeContext } from './context.js';
import { forgetUser } from './history.js';
import { roomSettingsChanged } from './persistence.js';

/** Closes every session of a user (unregistration, an admin's disconnect). */
export function closeUser(ctx: BridgeContext, user: BareJid, message: string): void {
  for (const s of ctx.registry.ofUser(user)) endSession(ctx, s, new StanzaError('gone', message), message);
}

/** Carries out what registration and ad-hoc commands decided. */
export function applyAction(ctx: BridgeContext, action: GatewayAction): void {
  switch (action.kind) {
    case 'disconnect-user':
      closeUser(ctx, action.user, action.reason);
      return;
    case 'disconnect-network': {
      const s = ctx.registry.get(action.user, action.network);
      if (s) endSession(ctx, s, new StanzaError('gone', action.reason), action.reason);
      return;
    }
    case 'room-settings':
      roomSettingsChanged(ctx, action.user, action.network, action.channel);
      return;
    case 'forget-user':
      forgetUser(ctx, action.user);
      return;
    case 'announce':
      for (const user of ctx.registry.users()) {
        ctx.send(xml('message', { from: ctx.o.domain, to: user, type: 'headline', id: ctx.o.newId() }, xml('body', {}, action.text)));
      }
      return;
  }
}

/** Live sessions, for the administrators' ad-hoc commands; `since` only while registered. */
export function liveConnections(ctx: BridgeContext): Array<LiveConnection & { state: string }> {
  return ctx.registry.all().map((s) => ({
    user: s.user,
    network: s.network,
    nick: s.nick,
    state: s.state,
    channels: [...s.channels].map(([, channel]) => channel.name),
    ...(s.state === 'registered' && s.connectedAt !== undefined ? { since: s.connectedAt } : {}),
  }));
}

/** XEP-0045 §11.2: the service goes away; every room ends with 332 and every link QUITs. */
export function shutdown(ctx: BridgeContext, message: string): void {
  ctx.stopping = true;
  const error = new StanzaError('gone', message);
  for (const s of ctx.registry.all()) endSession(ctx, s, error, message, STATUS.SHUTDOWN);
}

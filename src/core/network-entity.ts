/**
 * The network entity `net@gw`: every iq addressed to it is answered here.
 *
 * Why one module: a network answers service discovery (XEP-0030: its identity, and its
 * channels as disco#items), registration (XEP-0077, the user's identity on that network),
 * ad-hoc commands (XEP-0050) and ping (XEP-0199). The channel list needs the user's live
 * connection, so disco#items is asked of the bridge; everything else is answered from the
 * stores.
 *
 * Rules: a closed network still lets its users see and remove what they stored for it;
 * anything else unknown is `service-unavailable` (RFC 6120 §8.3.3.19).
 */
import type { Element } from '@xmpp/xml';
import { ADHOC_FEATURES, isAdhocRequest } from './adhoc.js';
import type { Bridge } from './bridge/index.js';
import { sendStanza, type Effect } from './effects.js';
import { StanzaError } from './errors.js';
import { discoInfoPayload, iqPayload } from './gateway-entity.js';
import type { BareJid, FullJid } from './jid.js';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING } from './namespaces.js';
import { REGISTRATION_FEATURES, handleRegister, isRegistrationRequest, type EntityContext, type EntityOutcome } from './registration.js';
import type { AdhocCommands } from './adhoc.js';
import type { IdentityStore } from './ports.js';
import { iqResult } from './stanza.js';

/** What the network entity needs of the rest of the core. */
export interface NetworkEntityDeps {
  bridge: Bridge;
  /** Registration and ad-hoc commands; absent when the gateway has no store. */
  accounts?: {
    identities: IdentityStore;
    adhoc: AdhocCommands;
    isOpen(network: string): boolean;
    context(network: string, channel?: string): EntityContext;
    outcome(o: EntityOutcome): Effect[];
  };
}

export function networkIq(iq: Element, from: FullJid, user: BareJid, network: string, deps: NetworkEntityDeps): Effect[] {
  const payload = iqPayload(iq);
  const get = iq.attrs.type === 'get';
  const accounts = deps.accounts;
  if (accounts && isAdhocRequest(iq)) {
    if (!accounts.isOpen(network)) throw new StanzaError('item-not-found', `${network} is not open on this gateway`);
    return accounts.outcome(accounts.adhoc.handle(iq, accounts.context(network)));
  }
  if (get && payload.is('query', NS_DISCO_ITEMS) && !payload.attrs.node) {
    return deps.bridge.listChannels(iq, payload, from, network);
  }
  if (get && payload.is('query', NS_DISCO_INFO) && !payload.attrs.node) {
    const extra = accounts ? [...REGISTRATION_FEATURES, ...ADHOC_FEATURES] : [];
    return [sendStanza(iqResult(iq, discoInfoPayload({ identities: [{ category: 'gateway', type: 'irc', name: network }], features: [NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, ...extra] })))];
  }
  if (accounts && isRegistrationRequest(iq)) {
    const stored = accounts.identities.get(user, network) !== undefined;
    if (!accounts.isOpen(network) && !stored) throw new StanzaError('item-not-found', `${network} is not open on this gateway`);
    return accounts.outcome(handleRegister(iq, accounts.context(network)));
  }
  if (get && payload.is('ping', NS_PING)) return [sendStanza(iqResult(iq))];
  throw new StanzaError('service-unavailable');
}

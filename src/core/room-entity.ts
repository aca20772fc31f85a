/**
 * The room entity `#chan%net@gw` and its occupants `…/nick`: every iq addressed to them is
 * answered here.
 *
 * Why one module: a room answers service discovery (XEP-0045 §6.4 room information with the
 * muc#roominfo form, §15.5.4; §6.5 items), ad-hoc commands (XEP-0050, the room settings),
 * moderation (XEP-0045 §8–§9, muc#admin) and self-ping on the user's own occupant
 * (XEP-0410). What needs the live channel is asked of the bridge.
 *
 * Rules: the features listed are only those that work; occupants are not listed in
 * disco#items (IRC users did not consent to it); anything else is `service-unavailable`.
 */
import xml, { type Element } from '@xmpp/xml';
import { isAdhocRequest, type AdhocCommands } from './adhoc.js';
import { isMamIq, MAM_FEATURES } from './history/mam.js';
import type { Bridge } from './bridge/index.js';
import { sendStanza, type Effect } from './effects.js';
import { StanzaError } from './errors.js';
import { discoInfoPayload, discoItemsPayload, iqPayload } from './gateway-entity.js';
import type { BareJid, FullJid } from './jid.js';
import {
  NS_COMMANDS,
  NS_DATA,
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
  NS_MUC,
  NS_MUC_ADMIN,
  NS_MUC_SELF_PING,
  NS_MUC_STABLE_ID,
  NS_OCCUPANT_ID,
  NS_PING,
  NS_STANZA_ID,
} from './namespaces.js';
import type { EntityContext, EntityOutcome } from './registration.js';
import { iqResult } from './stanza.js';

export interface RoomEntityDeps {
  bridge: Bridge;
  /** Ad-hoc commands on rooms; absent when the gateway has no store. */
  accounts?: {
    adhoc: AdhocCommands;
    isOpen(network: string): boolean;
    context(network: string, channel?: string): EntityContext;
    outcome(o: EntityOutcome): Effect[];
  };
}

export type RoomAddress = { kind: 'channel'; network: string; channel: string } | { kind: 'occupant'; network: string; channel: string; nick: string };

export function roomIq(iq: Element, from: FullJid, user: BareJid, address: RoomAddress, deps: RoomEntityDeps): Effect[] {
  const payload = iqPayload(iq);
  const get = iq.attrs.type === 'get';
  const ns = payload.attrs.xmlns;
  const accounts = deps.accounts;
  if (address.kind === 'occupant') {
    if (ns === NS_PING && get) return deps.bridge.selfPing(iq, from, address.network, address.channel, address.nick);
    throw new StanzaError('service-unavailable');
  }
  if (accounts && isAdhocRequest(iq)) {
    if (!accounts.isOpen(address.network)) throw new StanzaError('item-not-found', `${address.network} is not open on this gateway`);
    return accounts.outcome(accounts.adhoc.handle(iq, accounts.context(address.network, address.channel)));
  }
  if (isMamIq(iq)) {
    // XEP-0313 §3.3.2: the room's archive; a user may query a room they are not in now.
    const out = deps.bridge.mam(iq, user, address.network, address.channel);
    if (out) return out;
  }
  if (ns === NS_DISCO_INFO && get && !payload.attrs.node) return [sendStanza(iqResult(iq, roomInfo(deps.bridge, user, address, accounts !== undefined)))];
  if (ns === NS_DISCO_ITEMS && get && !payload.attrs.node) return [sendStanza(iqResult(iq, discoItemsPayload([])))];
  if (ns === NS_MUC_ADMIN && iq.attrs.type === 'set') return deps.bridge.moderate(iq, payload, from, address.network, address.channel);
  throw new StanzaError('service-unavailable');
}

/** XEP-0045 §6.4 room information, with the muc#roominfo form (§15.5.4). */
function roomInfo(bridge: Bridge, user: BareJid, address: { network: string; channel: string }, commands: boolean): Element {
  const view = bridge.roomView(user, address.network, address.channel);
  const fields: Element[] = [xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/muc#roominfo'))];
  if (view.joined) {
    fields.push(xml('field', { var: 'muc#roominfo_subject', label: 'Topic' }, xml('value', {}, view.topic)));
    fields.push(xml('field', { var: 'muc#roominfo_occupants', label: 'Number of occupants' }, xml('value', {}, String(view.occupants))));
  }
  const info = discoInfoPayload({
    identities: [{ category: 'conference', type: 'irc', name: view.name }],
    // Each feature only where it holds: ids are kept as sent (muc#stable_id), self-pings
    // are answered by the room itself (XEP-0410 §5), occupant ids when configured.
    features: [
      NS_MUC, 'muc_public', 'muc_open', 'muc_semianonymous', 'muc_unsecured', 'muc_temporary', 'muc_unmoderated',
      NS_STANZA_ID, NS_MUC_STABLE_ID, NS_PING, NS_MUC_SELF_PING, NS_DISCO_INFO,
      ...(view.occupantIds ? [NS_OCCUPANT_ID] : []),
      ...(view.archive ? MAM_FEATURES : []),
      ...(commands ? [NS_COMMANDS] : []),
    ],
  });
  info.append(xml('x', { xmlns: NS_DATA, type: 'result' }, ...fields));
  return info;
}

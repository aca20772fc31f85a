/**
 * The gateway entity itself (`gw`): service discovery, software version and ping.
 *
 * Rules: advertise only features that really work — each feature string below is backed
 * by a handler in this file or one passed in as `extraFeatures` by the module that
 * serves it. An iq namespace we do not serve gets `service-unavailable` (RFC 6120 §8.4);
 * a served namespace asked with a type it does not support gets
 * `feature-not-implemented` (RFC 6120 §8.3.3.3); a payload that is not exactly one
 * element gets `bad-request` (§8.2.3).
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from './errors.js';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_PING, NS_VERSION } from './namespaces.js';
import { iqResult } from './stanza.js';

export interface SoftwareInfo {
  name: string;
  version: string;
}

/** XEP-0030 §3.1 identity of the gateway (category/type from the XMPP registrar). */
export const GATEWAY_IDENTITY = { category: 'gateway', type: 'irc', name: 'Jabirc IRC gateway' } as const;
/** Also a MUC service (XEP-0045 §6.1), so clients list it among their conference services. */
export const CONFERENCE_IDENTITY = { category: 'conference', type: 'irc', name: 'IRC channels' } as const;

export interface DiscoInfo {
  identities: Array<{ category: string; type: string; name?: string }>;
  features: string[];
}

/** XEP-0030 §3.1 disco#info result payload. */
export function discoInfoPayload(info: DiscoInfo, node?: string): Element {
  return xml(
    'query',
    { xmlns: NS_DISCO_INFO, node },
    ...info.identities.map((i) => xml('identity', { category: i.category, type: i.type, name: i.name })),
    ...[...new Set(info.features)].sort().map((f) => xml('feature', { var: f })),
  );
}

/** XEP-0030 §4.1 disco#items result payload. */
export function discoItemsPayload(items: Array<{ jid: string; name?: string; node?: string }>, node?: string): Element {
  return xml(
    'query',
    { xmlns: NS_DISCO_ITEMS, node },
    ...items.map((i) => xml('item', { jid: i.jid, name: i.name, node: i.node })),
  );
}

/** The one payload element of an iq get/set, or `bad-request` (RFC 6120 §8.2.3: exactly one child). */
export function iqPayload(iq: Element): Element {
  const children = iq.getChildElements();
  const [payload] = children;
  if (children.length !== 1 || payload === undefined) {
    throw new StanzaError('bad-request', 'an iq get or set must carry exactly one payload element');
  }
  return payload;
}

/** Handles an iq get/set addressed to the gateway; returns the reply. */
export function gatewayIq(iq: Element, software: SoftwareInfo, extraFeatures: readonly string[] = []): Element {
  const payload = iqPayload(iq);
  const ns = payload.attrs.xmlns;
  const type = iq.attrs.type;
  switch (ns) {
    case NS_DISCO_INFO: {
      if (type !== 'get') throw new StanzaError('feature-not-implemented');
      if (payload.attrs.node) throw new StanzaError('item-not-found', `no such node: ${payload.attrs.node}`);
      const features = [NS_DISCO_INFO, NS_DISCO_ITEMS, NS_VERSION, NS_PING, ...extraFeatures];
      const identities = extraFeatures.includes(NS_MUC) ? [GATEWAY_IDENTITY, CONFERENCE_IDENTITY] : [GATEWAY_IDENTITY];
      return iqResult(iq, discoInfoPayload({ identities, features }));
    }
    case NS_DISCO_ITEMS: {
      if (type !== 'get') throw new StanzaError('feature-not-implemented');
      if (payload.attrs.node) throw new StanzaError('item-not-found', `no such node: ${payload.attrs.node}`);
      return iqResult(iq, discoItemsPayload([]));
    }
    case NS_VERSION: {
      // XEP-0092 §2: name and version; the optional <os/> is left out on purpose
      // (it tells an attacker more than it tells a user).
      if (type !== 'get') throw new StanzaError('feature-not-implemented');
      return iqResult(
        iq,
        xml('query', { xmlns: NS_VERSION }, xml('name', {}, software.name), xml('version', {}, software.version)),
      );
    }
    case NS_PING: {
      // XEP-0199 §4.2: a ping to the component is answered with an empty result.
      if (type !== 'get' || payload.name !== 'ping') throw new StanzaError('feature-not-implemented');
      return iqResult(iq);
    }
    default:
      throw new StanzaError('service-unavailable');
  }
}

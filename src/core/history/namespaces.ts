/** XML namespaces of the history features, named after the spec that defines them (as ../namespaces.ts). */
export const NS_MAM = 'urn:xmpp:mam:2'; // XEP-0313
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended'; // XEP-0313 §7: before-id, after-id, ids, flip-page, metadata
export const NS_FORWARD = 'urn:xmpp:forward:0'; // XEP-0297
export const NS_CLIENT = 'jabber:client'; // RFC 6120 §4.8.3: the namespace of a forwarded stanza
export const NS_XDATA_VALIDATE = 'http://jabber.org/protocol/xdata-validate'; // XEP-0122

/** XML namespaces Jabirc speaks, named after the spec that defines them. */
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas'; // RFC 6120 §8.3
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info'; // XEP-0030
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items'; // XEP-0030
export const NS_VERSION = 'jabber:iq:version'; // XEP-0092
export const NS_PING = 'urn:xmpp:ping'; // XEP-0199
export const NS_MUC = 'http://jabber.org/protocol/muc'; // XEP-0045
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user'; // XEP-0045
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin'; // XEP-0045
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner'; // XEP-0045
export const NS_STANZA_ID = 'urn:xmpp:sid:0'; // XEP-0359
export const NS_DELAY = 'urn:xmpp:delay'; // XEP-0203
export const NS_RSM = 'http://jabber.org/protocol/rsm'; // XEP-0059
export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates'; // XEP-0085
export const NS_REGISTER = 'jabber:iq:register'; // XEP-0077
export const NS_COMMANDS = 'http://jabber.org/protocol/commands'; // XEP-0050
export const NS_DATA = 'jabber:x:data'; // XEP-0004

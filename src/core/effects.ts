/**
 * Effects: what the pure core asks the adapters to do.
 *
 * Why: the core takes inputs (a parsed stanza, an IRC event, a timer tick) and returns
 * these values; only adapters perform IO. This keeps every bridging rule testable
 * without sockets (../shared/STYLE.md, "A pure core").
 */
import type { Element } from '@xmpp/xml';

export type Effect = { kind: 'send-stanza'; stanza: Element };

export function sendStanza(stanza: Element): Effect {
  return { kind: 'send-stanza', stanza };
}

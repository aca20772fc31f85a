/**
 * Builders for the replies every handler needs: iq results and stanza errors.
 *
 * Rules (RFC 6120 §8.2.3, §8.3.1): a reply swaps `to` and `from` and keeps `id`; an error
 * stanza carries `<error type=…>` with one defined condition and, when we have one, a
 * `<text/>` for the human. Message errors keep the original `<body/>` so the sender's
 * client can show which message failed (RFC 6120 §8.3.1 allows including the original).
 */
import xml, { type Element } from '@xmpp/xml';
import { NS_STANZAS } from './namespaces.js';
import { StanzaError } from './errors.js';

export type StanzaKind = 'iq' | 'message' | 'presence';

export function stanzaKind(el: Element): StanzaKind | undefined {
  return el.name === 'iq' || el.name === 'message' || el.name === 'presence' ? el.name : undefined;
}

export function isErrorStanza(el: Element): boolean {
  return el.attrs.type === 'error';
}

/** `<error/>` child for a condition (RFC 6120 §8.3.2). */
export function errorElement(err: StanzaError, by?: string): Element {
  return xml(
    'error',
    { type: err.errorType, by },
    xml(err.condition, { xmlns: NS_STANZAS }),
    err.text !== undefined ? xml('text', { xmlns: NS_STANZAS, 'xml:lang': 'en' }, err.text) : null,
  );
}

/** An error reply to `stanza`, from the address it was sent to. */
export function errorReply(stanza: Element, err: StanzaError, extra: Element[] = []): Element {
  const keep = stanza.name === 'message' ? stanza.getChildren('body') : [];
  return xml(
    stanza.name,
    { type: 'error', id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from },
    ...keep.map(cloneElement),
    ...extra,
    errorElement(err),
  );
}

/** An iq result to `iq`, optionally with a payload (RFC 6120 §8.2.3). */
export function iqResult(iq: Element, payload?: Element): Element {
  return xml('iq', { type: 'result', id: iq.attrs.id, from: iq.attrs.to, to: iq.attrs.from }, payload ?? null);
}

export function cloneElement(el: Element): Element {
  const copy = xml(el.name, { ...el.attrs });
  for (const child of el.children) copy.append(typeof child === 'string' ? child : cloneElement(child));
  return copy;
}

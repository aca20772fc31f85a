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
import { xmlSafe } from './xml-safe.js';

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

/**
 * An element built as `xml(name, attrs, ...children)` builds it, without its per-call
 * work (deleting JSX keys from `attrs`, which turns the object slow, and rewriting each
 * value): for builders on the per-message path. `attrs` is kept as given, so it must hold
 * strings only; `children` are elements and non-empty strings, no nulls.
 */
export function element(name: string, attrs: Record<string, string>, children: Array<Element | string> = []): Element {
  const el = new xml.Element(name);
  el.attrs = attrs;
  for (const child of children) if (typeof child !== 'string') child.parent = el;
  el.children = children;
  return el;
}

export function cloneElement(el: Element): Element {
  const copy = xml(el.name, { ...el.attrs });
  for (const child of el.children) copy.append(typeof child === 'string' ? child : cloneElement(child));
  return copy;
}

/** Where `withSerialization` keeps an element's text, and whether that text is XML-safe as it is. */
const PRESET = Symbol('serialized');
const WIRE_SAFE = Symbol('wire-safe');

/**
 * Gives `el` the text `serializeElement` returns for it, made by the builder (muc-stanzas.ts
 * `GroupchatTemplates`: the copies of one channel line differ only in `to` and the ids).
 * Only for an element nobody changes after it is built, as every outgoing stanza is.
 * `wireSafe`: the builder checked that the text holds no character `xmlSafe` would replace,
 * so `wireText` need not scan it again.
 */
export function withSerialization(el: Element, text: string, wireSafe = false): Element {
  const r = el as unknown as Record<symbol, unknown>;
  r[PRESET] = text;
  if (wireSafe) r[WIRE_SAFE] = true;
  return el;
}

/**
 * What the XMPP link writes for `el`: `xmlSafe(serializeElement(el))` (xml-safe.ts), the
 * builder's text as it is when the builder vouched for it (`withSerialization`). Per
 * stanza rather than over a batch: a stanza starts with `<` and ends with `>`, so no
 * surrogate pair is cut and the result is the batch's, and a shared text is not scanned
 * once per copy (issue 11 §2).
 */
export function wireText(el: Element): string {
  const r = el as unknown as Record<symbol, unknown>;
  if (r[WIRE_SAFE] === true) return r[PRESET] as string;
  return xmlSafe(serializeElement(el));
}

/** An attribute value as `serializeElement` writes it. */
export function escapeAttribute(s: string): string {
  return XML_ATTR_SPECIAL.test(s) ? s.replace(XML_ATTR_SPECIAL_ALL, escapeOne) : s;
}

/**
 * True when `s` goes into an attribute as it is: nothing to escape and nothing `xmlSafe`
 * replaces (one test for both, on the per-copy path of muc-stanzas.ts).
 */
export function isPlainAttribute(s: string): boolean {
  return !ATTR_SPECIAL_OR_ILLEGAL.test(s);
}

const ATTR_SPECIAL_OR_ILLEGAL = /["&'<>\0-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/u;
const TEXT_SPECIAL_OR_ILLEGAL = /[&<>\0-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/u;

/** `isPlainAttribute` for text content. */
export function isPlainText(s: string): boolean {
  return !TEXT_SPECIAL_OR_ILLEGAL.test(s);
}

/** Text content as `serializeElement` writes it. */
export function escapeText(s: string): string {
  return XML_TEXT_SPECIAL.test(s) ? s.replace(XML_TEXT_SPECIAL_ALL, escapeOne) : s;
}
const XML_ATTR_SPECIAL = /["&'<>]/;
const XML_ATTR_SPECIAL_ALL = /["&'<>]/g;
const XML_TEXT_SPECIAL = /[&<>]/;
const XML_TEXT_SPECIAL_ALL = /[&<>]/g;
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeOne = (c: string): string => XML_ESCAPES[c] ?? c;

/** What ltx's `Element#write` accepts as a child besides a string (read in ltx 3.1 lib/Element.js). */
interface LtxChild {
  write?: (writer: (chunk: string) => void) => void;
  children?: unknown;
  toString(radix?: number): string;
}

/**
 * `el.toString()` of ltx 3 byte for byte (the same escapes, attribute order, `/>` for an
 * empty element, null attributes and children skipped), built as one string: a string
 * with nothing to escape is not copied, and no writer callback runs per token. The link
 * serialises every outgoing stanza with it (issue 11 §2).
 */
export function serializeElement(el: Element): string {
  const preset = (el as unknown as Record<symbol, unknown>)[PRESET];
  if (typeof preset === 'string') return preset;
  let out = `<${el.name}`;
  const attrs = el.attrs as Record<string, unknown>;
  for (const k in attrs) {
    const v = attrs[k];
    if (v == null) continue;
    const s = typeof v === 'string' ? v : (v as LtxChild).toString(10);
    out += ` ${k}="${escapeAttribute(s)}"`;
  }
  const children = el.children as unknown[];
  if (children.length === 0) return `${out}/>`;
  out += '>';
  for (const child of children) {
    if (child == null) continue;
    let text: string;
    if (typeof child === 'string') text = child;
    else {
      const c = child as LtxChild;
      if (typeof c.write === 'function') {
        if (Array.isArray(c.children)) out += serializeElement(child as Element);
        else c.write((chunk) => (out += chunk));
        continue;
      }
      text = c.toString(10);
    }
    out += escapeText(text);
  }
  return `${out}</${el.name}>`;
}

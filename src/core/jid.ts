/**
 * JIDs as Jabirc sees them: split into parts, with bare and full JIDs as distinct types.
 *
 * Why not @xmpp/jid: the core must never throw on a hostile address, and must tell a
 * malformed JID (answered with `jid-malformed`) from a well-formed one. The XMPP server
 * has already applied stringprep/PRECIS to the addresses it routes to us (RFC 7622 §3),
 * so this only splits (RFC 7622 §3.1: the first `/` starts the resourcepart, the `@`
 * before it ends the localpart) and checks lengths and emptiness.
 */
declare const bareBrand: unique symbol;
declare const fullBrand: unique symbol;
/** `user@domain` — identifies a user (one bridge session per bare JID). */
export type BareJid = string & { readonly [bareBrand]: true };
/** `user@domain/resource` — identifies one client of a user. */
export type FullJid = string & { readonly [fullBrand]: true };

export interface JidParts {
  local: string;
  domain: string;
  resource: string;
}

const MAX_PART_BYTES = 1023; // RFC 7622 §3.2–3.4

/** Splits a JID; returns undefined when it is not well-formed. */
export function splitJid(jid: string): JidParts | undefined {
  const slash = jid.indexOf('/');
  const head = slash === -1 ? jid : jid.slice(0, slash);
  const resource = slash === -1 ? '' : jid.slice(slash + 1);
  const at = head.indexOf('@');
  const local = at === -1 ? '' : head.slice(0, at);
  const domain = at === -1 ? head : head.slice(at + 1);
  if (domain === '' || (at !== -1 && local === '') || (slash !== -1 && resource === '')) return undefined;
  if (domain.includes('@')) return undefined;
  // A UTF-16 unit is at most 3 UTF-8 bytes: only a part longer than a third of the bound is measured.
  if (tooLong(local) || tooLong(domain) || tooLong(resource)) return undefined;
  return { local, domain: domain.toLowerCase(), resource };
}

function tooLong(part: string): boolean {
  return part.length * 3 > MAX_PART_BYTES && Buffer.byteLength(part, 'utf8') > MAX_PART_BYTES;
}

export function bareOf(parts: JidParts): BareJid {
  return (parts.local ? `${parts.local}@${parts.domain}` : parts.domain) as BareJid;
}

export function fullOf(parts: JidParts): FullJid {
  return `${bareOf(parts)}${parts.resource ? `/${parts.resource}` : ''}` as FullJid;
}

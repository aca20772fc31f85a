/**
 * Jabirc addresses: what a JID at the gateway names on IRC, and back.
 *
 * Why: every stanza is routed by its `to` address and every IRC event is
 * delivered from one; both directions must agree exactly, so parsing and
 * building live here together and are tested as a round trip.
 *
 * Forms (gateway domain `gw`, e.g. `irc.example.org`):
 *
 * | JID                                  | Address                                             |
 * | ------------------------------------ | --------------------------------------------------- |
 * | `gw`                                 | `{ kind: 'gateway' }`                               |
 * | `irc.libera.chat@gw`                 | `{ kind: 'network', network: 'irc.libera.chat' }`   |
 * | `#jabirc%irc.libera.chat@gw`         | `{ kind: 'channel', network, channel: '#jabirc' }`  |
 * | `#jabirc%irc.libera.chat@gw/alice`   | `{ kind: 'occupant', network, channel, nick }`      |
 * | `alice%irc.libera.chat@gw`           | `{ kind: 'user', network, nick: 'alice' }`          |
 * | `\26ops%irc.libera.chat@gw`          | channel `&ops` (XEP-0106: `&` travels as `\26`)     |
 * | `#100%%irc.libera.chat@gw`           | channel `#100%`                                     |
 *
 * Fixed-network mode (the operator names one network): rooms are `#chan@gw`,
 * occupants `#chan@gw/nick`, users `nick@gw`, and `gw` itself stands for the
 * network. `gw` still parses as `{ kind: 'gateway' }` (the caller knows the
 * fixed network); a `network` address builds to `gw`.
 *
 * Rules kept:
 * - The localpart is XEP-0106 unescaped (xep0106.ts) before it is read; the
 *   resource (the occupant nick) is not escaped (XEP-0106 §2 applies only to
 *   localparts).
 * - `%` separates name from network, and the split is at the LAST `%`.
 *   A network is a hostname and can never contain `%`, so everything before
 *   the last `%` is the channel or nick, `%` included: `#100%%net` is `#100%`
 *   on `net`. This needs no escape for `%`; Jabirc defines no `\25`, which
 *   clients would not unescape for display anyway and which would give one
 *   room two JIDs. (biboumi splits at the first `%`, so it cannot address a
 *   channel whose name holds `%`.) In fixed-network mode `%` is an ordinary
 *   character of the name: `#100%@gw` is `#100%`, `a%b@gw` is the nick `a%b`.
 * - Network: a hostname of letters, digits, `-` and `.` (RFC 1123 labels of
 *   1–63 characters, no leading or trailing `-`, 253 at most), so a bare label
 *   such as `localhost` and an IPv4 literal work. No `:port` and no IPv6
 *   literal: port and TLS come from the network's settings, so one network has
 *   exactly one address. It is lower-cased: hostnames are case-insensitive.
 * - Channel (modern IRC, https://modern.ircdocs.horse/#channels; RFC 2812
 *   §1.3): starts with a CHANTYPES character (default `#&`), contains no
 *   space, comma, BEL (\x07), CR, LF or NUL.
 * - Nick: RFC 2812 §2.3.1 is stricter than real servers, so Jabirc is as
 *   lenient as modern servers: anything but space `,` `*` `?` `!` `@` CR LF
 *   NUL, and not starting with `$ : # & ~ % +`. The server judges the rest
 *   (ERR_ERRONEUSNICKNAME).
 * - CR, LF and NUL are refused anywhere in the JID (they would split or cut
 *   an IRC line).
 * - A resource on the gateway, a network or a user address is ignored:
 *   clients address full JIDs without meaning anything by it.
 * - Case: XMPP servers may lower-case localparts (Prosody applies nodeprep),
 *   so the case a JID carries means nothing. Compare addresses with
 *   {@link sameAddress} under the network's CASEMAPPING; a room's identity is
 *   its folded name and its display spelling comes from IRC.
 * - parse(build(a)) equals a for every valid address. A client may reach the
 *   same room through another spelling (`#A` for `#a`, or `\5c` where a plain
 *   `\` would do); those parse to equal addresses under {@link sameAddress}.
 */

import { type CaseMapping, ircEquals } from './casemap.js';
import type { JidParts } from './jid.js';
import { escapeLocalpart, unescapeLocalpart } from './xep0106.js';

/** What a JID at the gateway names. Tagged on `kind`. */
export type Address =
  | { readonly kind: 'gateway' }
  | { readonly kind: 'network'; readonly network: string }
  | { readonly kind: 'channel'; readonly network: string; readonly channel: string }
  | { readonly kind: 'occupant'; readonly network: string; readonly channel: string; readonly nick: string }
  | { readonly kind: 'user'; readonly network: string; readonly nick: string };

/** Why a JID names nothing: the stanza error condition and a human text. */
export interface AddressError {
  readonly kind: 'error';
  readonly condition: 'jid-malformed' | 'item-not-found';
  readonly text: string;
}

export interface AddressOptions {
  /** The component's domain, e.g. `irc.example.org`. */
  readonly gatewayDomain: string;
  /** Set in fixed-network mode: the one network every address is on. */
  readonly fixedNetwork?: string;
  /** CHANTYPES of the network when known; default `#&`. */
  readonly chantypes?: string;
}

const DEFAULT_CHANTYPES = '#&';
const FORBIDDEN_ANYWHERE = /[\r\n\0]/;
const FORBIDDEN_IN_CHANNEL = /[ ,\x07\r\n\0]/;
const FORBIDDEN_IN_NICK = /[ ,*?!@\r\n\0]/;
const FORBIDDEN_NICK_START = '$:#&~%+';
const HOSTNAME_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether `network` is a hostname Jabirc accepts as a network name (case-insensitive). */
export function isValidNetworkName(network: string): boolean {
  return network.length <= 253 && network.toLowerCase().split('.').every((label) => HOSTNAME_LABEL.test(label));
}

/** Whether `channel` is a channel name: a CHANTYPES prefix, no space, comma, BEL, CR, LF, NUL. */
export function isValidChannelName(channel: string, chantypes: string = DEFAULT_CHANTYPES): boolean {
  return channel !== '' && chantypes.includes(channel[0] as string) && !FORBIDDEN_IN_CHANNEL.test(channel);
}

/** Whether `nick` is a nick Jabirc will carry (lenient; see the module header). */
export function isValidNick(nick: string): boolean {
  return nick !== '' && !FORBIDDEN_NICK_START.includes(nick[0] as string) && !FORBIDDEN_IN_NICK.test(nick);
}

function malformed(text: string): AddressError {
  return { kind: 'error', condition: 'jid-malformed', text };
}

function checkNetwork(network: string): AddressError | undefined {
  if (network === '') return malformed('the network after "%" is empty');
  if (!isValidNetworkName(network)) return malformed(`"${network}" is not a network hostname`);
  return undefined;
}

function checkChannel(channel: string, chantypes: string): AddressError | undefined {
  return isValidChannelName(channel, chantypes) ? undefined : malformed(`"${channel}" is not a valid IRC channel name`);
}

function checkNick(nick: string): AddressError | undefined {
  if (nick === '') return malformed('the nick is empty');
  return isValidNick(nick) ? undefined : malformed(`"${nick}" is not a valid IRC nick`);
}

/** A channel or occupant address, depending on whether a resource names a nick. */
function roomAddress(network: string, channel: string, chantypes: string, resource: string): Address | AddressError {
  const bad = checkChannel(channel, chantypes) ?? (resource === '' ? undefined : checkNick(resource));
  if (bad !== undefined) return bad;
  return resource === '' ? { kind: 'channel', network, channel } : { kind: 'occupant', network, channel, nick: resource };
}

/**
 * Reads what a JID at the gateway names. A domain other than the gateway's
 * gives item-not-found; anything not matching a form gives jid-malformed.
 */
export function parseAddress(jid: JidParts, opts: AddressOptions): Address | AddressError {
  if (jid.domain.toLowerCase() !== opts.gatewayDomain.toLowerCase()) {
    return { kind: 'error', condition: 'item-not-found', text: `"${jid.domain}" is not this gateway` };
  }
  if (FORBIDDEN_ANYWHERE.test(jid.local) || FORBIDDEN_ANYWHERE.test(jid.resource)) {
    return malformed('the address contains CR, LF or NUL');
  }
  if (jid.local === '') return { kind: 'gateway' };

  const chantypes = opts.chantypes ?? DEFAULT_CHANTYPES;
  const local = unescapeLocalpart(jid.local);
  const isRoom = chantypes.includes(local[0] as string);

  if (opts.fixedNetwork !== undefined) {
    const network = opts.fixedNetwork;
    if (isRoom) return roomAddress(network, local, chantypes, jid.resource);
    return checkNick(local) ?? { kind: 'user', network, nick: local };
  }

  const sep = local.lastIndexOf('%');
  if (sep === -1) {
    if (isRoom) return malformed(`"${local}" names no network: a room is #channel%network@${opts.gatewayDomain}`);
    return checkNetwork(local) ?? { kind: 'network', network: local.toLowerCase() };
  }
  const name = local.slice(0, sep);
  const network = local.slice(sep + 1);
  const badNetwork = checkNetwork(network);
  if (badNetwork !== undefined) return badNetwork;
  if (isRoom) return roomAddress(network.toLowerCase(), name, chantypes, jid.resource);
  return checkNick(name) ?? { kind: 'user', network: network.toLowerCase(), nick: name };
}

/**
 * The JID of an address, as parts (jid.ts `fullOf` writes it as a string).
 * In fixed-network mode the network is implied and not written. Names are not validated here: give it addresses that
 * {@link parseAddress} produced or names an IRC server sent.
 */
export function buildJid(address: Address, opts: Pick<AddressOptions, 'gatewayDomain' | 'fixedNetwork'>): JidParts {
  const domain = opts.gatewayDomain;
  const fixed = opts.fixedNetwork !== undefined;
  const onNetwork = (name: string, network: string): string => escapeLocalpart(fixed ? name : `${name}%${network}`);
  switch (address.kind) {
    case 'gateway':
      return { local: '', domain, resource: '' };
    case 'network':
      return { local: fixed ? '' : address.network, domain, resource: '' };
    case 'channel':
      return { local: onNetwork(address.channel, address.network), domain, resource: '' };
    case 'occupant':
      return { local: onNetwork(address.channel, address.network), domain, resource: address.nick };
    case 'user':
      return { local: onNetwork(address.nick, address.network), domain, resource: '' };
  }
}

/**
 * Whether two addresses name the same thing: networks compared
 * case-insensitively, channels and nicks under the network's case mapping.
 */
export function sameAddress(mapping: CaseMapping, a: Address, b: Address): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'gateway') return true;
  if (b.kind === 'gateway' || a.network.toLowerCase() !== b.network.toLowerCase()) return false;
  const eq = (x: string, y: string): boolean => ircEquals(mapping, x, y);
  switch (a.kind) {
    case 'network':
      return true;
    case 'channel':
      return b.kind === 'channel' && eq(a.channel, b.channel);
    case 'occupant':
      return b.kind === 'occupant' && eq(a.channel, b.channel) && eq(a.nick, b.nick);
    case 'user':
      return b.kind === 'user' && eq(a.nick, b.nick);
  }
}

/**
 * The bridge core's entry point for XMPP input: routes each inbound stanza to the entity
 * it is addressed to, inside the one error boundary.
 *
 * Rules:
 * - every iq get/set gets exactly one reply (a result or an error); iq results and
 *   errors addressed to us are answers to our own requests and are never answered;
 * - only users of `allowedDomains` may use the gateway: anyone else gets `forbidden`
 *   (XEP-0100 §6 leaves access policy to the gateway);
 * - a `to` that does not parse gets `jid-malformed`; a well-formed address of nothing
 *   gets `item-not-found`.
 * Pure: returns effects, never performs IO.
 */
import type { Element } from '@xmpp/xml';
import { parseAddress, type Address, type AddressError } from './address.js';
import { BoundedCache, detached } from './bounded-cache.js';
import type { Bridge, RouteMemo } from './bridge/index.js';
import { sendStanza, type ConnKey, type Effect, type IrcConnEvent } from './effects.js';
import { withErrorBoundary } from './error-boundary.js';
import { StanzaError } from './errors.js';
import { gatewayIq, type SoftwareInfo } from './gateway-entity.js';
import { bareOf, fullOf, splitJid, type BareJid, type FullJid, type JidParts } from './jid.js';
import { ADHOC_FEATURES, isAdhocRequest, type AdhocCommands } from './adhoc.js';
import { networkIq, type NetworkEntityDeps } from './network-entity.js';
import type { ChannelStore, IdentityStore, PersistentChannel, RoomEncodingStore } from './ports.js';
import { roomIq, type RoomEntityDeps } from './room-entity.js';
import {
  handleGatewayPresence,
  handleRegister,
  isRegistrationRequest,
  REGISTRATION_FEATURES,
  type EntityContext,
  type EntityOutcome,
  type EntityLimits,
  type NetworkDefaults,
} from './registration.js';
import type { CoreLog } from './log-port.js';
import { NS_MUC } from './namespaces.js';
import { iqResult, isErrorStanza, stanzaKind } from './stanza.js';

export interface GatewayOptions {
  /** The component domain, e.g. `irc.example.org`. */
  domain: string;
  /** XMPP domains whose users may use the gateway. */
  allowedDomains: readonly string[];
  software: SoftwareInfo;
  log: CoreLog;
  /** Fixed-network mode: the one network, whose rooms are `#chan@gw`. */
  fixedNetwork?: string;
  /** The bridge that serves channel, occupant, user and network addresses. */
  bridge: Bridge;
  /** Registration (XEP-0077/XEP-0100) and ad-hoc commands (XEP-0050); off when absent. */
  accounts?: {
    identities: IdentityStore;
    channels: ChannelStore;
    admins: ReadonlySet<string>;
    adhoc: AdhocCommands;
    networkDefaults(network: string): NetworkDefaults | undefined;
    roomEncodings?: RoomEncodingStore;
    limits: EntityLimits;
  };
  /** The admins' `reload` command: re-reads the configuration as SIGHUP does and says what it did. */
  onReload?(): string;
}

/**
 * Parsed `from` and `to` attributes kept by their text (issue 11: splitting, unescaping
 * and checking them was a tenth of the XMPP → IRC cost; a busy gateway sees the same few
 * thousand users and rooms over and over). Only well-formed ones are kept, so a bad
 * address is checked, and refused with its error, every time; past the bound the cache
 * starts again.
 */
const PARSED_CACHE_MAX = 4096;

interface Sender {
  readonly parts: JidParts;
  readonly full: FullJid;
  /** The user's bare JID, handed to the bridge with the full one: no lookup of it per stanza there. */
  readonly bare: BareJid;
  /** What the bridge keeps for this sender (bridge/index.ts `RouteMemo`). */
  readonly memo: RouteMemo;
  /** Whether its domain may use the gateway, as of configuration `allowedAt` (`#isAllowed`). */
  allowed: boolean;
  allowedAt: number;
}

export class GatewayCore {
  readonly #opts: GatewayOptions;
  #allowed: ReadonlySet<string>;
  /** Bumped when the allowed domains change: what a cached sender knows of them is then stale. */
  #allowedVersion = 0;
  readonly #log: CoreLog;
  readonly #senders = new BoundedCache<string, Sender>(PARSED_CACHE_MAX);
  readonly #targets = new BoundedCache<string, Address>(PARSED_CACHE_MAX);

  constructor(opts: GatewayOptions) {
    this.#opts = opts;
    this.#allowed = new Set(opts.allowedDomains.map((d) => d.toLowerCase()));
    this.#log = opts.log;
  }

  /** The XMPP domains whose users may use the gateway, from now on (a configuration reload). */
  setAllowedDomains(domains: readonly string[]): void {
    this.#allowed = new Set(domains.map((d) => d.toLowerCase()));
    this.#allowedVersion++;
  }

  /** Whether the sender's domain may use the gateway: one set lookup per sender and configuration, not per stanza. */
  #isAllowed(sender: Sender): boolean {
    if (sender.allowedAt !== this.#allowedVersion) {
      sender.allowed = this.#allowed.has(sender.parts.domain);
      sender.allowedAt = this.#allowedVersion;
    }
    return sender.allowed;
  }

  /** Handles one inbound stanza from the XMPP server. */
  onStanza(stanza: Element): Effect[] {
    if (stanzaKind(stanza) === undefined) {
      this.#log.warn({ element: stanza.name }, 'ignored a non-stanza element');
      return [];
    }
    const sender = this.#sender(stanza.attrs.from ?? '');
    if (sender === undefined) {
      // Without a sender there is nobody to answer; the server is at fault (XEP-0114 §3).
      this.#log.warn({ stanza: stanza.name, from: stanza.attrs.from }, 'dropped a stanza without a valid from');
      return [];
    }
    if (isErrorStanza(stanza) && this.#isAllowed(sender)) {
      // A bounce from a user's resource: the bridge removes that resource (never answered).
      return withErrorBoundary(stanza, this.#log, () => this.#route(stanza, sender));
    }
    if (isErrorStanza(stanza) || (stanza.name === 'iq' && stanza.attrs.type === 'result')) {
      this.#log.debug({ stanza: stanza.name, type: stanza.attrs.type }, 'ignored an answer to nothing pending');
      return [];
    }
    return withErrorBoundary(stanza, this.#log, () => this.#route(stanza, sender));
  }

  #sender(attr: string): Sender | undefined {
    const known = this.#senders.get(attr);
    if (known !== undefined) return known;
    const key = detached(attr);
    const parts = splitJid(key);
    if (parts === undefined) return undefined;
    return this.#senders.set(key, { parts, full: fullOf(parts), bare: bareOf(parts), memo: {}, allowed: false, allowedAt: -1 });
  }

  #route(stanza: Element, sender: Sender): Effect[] {
    const from = sender.parts;
    if (stanza.name === 'iq' && !isErrorStanza(stanza) && stanza.attrs.type !== 'get' && stanza.attrs.type !== 'set') {
      throw new StanzaError('bad-request', 'an iq must be of type get, set, result or error');
    }
    if (!this.#isAllowed(sender)) {
      throw new StanzaError('forbidden', `users of ${from.domain} may not use this gateway`);
    }
    const address = this.#target(stanza.attrs.to ?? '');
    if (address.kind === 'gateway') return this.#toGateway(stanza, from);
    if (stanza.name === 'iq' && !isErrorStanza(stanza)) {
      const user = sender.bare;
      if (address.kind === 'network') return networkIq(stanza, sender.full, user, address.network, this.#entityDeps(from));
      if (address.kind === 'channel' || address.kind === 'occupant') return roomIq(stanza, sender.full, user, address, this.#entityDeps(from));
      throw new StanzaError('service-unavailable');
    }
    return this.#opts.bridge.onStanza(stanza, sender.full, sender.bare, address, sender.memo);
  }

  /** What a `to` attribute addresses; throws the StanzaError a malformed or foreign one earns. */
  #target(attr: string): Address {
    const known = this.#targets.get(attr);
    if (known !== undefined) return known;
    const key = detached(attr);
    const to = splitJid(key);
    if (to === undefined) throw new StanzaError('jid-malformed', 'the destination address is malformed');
    if (to.domain !== this.#opts.domain.toLowerCase()) {
      throw new StanzaError('item-not-found', `${to.domain} is not served here`);
    }
    const address: Address | AddressError =
      to.local === '' && (to.resource === '' || this.#opts.fixedNetwork === undefined)
        ? { kind: 'gateway' }
        : parseAddress(to, { gatewayDomain: this.#opts.domain, fixedNetwork: this.#opts.fixedNetwork });
    if (address.kind === 'error') throw new StanzaError(address.condition, address.text);
    return this.#targets.set(key, address);
  }

  /** What the network and room entities need: the bridge, and the accounts when there are any. */
  #entityDeps(from: JidParts): NetworkEntityDeps & RoomEntityDeps {
    const a = this.#opts.accounts;
    if (!a) return { bridge: this.#opts.bridge };
    return {
      bridge: this.#opts.bridge,
      accounts: {
        identities: a.identities,
        adhoc: a.adhoc,
        isOpen: (network) => a.networkDefaults(network) !== undefined,
        context: (network, channel) => {
          const ctx = this.#ctx(from, network, channel);
          return a.roomEncodings ? { ...ctx, roomEncodings: a.roomEncodings } : ctx;
        },
        outcome: (o) => this.#outcome(o),
      },
    };
  }

  /** What registration and ad-hoc commands need to know of a request. */
  #ctx(from: JidParts, network: string, channel?: string): EntityContext {
    const a = this.#opts.accounts!;
    const ctx: EntityContext = {
      user: bareOf({ ...from, resource: '' }),
      network,
      gatewayDomain: this.#opts.domain,
      identities: a.identities,
      channels: a.channels,
      admins: a.admins,
      liveConnections: () => this.#opts.bridge.liveConnections(),
      networkDefaults: (n) => a.networkDefaults(n),
      limits: a.limits,
    };
    if (channel !== undefined) ctx.channel = channel;
    if (this.#opts.onReload) ctx.reload = this.#opts.onReload;
    if (this.#opts.fixedNetwork !== undefined) ctx.fixedNetwork = this.#opts.fixedNetwork;
    return ctx;
  }

  #outcome(o: EntityOutcome): Effect[] {
    return [...o.replies.map(sendStanza), ...o.actions.flatMap((action) => this.#opts.bridge.onAction(action))];
  }

  onIrcLine(key: ConnKey, line: string): Effect[] {
    return this.#opts.bridge.onIrcLine(key, line);
  }

  onIrcEvent(key: ConnKey, event: IrcConnEvent): Effect[] {
    return this.#opts.bridge.onIrcEvent(key, event);
  }

  onTimer(id: string): Effect[] {
    return this.#opts.bridge.onTimer(id);
  }

  /** Start-up: rejoin the persistent channels read from the store. */
  restore(channels: readonly PersistentChannel[]): Effect[] {
    return this.#opts.bridge.restore(channels);
  }

  /** Shutdown: every room ends with 332 (XEP-0045 §11.2), every IRC link QUITs, nothing reconnects. */
  shutdown(message: string): Effect[] {
    return this.#opts.bridge.shutdown(message);
  }

  #toGateway(stanza: Element, from: JidParts): Effect[] {
    // A bounce to the gateway itself answers nothing we asked; it is never answered (RFC 6120 §8.3).
    if (isErrorStanza(stanza)) return [];
    const accounts = this.#opts.accounts;
    switch (stanza.name) {
      case 'iq':
        if (accounts && isAdhocRequest(stanza)) return this.#outcome(accounts.adhoc.handle(stanza, this.#ctx(from, '')));
        if (accounts && isRegistrationRequest(stanza)) return this.#outcome(handleRegister(stanza, this.#ctx(from, '')));
        return [sendStanza(gatewayIq(stanza, this.#opts.software, accounts ? [NS_MUC, ...REGISTRATION_FEATURES, ...ADHOC_FEATURES] : [NS_MUC]))];
      case 'message':
        throw new StanzaError(
          'service-unavailable',
          'the gateway itself takes no messages: write to #channel%network@gateway or nick%network@gateway',
        );
      default:
        // XEP-0100 §4–§5: subscriptions and probes of the gateway.
        return accounts ? handleGatewayPresence(stanza, this.#ctx(from, '')).map(sendStanza) : [];
    }
  }
}

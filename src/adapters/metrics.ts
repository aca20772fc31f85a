/**
 * Prometheus metrics of the running gateway (prom-client), fed at the adapter level.
 *
 * Why here and not in the core: the core returns effects and never counts; the runtime
 * sees every input and every effect, and the adapters see the wire. This module turns
 * what they see into counters and gauges, and owns its own registry (no global state).
 *
 * Rules kept (https://prometheus.io/docs/practices/naming/):
 * - names are `jabirc_<area>_<what>` in base units; counters end in `_total`;
 * - label values are bounded: stanza kinds (message, presence, iq, other), the RFC 6120
 *   §8.3.3 conditions (else `other`), directions, connection states, and network names
 *   that the configuration lists — any other network (`irc.allow_unlisted`) is
 *   `unlisted`. Never a user, a nick or a channel;
 * - children are cached per label value, and counters add up in plain numbers that reach
 *   prom-client at the scrape, so the hot path is a Map lookup and an add;
 * - gauges of current state (connections, queues, sessions, joined channels) are read
 *   from the adapters and the core when scraped, so they cannot drift;
 * - a reconnect attempt is a connect for a key whose last connection ended without the
 *   core asking (no `irc-quit` before its `closed`).
 */
import type { Element } from '@xmpp/xml';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnKey, Effect, IrcConnEvent } from '../core/effects.js';
import { hasBodyChild } from '../core/muc-stanzas.js';
import type { EventLoopDelaySummary } from './event-loop-delay.js';
import type { IrcConnectionInfo } from './irc-pool.js';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** RFC 6120 §8.3.3 defined conditions. */
const CONDITIONS = new Set([
  'bad-request',
  'conflict',
  'feature-not-implemented',
  'forbidden',
  'gone',
  'internal-server-error',
  'item-not-found',
  'jid-malformed',
  'not-acceptable',
  'not-allowed',
  'not-authorized',
  'policy-violation',
  'recipient-unavailable',
  'redirect',
  'registration-required',
  'remote-server-not-found',
  'remote-server-timeout',
  'resource-constraint',
  'service-unavailable',
  'subscription-required',
  'undefined-condition',
  'unexpected-request',
]);

const STANZA_KINDS = new Set(['message', 'presence', 'iq']);

/**
 * Bound of the per-key reconnect bookkeeping: a key stays in it from a `closed` to its
 * next connect, which may never come (the user left). Past the bound it starts afresh,
 * at worst missing a few reconnects once.
 */
const MAX_TRACKED_KEYS = 100_000;

/** The commands that carry a user's message to IRC (RFC 2812 §3.3). */
const RELAYED_COMMAND = /^(?:@\S+ +)?(?:PRIVMSG|NOTICE) /;

export interface MetricsSources {
  /** `network` itself when the configuration lists it, else a fixed value such as `unlisted`. */
  networkLabel(network: string): string;
  /** Every IRC connection now, from the pool. */
  ircConnections(): Iterable<IrcConnectionInfo>;
  /** Whether the component link is up. */
  componentOnline(): boolean;
  /** Bridge sessions (one per user and network) and channels joined summed over them, from the core. */
  bridgeStats?(): { sessions: number; channels: number };
  /** Event-loop delay since start, from event-loop-delay.ts. */
  eventLoopDelay?(): EventLoopDelaySummary;
  version: string;
}

function networkOf(key: ConnKey): string {
  return key.slice(key.indexOf(' ') + 1);
}

/** The defined condition of an error stanza, bounded to the RFC 6120 list. */
export function errorCondition(stanza: Element): string {
  const error = stanza.getChild('error');
  const name = error?.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== 'text')?.name;
  return name !== undefined && CONDITIONS.has(name) ? name : 'other';
}

/** The children of a one-label metric, cached per label value. */
class Children<C> {
  readonly #make: (label: string) => C;
  readonly #children = new Map<string, C>();

  constructor(make: (label: string) => C) {
    this.#make = make;
  }

  of(label: string): C {
    let child = this.#children.get(label);
    if (child === undefined) {
      child = this.#make(label);
      this.#children.set(label, child);
    }
    return child;
  }
}

/**
 * A counter whose children are cached per label value, and whose increments are added up
 * here and handed to prom-client when it is read (its `collect`, at every scrape): prom-client's
 * own `inc` makes the label key string and looks it up at each call, and the four or five
 * counters a relayed message moves cost 1.3 µs a message (issue 11 §2). A scrape shows what
 * it showed before: `collect` runs first.
 */
class CachedCounter {
  readonly #counts = new Map<string, { n: number; readonly child: Counter.Internal }>();
  readonly #counter: Counter;

  constructor(name: string, help: string, label: string, registers: Registry[]) {
    const counts = this.#counts;
    this.#counter = new Counter({
      name,
      help,
      labelNames: [label],
      registers,
      collect() {
        for (const c of counts.values()) {
          if (c.n === 0) continue;
          c.child.inc(c.n);
          c.n = 0;
        }
      },
    });
  }

  inc(label: string, by = 1): void {
    let c = this.#counts.get(label);
    if (c === undefined) {
      c = { n: 0, child: this.#counter.labels(label) };
      this.#counts.set(label, c);
    }
    c.n += by;
  }
}

function histogram(name: string, help: string, label: string, buckets: number[], registers: Registry[]): Children<Histogram.Internal<string>> {
  const h = new Histogram({ name, help, labelNames: [label], buckets, registers });
  return new Children((value) => h.labels(value));
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #sources: MetricsSources;
  readonly #labels = new Map<string, string>();
  readonly #stanzasIn: CachedCounter;
  readonly #stanzasOut: CachedCounter;
  readonly #stanzaErrors: CachedCounter;
  readonly #linesIn: CachedCounter;
  readonly #linesOut: CachedCounter;
  readonly #relayed: CachedCounter;
  readonly #attempts: CachedCounter;
  readonly #reconnects: CachedCounter;
  readonly #refused: CachedCounter;
  readonly #pacingWait: Children<Histogram.Internal<string>>;
  readonly #statement: Children<Histogram.Internal<string>>;
  /** Keys the core asked to quit, until their `closed`. */
  readonly #quitAsked = new Set<ConnKey>();
  /** Keys whose last connection ended without the core asking. */
  readonly #lost = new Set<ConnKey>();
  /** Stanzas handed to the link while it was down: they wait in its queue until it is back. */
  #offlineQueued = 0;

  constructor(sources: MetricsSources) {
    this.#sources = sources;
    const registers = [this.registry];
    const counter = (name: string, help: string, label: string): CachedCounter => new CachedCounter(name, help, label, registers);
    this.#stanzasIn = counter('jabirc_xmpp_stanzas_received_total', 'Stanzas the XMPP server routed to the gateway, by kind.', 'kind');
    this.#stanzasOut = counter('jabirc_xmpp_stanzas_sent_total', 'Stanzas the gateway sent, by kind.', 'kind');
    this.#stanzaErrors = counter(
      'jabirc_xmpp_stanza_errors_sent_total',
      'Error stanzas (type="error") the gateway sent, by defined condition (RFC 6120 §8.3.3).',
      'condition',
    );
    this.#linesIn = counter('jabirc_irc_lines_received_total', 'Lines read from IRC servers, by network.', 'network');
    this.#linesOut = counter(
      'jabirc_irc_lines_sent_total',
      'Lines written to IRC servers, by network, including those irc-framework sends itself (PONG, CAP).',
      'network',
    );
    this.#relayed = counter(
      'jabirc_messages_relayed_total',
      'Messages relayed: xmpp_to_irc counts PRIVMSG/NOTICE lines handed to IRC connections, irc_to_xmpp message stanzas with a body sent to XMPP users (MUC reflections included).',
      'direction',
    );
    this.#attempts = counter('jabirc_irc_connection_attempts_total', 'IRC connections opened (first ones and reconnects), by network.', 'network');
    this.#reconnects = counter(
      'jabirc_irc_reconnect_attempts_total',
      'IRC connections opened again after the previous one for the same user and network ended without the gateway asking.',
      'network',
    );
    this.#refused = counter(
      'jabirc_irc_connections_refused_total',
      'IRC connections the gateway refused by policy (a private address), by network.',
      'network',
    );

    this.#pacingWait = histogram(
      'jabirc_irc_pacing_wait_seconds',
      'Each time flood control ([irc.flood]) holds a connection’s queue, how long until its next line may go, by network.',
      'network',
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    );
    this.#statement = histogram(
      'jabirc_sqlite_statement_duration_seconds',
      'Time of each SQLite statement call of the repositories, by kind (read: get/all, write: run).',
      'kind',
      [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
      registers,
    );

    const self = this;
    new Gauge({
      name: 'jabirc_irc_connections',
      help: 'IRC connections now, by network and state (resolving, connecting, open, registered, quitting).',
      labelNames: ['network', 'state'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, { network: string; state: string; n: number }>();
        for (const c of self.#sources.ircConnections()) {
          const network = self.#label(c.network);
          const id = `${network} ${c.state}`;
          const entry = counts.get(id) ?? { network, state: c.state, n: 0 };
          entry.n++;
          counts.set(id, entry);
        }
        for (const { network, state, n } of counts.values()) this.set({ network, state }, n);
      },
    });
    new Gauge({
      name: 'jabirc_irc_send_queue_lines',
      help: 'Lines waiting to be written to IRC servers (behind flood control or the socket), by network.',
      labelNames: ['network'],
      registers,
      collect() {
        this.reset();
        const sums = new Map<string, number>();
        for (const c of self.#sources.ircConnections()) {
          const network = self.#label(c.network);
          sums.set(network, (sums.get(network) ?? 0) + c.queued);
        }
        for (const [network, n] of sums) this.set({ network }, n);
      },
    });
    new Gauge({
      name: 'jabirc_xmpp_component_online',
      help: '1 while the component link to the XMPP server is authenticated, else 0.',
      registers,
      collect() {
        this.set(self.#sources.componentOnline() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'jabirc_xmpp_send_queue_stanzas',
      help: 'Stanzas waiting for the component link to come back.',
      registers,
      collect() {
        this.set(self.#sources.componentOnline() ? 0 : self.#offlineQueued);
      },
    });
    const stats = sources.bridgeStats;
    if (stats) {
      new Gauge({
        name: 'jabirc_sessions',
        help: 'Bridge sessions now: one per XMPP user and IRC network, whatever the state of its IRC connection.',
        registers,
        collect() {
          this.set(stats().sessions);
        },
      });
      new Gauge({
        name: 'jabirc_irc_channels_joined',
        help: 'Channels joined on IRC now, summed over the sessions (two users in one channel count twice).',
        registers,
        collect() {
          this.set(stats().channels);
        },
      });
    }
    const loopDelay = sources.eventLoopDelay;
    if (loopDelay) {
      // prom-client's nodejs_eventloop_lag_* restart at each scrape and sample idle time too;
      // this one covers the busy seconds since start (event-loop-delay.ts).
      new Gauge({
        name: 'jabirc_event_loop_delay_seconds',
        help: 'How late the event loop ran a timer while it was busy, since start: quantile 0.5 and 0.99, and 1 for the maximum.',
        labelNames: ['quantile'],
        registers,
        collect() {
          const d = loopDelay();
          this.set({ quantile: '0.5' }, d.p50Ms / 1000);
          this.set({ quantile: '0.99' }, d.p99Ms / 1000);
          this.set({ quantile: '1' }, d.maxMs / 1000);
        },
      });
    }
    new Gauge({
      name: 'jabirc_build_info',
      help: 'Always 1; the version is a label.',
      labelNames: ['version'],
      registers,
    }).set({ version: sources.version }, 1);
    // process_* and nodejs_* (event-loop lag, heap, GC, handles): prom-client's defaults.
    collectDefaultMetrics({ register: this.registry });
  }

  #label(network: string): string {
    let label = this.#labels.get(network);
    if (label === undefined) {
      label = this.#sources.networkLabel(network);
      // Only configured networks are remembered by name; the rest map to few labels anyway.
      if (label === network) this.#labels.set(network, label);
    }
    return label;
  }

  stanzaIn(stanza: Element): void {
    this.#stanzasIn.inc(STANZA_KINDS.has(stanza.name) ? stanza.name : 'other');
  }

  ircLineIn(key: ConnKey): void {
    this.#linesIn.inc(this.#label(networkOf(key)));
  }

  ircLineOut(key: ConnKey): void {
    this.#linesOut.inc(this.#label(networkOf(key)));
  }

  pacingWait(key: ConnKey, waitMs: number): void {
    this.#pacingWait.of(this.#label(networkOf(key))).observe(waitMs / 1000);
  }

  sqliteStatement(kind: 'read' | 'write', seconds: number): void {
    this.#statement.of(kind).observe(seconds);
  }

  ircEvent(key: ConnKey, event: IrcConnEvent): void {
    if (event.kind !== 'closed') return;
    if (event.refused) this.#refused.inc(this.#label(networkOf(key)));
    if (this.#quitAsked.delete(key) || event.refused) this.#lost.delete(key);
    else {
      if (this.#lost.size >= MAX_TRACKED_KEYS) this.#lost.clear();
      this.#lost.add(key);
    }
  }

  /** The link authenticated again and flushes what waited. */
  componentOnline(): void {
    this.#offlineQueued = 0;
  }

  effect(effect: Effect): void {
    switch (effect.kind) {
      case 'send-stanza': {
        const { stanza } = effect;
        this.#stanzasOut.inc(STANZA_KINDS.has(stanza.name) ? stanza.name : 'other');
        if (stanza.attrs.type === 'error') this.#stanzaErrors.inc(errorCondition(stanza));
        else if (stanza.name === 'message' && hasBodyChild(stanza)) this.#relayed.inc('irc_to_xmpp');
        // XmppLink keeps at most 10,000 (its default maxQueued), dropping the oldest.
        if (!this.#sources.componentOnline()) this.#offlineQueued = Math.min(this.#offlineQueued + 1, 10_000);
        return;
      }
      case 'irc-send': {
        let n = 0;
        for (const line of effect.lines) if (RELAYED_COMMAND.test(line)) n++;
        if (n > 0) this.#relayed.inc('xmpp_to_irc', n);
        return;
      }
      case 'irc-connect': {
        const network = this.#label(effect.params.network);
        this.#attempts.inc(network);
        if (this.#lost.delete(effect.key)) this.#reconnects.inc(network);
        return;
      }
      case 'irc-quit':
        if (this.#quitAsked.size >= MAX_TRACKED_KEYS) this.#quitAsked.clear();
        this.#quitAsked.add(effect.key);
        return;
      default:
        return;
    }
  }

  /** The text exposition for a scrape. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * The XMPP adapter: Jabirc's one link to the XMPP server as an external component
 * (XEP-0114), built on @xmpp/component-core.
 *
 * Why component-core and not @xmpp/component: the latter installs an iq callee that
 * answers every iq itself (service-unavailable when no handler returns) and a fixed
 * 1-second reconnect. We need the core's one error boundary to answer each iq exactly
 * once, and a capped, jittered back-off, so we drive the connection ourselves.
 *
 * Rules:
 * - start-up: a refused connection, a wrong secret (stream error `not-authorized`,
 *   XEP-0114 §3 example 5) or a time-out rejects `start()` with one clear `LinkError`;
 *   no retry loop hides a misconfiguration;
 * - once online, a dropped link reconnects with full-jitter exponential back-off capped
 *   at `reconnectMaxDelayMs`, logging every attempt; stanzas sent meanwhile wait in a
 *   bounded queue and go out when the link is back;
 * - the handshake (a hash of the secret) never reaches the logs: wire traffic is logged
 *   at trace with `<handshake>` content replaced;
 * - every byte we write passes `xmlSafe` (core/xml-safe.ts): a character XML 1.0
 *   forbids, wherever it came from, becomes U+FFFD instead of a not-well-formed
 *   stream that would make the server drop the link for every user (issue 8 §1);
 * - a byte from the server that ltx cannot parse (it throws synchronously on
 *   `&#1;`-style references, and @xmpp/connection does not catch that) is a refused
 *   stream, not a crash: we answer `<bad-format/>` (RFC 6120 §4.9.3.1), close, log a
 *   warning and reconnect on the usual capped back-off. Dropping just the stanza is
 *   not possible: the parser's state after a throw mid-chunk is unknown, so nothing
 *   more read on that stream can be trusted. Data that arrives after the parser is
 *   gone is dropped (@xmpp/connection would throw a TypeError on it).
 *
 * Both are done by `GuardedComponent`, a subclass overriding two methods of
 * @xmpp/connection (`write`, `_onData`, read in its 0.13 source), not by patching
 * the library in place.
 *
 * Writes per turn (issue 11 §2): `send` serialises the stanza at once, through
 * `xmlSafe` like every byte of `write` (core/stanza.ts `wireText`: ltx's output byte
 * for byte; a shared channel-line text the builder checked is not scanned again), and
 * the stanzas sent during one turn of the event loop go out as one socket write, from
 * `setImmediate`, straight to the socket. A socket write costs a system call; the
 * fan-out of one IRC line to hundreds of users now costs one. Order is kept: a batch is written before anything sent after
 * it. Component `send` also set a missing `from` to the domain (XEP-0114 §3); so does
 * ours. A batch for a socket already closing is queued for the next link.
 */
import { Component } from '@xmpp/component-core';
import type { Writable } from 'node:stream';
import xml, { type Element } from '@xmpp/xml';
import { backoffDelay } from '../core/backoff.js';
import { wireText } from '../core/stanza.js';
import { xmlSafe } from '../core/xml-safe.js';
import type { Logger } from '../log.js';

export class LinkError extends Error {
  override name = 'LinkError';
}

export interface XmppLinkOptions {
  host: string;
  port: number;
  /** Component domain. */
  domain: string;
  secret: string;
  connectTimeoutMs: number;
  reconnectMaxDelayMs: number;
  log: Logger;
  /** Called for every stanza the server routes to us. */
  onStanza: (stanza: Element) => void;
  /** Called each time the link (re)authenticates. */
  onOnline?: () => void;
  /** Stanzas kept while the link is down; older ones beyond this are dropped with a warning. */
  maxQueued?: number;
  random?: () => number;
}

/** Characters of a batch's pieces written together (see `#writeBatch`). */
const WRITE_CHUNK_CHARS = 32 * 1024;

const HANDSHAKE_RE = /<handshake>[^<]*<\/handshake>/g;
/** XEP-0077 legacy `<password/>` and any data-form field whose name says it holds a secret. */
const PASSWORD_RE = /<password(\s[^>]*)?>[^<]*<\/password>/g;
const SECRET_FIELD_RE = /(<field\b[^>]*\bvar=(['"])(?:[^'"]*password[^'"]*|key|after_connect)\2[^>]*>)([\s\S]*?)(<\/field>)/g;

/** Wire traffic for the trace log: the handshake and every password replaced. */
export function redactWire(s: string): string {
  return s
    .replace(HANDSHAKE_RE, '<handshake>[Redacted]</handshake>')
    .replace(PASSWORD_RE, '<password>[Redacted]</password>')
    .replace(SECRET_FIELD_RE, (_m, open: string, _q, _inner, close: string) => `${open}<value>[Redacted]</value>${close}`);
}

/**
 * @xmpp/xml's stream parser (read in its 0.13 lib/Parser.js, on ltx 3.1's tokenizer), the
 * same elements made with less work per tag (issue 11 §2: ~0.7 of 3.3 µs a groupchat
 * stanza, in a micro-benchmark of 78-stanza reads):
 * - the tokenizer's three events (`startElement`, `endElement`, `text`) go straight to
 *   the handlers instead of through EventEmitter `emit` and a bound listener each
 *   (five a one-body message); any other event still goes the EventEmitter way;
 * - an element takes the attributes object the tokenizer made for its tag (a new one per
 *   tag, kept by nobody else) rather than a copy of it (`Object.assign` in ltx's Element).
 * Errors are the library's: the tokenizer still throws on a bad reference (see
 * `GuardedComponent#_onData`), and a mismatched end tag is still an 'error' event.
 */
export class StanzaParser extends xml.Parser {
  constructor() {
    super();
    const tokenizer = this.parser;
    const emit = tokenizer.emit;
    tokenizer.emit = (event: string, a?: unknown, b?: unknown): boolean => {
      if (event === 'startElement') this.onStartElement(a as string, b as Record<string, string>);
      else if (event === 'endElement') this.onEndElement(a as string);
      else if (event === 'text') this.onText(a as string);
      else return emit.call(tokenizer, event, a, b);
      return true;
    };
  }

  override onStartElement(name: string, attrs: Record<string, string>): void {
    const element = new xml.Element(name);
    element.attrs = attrs;
    const { root, cursor } = this;
    if (!root) {
      this.root = element;
      this.emit('start', element);
    } else if (cursor !== root) cursor!.append(element);
    this.cursor = element;
  }
}

/**
 * The component connection with Jabirc's two guards on its byte paths (see the
 * module header), parsing with `StanzaParser`. `onBadInput` is told, once per stream,
 * why the input was refused.
 */
class GuardedComponent extends Component {
  onBadInput: ((err: Error) => void) | undefined;
  override Parser = StanzaParser;

  override write(s: string): Promise<void> {
    return super.write(xmlSafe(s));
  }

  override _onData(data: Buffer): void {
    if (this.parser === null) return;
    try {
      super._onData(data);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.onBadInput?.(error);
      // Sends <bad-format/>, closes the stream and detaches the parser; the socket's
      // close then comes as 'disconnect' and the link reconnects. A server that keeps
      // the socket open after our stream error loses it after `timeout` ms.
      const socket = this.socket;
      this._onParserError(error);
      setTimeout(() => socket?.destroy(), this.timeout).unref();
    }
  }
}

export class XmppLink {
  readonly #opts: XmppLinkOptions;
  readonly #log: Logger;
  #entity: Component | undefined;
  #online = false;
  #stopping = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Serialised stanzas waiting for the link to come back. */
  readonly #queue: string[] = [];
  /** Serialised stanzas of this turn, written together by `#writeBatch`. */
  #batch: string[] = [];
  #batchScheduled = false;

  constructor(opts: XmppLinkOptions) {
    this.#opts = opts;
    this.#log = opts.log;
  }

  get online(): boolean {
    return this.#online;
  }

  /** Connects and authenticates once; rejects with a `LinkError` saying why it could not. */
  async start(): Promise<void> {
    await this.#connect();
    this.#log.info({ domain: this.#opts.domain, host: this.#opts.host, port: this.#opts.port }, 'component online');
  }

  /** Sends a stanza at the end of this turn of the event loop, or as soon as the link is back. */
  send(stanza: Element): void {
    if (!stanza.attrs.from && (stanza.name === 'message' || stanza.name === 'presence' || stanza.name === 'iq')) {
      stanza.attrs.from = this.#opts.domain;
    }
    const xml = wireText(stanza);
    if (this.#online && this.#entity) {
      this.#batch.push(xml);
      if (!this.#batchScheduled) {
        this.#batchScheduled = true;
        setImmediate(() => this.#writeBatch());
      }
      return;
    }
    this.#enqueue(xml);
  }

  /** One write (a writev) for the stanzas of this turn; what the socket refuses waits for the next link. */
  #writeBatch(): void {
    this.#batchScheduled = false;
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    const entity = this.#entity;
    if (!this.#online || !entity) {
      for (const xml of batch) this.#enqueue(xml);
      return;
    }
    const socket = (entity as unknown as { socket?: Writable | null }).socket;
    if (entity.status === 'closing' || !socket || socket.destroyed || !socket.writable) {
      this.#log.warn({ stanzas: batch.length }, 'the component socket is closing; stanzas queued for the next link');
      for (const xml of batch) this.#enqueue(xml);
      return;
    }
    // Straight to the socket, without @xmpp/connection's promise and write callback (about
    // a tenth of a private message's CPU, issue 11 §2). A write that fails later fails the
    // socket: 'error', then 'disconnect' and the reconnect, as for bytes the kernel had
    // taken and never delivered (TCP acknowledges no single write). Each stanza passed
    // xmlSafe in `send`.
    if (batch.length === 1) {
      this.#writeChunk(entity, socket, batch[0]!);
      return;
    }
    // A fan-out batch is hundreds of kilobytes. Joined into one string it cost twice the CPU
    // of pieces of about WRITE_CHUNK_CHARS corked into one writev (a micro-benchmark on this
    // machine: 1.6 against 0.8 µs a stanza, the socket's reader included): the pieces stay in
    // the cache, the one big string did not. Still one system call.
    // A batch of one piece (a few private messages that came in one turn) is written as it
    // is: corked, the stream would queue it, then write it from `uncork`, for the same one
    // system call.
    let chunk = '';
    let corked = false;
    for (const xml of batch) {
      chunk += xml;
      if (chunk.length >= WRITE_CHUNK_CHARS) {
        if (!corked) socket.cork();
        corked = true;
        this.#writeChunk(entity, socket, chunk);
        chunk = '';
      }
    }
    if (chunk !== '') this.#writeChunk(entity, socket, chunk);
    if (corked) socket.uncork();
  }

  #writeChunk(entity: Component, socket: Writable, data: string): void {
    socket.write(data);
    entity.emit('output', data);
  }

  /** Closes the stream (RFC 6120 §4.4) within `deadlineMs`, then the socket regardless. */
  async stop(deadlineMs = 5000): Promise<void> {
    this.#writeBatch();
    this.#stopping = true;
    clearTimeout(this.#timer);
    const entity = this.#entity;
    this.#entity = undefined;
    this.#online = false;
    if (!entity) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      entity.stop().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    const socket = (entity as unknown as { socket?: { destroy(): void } | null }).socket;
    socket?.destroy();
  }

  #enqueue(xml: string): void {
    const max = this.#opts.maxQueued ?? 10_000;
    this.#queue.push(xml);
    if (this.#queue.length > max) {
      const dropped = this.#queue.shift() ?? '';
      const head = /^<([^\s/>]+)[^>]*?\sto="([^"]*)"/.exec(dropped);
      this.#log.warn({ stanza: head?.[1], to: head?.[2], queued: max }, 'outgoing queue full while offline; dropped the oldest stanza');
    }
  }

  /** What waited for the link goes out first, in order, as one write. */
  #flush(): void {
    const pending = this.#queue.splice(0);
    if (pending.length === 0) return;
    this.#batch = pending.concat(this.#batch);
    this.#writeBatch();
  }

  #connect(): Promise<void> {
    const { host, port, domain, secret, connectTimeoutMs } = this.#opts;
    const entity = new GuardedComponent({ service: `xmpp://${host}:${port}`, domain });
    entity.onBadInput = (err) =>
      this.#log.warn({ reason: err.message }, 'the XMPP server sent input we cannot parse; closing the stream (bad-format)');
    entity.timeout = connectTimeoutMs;
    let streamError: string | undefined;
    let socketError: string | undefined;

    entity.on('error', (err) => {
      if (err.condition) streamError = err.condition;
      else socketError = (err as NodeJS.ErrnoException).code ?? err.message;
      // Every error is handled here: an EventEmitter with no 'error' listener would crash the process.
      this.#log.debug({ err: { message: err.message, condition: err.condition } }, 'component link error');
    });
    if (this.#log.isLevelEnabled('trace')) {
      // Whole parsed elements, not socket chunks: a secret split across two chunks would
      // escape the redaction.
      entity.on('element', (el) => this.#log.trace({ xml: redactWire(el.toString()) }, 'xmpp in'));
      entity.on('output', (s) => this.#log.trace({ xml: redactWire(s) }, 'xmpp out'));
    }
    entity.on('stanza', (el) => this.#opts.onStanza(el));

    const attempt = (async () => {
      await entity.connect(`xmpp://${host}:${port}`);
      // We write once per turn ourselves; Nagle would hold the next small write until the
      // server's (delayed) ACK: 40 ms stalls under a steady one-way flow (issue 11 §5).
      (entity as unknown as { socket?: { setNoDelay?(on: boolean): void } | null }).socket?.setNoDelay?.(true);
      const header = await entity.open({ domain, timeout: connectTimeoutMs });
      const id = header.attrs.id;
      if (!id) throw new LinkError('the XMPP server opened the component stream without an id (XEP-0114 §3)');
      await entity.authenticate(id, secret);
    })();

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LinkError(`no answer from the XMPP server at ${host}:${port} within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
    });

    return Promise.race([attempt, timeout])
      .then(() => {
        clearTimeout(timer);
        this.#entity = entity;
        this.#online = true;
        this.#attempt = 0;
        entity.on('disconnect', () => this.#onDisconnect(entity));
        this.#opts.onOnline?.();
        this.#flush();
      })
      .catch((err: unknown) => {
        clearTimeout(timer);
        const sock = (entity as unknown as { socket?: { destroy(): void } | null }).socket;
        sock?.destroy();
        if (err instanceof LinkError) throw err;
        if (streamError === 'not-authorized') {
          throw new LinkError(
            `the XMPP server at ${host}:${port} refused the handshake for ${domain}: wrong component secret (not-authorized)`,
          );
        }
        if (streamError === 'host-unknown') {
          throw new LinkError(`the XMPP server at ${host}:${port} has no component named ${domain} (host-unknown)`);
        }
        if (streamError) throw new LinkError(`the XMPP server at ${host}:${port} closed the stream: ${streamError}`);
        const code = socketError ?? (err as NodeJS.ErrnoException).code;
        if (code === 'ECONNREFUSED') throw new LinkError(`cannot connect to the XMPP server at ${host}:${port}: connection refused`);
        throw new LinkError(
          `cannot connect to the XMPP server at ${host}:${port}: ${code ?? (err as Error).message ?? String(err)}`,
        );
      });
  }

  #onDisconnect(entity: Component): void {
    if (entity !== this.#entity) return;
    this.#online = false;
    this.#entity = undefined;
    if (this.#stopping) return;
    this.#log.warn({}, 'component link lost');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopping) return;
    const delayMs = backoffDelay(
      this.#attempt,
      { baseMs: 1000, capMs: this.#opts.reconnectMaxDelayMs, minMs: 100 },
      (this.#opts.random ?? Math.random)(),
    );
    this.#attempt++;
    this.#log.info({ attempt: this.#attempt, delayMs }, 'reconnecting component link');
    const attempt = this.#attempt;
    this.#timer = setTimeout(() => {
      this.#connect().then(
        () => this.#log.info({ attempt }, 'component link restored'),
        (err: unknown) => {
          this.#log.warn({ attempt, reason: (err as Error).message }, 'component reconnect failed');
          this.#scheduleReconnect();
        },
      );
    }, delayMs);
  }
}

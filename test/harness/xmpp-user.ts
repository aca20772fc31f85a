/**
 * An XMPP user for integration tests: an @xmpp/client connection to one of
 * the harness servers, over plaintext TCP on loopback (the harness servers
 * offer no STARTTLS, and by default no SCRAM: see `offerScram` in servers.ts,
 * so @xmpp/client authenticates with PLAIN).
 *
 * Rules:
 * - Every incoming stanza is buffered from the moment the stream is online, so
 *   `waitFor` also matches stanzas that arrived before it was called. A stanza
 *   matched by `waitFor` or answering an `iq` is consumed: the next wait will
 *   not see it again.
 * - `iq()` returns the response whether `type='result'` or `type='error'`;
 *   tests assert on it. Only a timeout throws.
 * - Reconnection is off: a lost stream is a test failure, not something to hide.
 */
import { randomBytes } from 'node:crypto';
import { client, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';

export interface XmppUserOptions {
  /** Harness server address, e.g. `{ host: server.host, port: server.c2sPort }`. */
  host: string;
  port: number;
  domain: string;
  username: string;
  password: string;
  /** Default: a random `test-<hex>`. */
  resource?: string;
  /** Bound on connect + auth + bind, in ms. Default 15 s. */
  connectTimeoutMs?: number;
}

export interface XmppUser {
  /** The bound full JID, e.g. `alice@localhost/test-1a2b3c`. */
  jid: string;
  /** Bare JID, e.g. `alice@localhost`. */
  bareJid: string;
  /** Sends an element as is. */
  send(el: Element): Promise<void>;
  /** Writes raw XML on the stream, for what the serializer cannot express (e.g. `&#13;`). */
  sendRaw(xmlText: string): Promise<void>;
  /**
   * Sends an iq (adding an `id` if it has none) and resolves with the matching
   * `result` or `error` response (RFC 6120 §8.2.3).
   */
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  /** Resolves with (and consumes) the first buffered or future stanza matching `predicate`. */
  waitFor(predicate: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /** Every stanza received so far and not yet consumed, oldest first. */
  pending(): readonly Element[];
  /** Closes the stream. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_WAIT_MS = 10_000;

interface Waiter {
  predicate: (el: Element) => boolean;
  resolve: (el: Element) => void;
}

export async function connectXmppUser(opts: XmppUserOptions): Promise<XmppUser> {
  const xmpp: Client = client({
    service: `xmpp://${opts.host}:${opts.port}`,
    domain: opts.domain,
    username: opts.username,
    password: opts.password,
    resource: opts.resource ?? `test-${randomBytes(3).toString('hex')}`,
  });
  xmpp.reconnect.stop();

  const buffer: Element[] = [];
  const waiters = new Set<Waiter>();
  const errors: Error[] = [];
  xmpp.on('error', (err) => errors.push(err));
  xmpp.on('stanza', (el) => {
    for (const w of waiters) {
      if (w.predicate(el)) {
        waiters.delete(w);
        w.resolve(el);
        return;
      }
    }
    buffer.push(el);
  });

  const connectTimeoutMs = opts.connectTimeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      xmpp.start(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
      }),
    ]);
  } catch (err) {
    await xmpp.stop().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    const seen = errors.map((e) => e.message).join('; ');
    throw new Error(
      `XMPP login ${opts.username}@${opts.domain} via ${opts.host}:${opts.port} failed: ${reason}${seen ? ` (errors: ${seen})` : ''}`,
    );
  } finally {
    clearTimeout(timer);
  }
  const jid = String(xmpp.jid);

  const waitFor = (predicate: (el: Element) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<Element> => {
    const i = buffer.findIndex(predicate);
    if (i >= 0) return Promise.resolve(buffer.splice(i, 1)[0] as Element);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (el) => {
          clearTimeout(t);
          resolve(el);
        },
      };
      const t = setTimeout(() => {
        waiters.delete(waiter);
        const recent = buffer.slice(-5).map(String).join('\n  ');
        reject(
          new Error(`${jid}: no matching stanza within ${timeoutMs} ms; last unconsumed stanzas:\n  ${recent || '(none)'}`),
        );
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  let stopped: Promise<void> | undefined;
  return {
    jid,
    bareJid: jid.replace(/\/.*$/, ''),
    send: (el) => xmpp.send(el),
    sendRaw: (xmlText) => xmpp.write(xmlText),
    async iq(el, timeoutMs = DEFAULT_WAIT_MS) {
      if (!el.is('iq')) throw new Error(`iq() needs an <iq/>, got <${el.name}/>`);
      el.attrs.id ??= `iq-${randomBytes(6).toString('hex')}`;
      const id = el.attrs.id;
      const response = waitFor(
        (s) => s.is('iq') && s.attrs.id === id && (s.attrs.type === 'result' || s.attrs.type === 'error'),
        timeoutMs,
      );
      await xmpp.send(el);
      return response;
    },
    waitFor,
    pending: () => [...buffer],
    stop() {
      stopped ??= xmpp.stop().then(
        () => undefined,
        () => undefined,
      );
      return stopped;
    },
  };
}

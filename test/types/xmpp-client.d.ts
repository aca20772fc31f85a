/**
 * Type declarations for the parts of @xmpp/client 0.13 that the test harness
 * uses (the package ships none). Elements are the `@xmpp/xml` type declared in
 * src/types/xmpp.d.ts. Checked against node_modules/@xmpp/client/index.js and
 * @xmpp/connection/index.js.
 */
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';

  export interface ClientOptions {
    /** e.g. `xmpp://127.0.0.1:5222` (plain TCP; STARTTLS only if the server offers it). */
    service: string;
    domain: string;
    username?: string;
    password?: string;
    resource?: string;
  }

  /** The bound full JID (@xmpp/jid); only its string form is used. */
  export interface Jid {
    toString(): string;
    bare(): Jid;
  }

  export interface Client extends EventEmitter {
    status: string;
    jid: Jid | null;
    /** Connects, authenticates and binds; resolves with the bound JID. */
    start(): Promise<Jid>;
    /** Closes the stream and the socket; stops reconnecting too. */
    stop(): Promise<Element | undefined>;
    send(...elements: Element[]): Promise<void>;
    /** Writes raw text on the stream (@xmpp/connection `write`), e.g. a character reference ltx would not produce. */
    write(text: string): Promise<void>;
    /** @xmpp/reconnect, enabled by default. */
    reconnect: { stop(): void };
    on(event: 'stanza', cb: (el: Element) => void): this;
    on(event: 'error', cb: (err: Error) => void): this;
    on(event: 'offline' | 'online', cb: () => void): this;
    on(event: 'status', cb: (status: string) => void): this;
  }

  export function client(options: ClientOptions): Client;
}

/**
 * Type declarations for the parts of irc-framework 4.14 that Jabirc uses (the package ships none).
 * Declare only what is used; every addition should be checked against the package source
 * (node_modules/irc-framework/src/client.js, connection.js, transports/net.js).
 */
declare module 'irc-framework' {
  /**
   * What `Connection` (connection.js) needs of a transport: it constructs one per
   * connect with the client options, listens for `open`, `line` (one line, without
   * its line ending), `close` (the socket error, or false), `debug` and `extra`, and
   * calls the methods below.
   */
  export interface IrcTransport {
    on(event: string, listener: (...args: unknown[]) => void): unknown;
    removeAllListeners(event?: string): unknown;
    connect(): void;
    /** Writes one line; the transport appends CRLF. `cb` runs once written (or dropped). */
    writeLine(line: string, cb?: () => void): void;
    /** Ends the socket gracefully, or destroys it when `force` or still connecting. */
    close(force: boolean): void;
    disposeSocket(): void;
    /** Returns whether the encoding is usable. */
    setEncoding(encoding: string): boolean;
    isConnected(): boolean;
  }

  export type IrcTransportClass = new (options: ClientOptions) => IrcTransport;

  /** Options read by client.js `_applyDefaultOptions`, registration and the CAP handler. */
  export interface ClientOptions {
    host?: string;
    port?: number;
    tls?: boolean;
    nick: string;
    username: string;
    gecos: string;
    encoding?: string;
    /** CTCP VERSION reply text; null or '' means no automatic reply (messaging.js). */
    version?: string | null;
    /** Server password: sent as PASS, and as SASL PLAIN when `account` is not an object. */
    password?: string;
    /** SASL PLAIN credentials; an empty object turns SASL off even when `password` is set. */
    account?: { account?: string; password?: string };
    enable_echomessage?: boolean;
    enable_chghost?: boolean;
    enable_setname?: boolean;
    auto_reconnect?: boolean;
    /** Seconds between PINGs once registered; 0 disables. */
    ping_interval?: number;
    /** Seconds without any data before the client gives up ("ping timeout"); 0 disables. */
    ping_timeout?: number;
    sasl_disconnect_on_fail?: boolean;
    transport?: IrcTransportClass;
  }

  export interface RawEvent {
    line: string;
    from_server: boolean;
  }

  export interface RegisteredEvent {
    nick: string;
  }

  /** `irc error` events; `error` is `irc` for an ERROR line, whose text is `reason`. */
  export interface IrcErrorEvent {
    error: string;
    reason?: string;
  }

  export interface Connection {
    connected: boolean;
  }

  export class Client {
    constructor(options?: ClientOptions);
    readonly connection: Connection;
    connect(options?: ClientOptions): void;
    /** With one string argument, writes it unchanged (client.js `rawString`). */
    raw(line: string): void;
    /** Writes `QUIT :message`, then ends the socket once written. */
    quit(message?: string): void;
    on(event: 'raw', listener: (event: RawEvent) => void): this;
    on(event: 'registered', listener: (event: RegisteredEvent) => void): this;
    on(event: 'irc error', listener: (event: IrcErrorEvent) => void): this;
    on(event: 'socket connected' | 'ping timeout', listener: () => void): this;
    on(event: 'socket close', listener: (err: Error | false | undefined) => void): this;
    on(event: 'error', listener: (err: unknown) => void): this;
    /** eventemitter3: the listener is called with `context` as `this`. */
    on<C>(event: string, listener: (this: C, ...args: any[]) => void, context: C): this;
    removeAllListeners(event?: string): this;
  }
}

/**
 * The client class alone (`module.exports = class IrcClient`): the package index also
 * loads the default transport (socks, ip-address, iconv-lite, net/tls) that Jabirc never
 * uses, since every connection brings its own transport (irc-pool.ts).
 */
declare module 'irc-framework/src/client.js' {
  import { Client } from 'irc-framework';
  export default Client;
}

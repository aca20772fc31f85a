/**
 * Type declarations for the parts of xmpp.js that Jabirc uses (the packages ship none).
 * Declare only what is used; every addition should be checked against the package source.
 */
declare module '@xmpp/xml' {
  export type Attrs = Record<string, string | number | undefined>;
  export type Node = Element | string;

  /** ltx Element (node_modules/ltx/lib/Element.js). */
  export class Element {
    constructor(name: string, attrs?: Attrs);
    name: string;
    attrs: Record<string, string | undefined>;
    children: Node[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    append(...nodes: Node[]): Element;
    c(name: string, attrs?: Attrs): Element;
    t(text: string): Element;
    up(): Element;
    root(): Element;
    text(val?: string): string;
    attr(attr: string, val?: string): string | undefined;
    toString(): string;
  }

  /** @xmpp/xml lib/Parser.js: builds elements from ltx's tokenizer (ltx/lib/parsers/ltx.js) events. */
  export class Parser {
    constructor();
    write(data: string): void;
    end(data?: string): void;
    on(event: 'element', cb: (el: Element) => void): this;
    on(event: 'start', cb: (el: Element) => void): this;
    on(event: 'error', cb: (err: Error) => void): this;
    emit(event: string, ...args: unknown[]): boolean;
    /** The ltx tokenizer; it reports `startElement`, `endElement` and `text` by emitting them on itself. */
    parser: { emit(event: string, ...args: unknown[]): boolean };
    /** The stream's root element, and the element being built. */
    root: Element | null;
    cursor: Element | null;
    onStartElement(name: string, attrs: Record<string, string>): void;
    onEndElement(name: string): void;
    onText(text: string): void;
  }

  export class XMLError extends Error {}

  export function escapeXML(s: string): string;

  interface Xml {
    (name: string, attrs?: Attrs | null, ...children: Array<Node | Node[] | null | undefined | false>): Element;
    Element: typeof Element;
    Parser: typeof Parser;
    XMLError: typeof XMLError;
    escapeXML: typeof escapeXML;
  }
  const xml: Xml;
  export default xml;
}

declare module '@xmpp/component-core' {
  import type { EventEmitter } from 'node:events';
  import type { Element, Parser } from '@xmpp/xml';

  export type Status =
    | 'offline'
    | 'connecting'
    | 'connect'
    | 'opening'
    | 'open'
    | 'online'
    | 'closing'
    | 'close'
    | 'disconnecting'
    | 'disconnect';

  /** XEP-0114 component connection (lib/Component.js over @xmpp/connection-tcp). */
  export class Component extends EventEmitter {
    constructor(options: { service: string; domain: string });
    status: Status;
    timeout: number;
    options: { service: string; domain: string };
    connect(service: string): Promise<void>;
    open(options: { domain: string; timeout?: number }): Promise<Element>;
    authenticate(id: string, password: string): Promise<void>;
    send(el: Element): Promise<void>;
    stop(): Promise<Element | undefined>;
    disconnect(timeout?: number): Promise<void>;
    on(event: 'stanza' | 'nonza' | 'element', cb: (el: Element) => void): this;
    on(event: 'open', cb: (el: Element) => void): this;
    on(event: 'online', cb: () => void): this;
    on(event: 'disconnect', cb: (info: { clean: boolean }) => void): this;
    on(event: 'error', cb: (err: Error & { condition?: string }) => void): this;
    on(event: 'status', cb: (status: Status) => void): this;
    on(event: 'input' | 'output', cb: (s: string) => void): this;
    /** @xmpp/connection: writes a serialised string on the socket (every send passes here). */
    write(s: string): Promise<void>;
    /** @xmpp/connection: the TCP socket, null when detached. */
    socket: { destroy(): void } | null;
    /** @xmpp/connection: the stream parser, null once detached (after a parse error or close). */
    parser: unknown;
    /** @xmpp/connection: the class `open` makes each stream's parser from (`new this.Parser()`). */
    Parser: new () => Parser;
    /** @xmpp/connection: a socket 'data' chunk, fed to the parser synchronously. */
    _onData(data: Buffer): void;
    /** @xmpp/connection: sends `<bad-format/>`, closes the stream, detaches the parser, emits 'error'. */
    _onParserError(err: Error): void;
  }
}

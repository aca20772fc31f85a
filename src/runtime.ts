/**
 * Carries out the core's effects with the adapters, and feeds adapter input to the core.
 *
 * Why: the core decides, adapters do IO; this is the only module that holds both. It
 * owns no protocol logic: each effect kind maps to one adapter call. Adapter callbacks
 * that arrive while effects are being carried out are queued, so the core is never
 * re-entered.
 */
import type { Element } from '@xmpp/xml';
import type { ConnKey, Effect, IrcConnectParams, IrcConnEvent } from './core/effects.js';
import type { Logger } from './log.js';

export interface StanzaSink {
  send(stanza: Element): void;
}

export interface IrcSink {
  connect(key: ConnKey, params: IrcConnectParams): void;
  send(key: ConnKey, lines: string[]): void;
  quit(key: ConnKey, message: string): void;
}

/** Sees every input and effect (metrics); must not throw, and cannot change anything. */
export interface RuntimeObserver {
  stanzaIn(stanza: Element): void;
  ircLineIn(key: ConnKey): void;
  ircEvent(key: ConnKey, event: IrcConnEvent): void;
  effect(effect: Effect): void;
}

// What `Runtime#see` calls: functions that capture nothing, so seeing makes no closure.
const seeStanza = (o: RuntimeObserver, stanza: Element): void => o.stanzaIn(stanza);
const seeIrcLine = (o: RuntimeObserver, key: ConnKey): void => o.ircLineIn(key);
const seeIrcEvent = (o: RuntimeObserver, [key, event]: readonly [ConnKey, IrcConnEvent]): void => o.ircEvent(key, event);
const seeEffect = (o: RuntimeObserver, effect: Effect): void => o.effect(effect);

/** What the runtime needs of the core. */
export interface CoreInputs {
  onStanza(stanza: Element): Effect[];
  onIrcLine(key: ConnKey, line: string): Effect[];
  onIrcEvent(key: ConnKey, event: IrcConnEvent): Effect[];
  onTimer(id: string): Effect[];
}

export class Runtime {
  readonly #core: CoreInputs;
  readonly #xmpp: StanzaSink;
  readonly #irc: IrcSink;
  readonly #log: Logger;
  readonly #observer: RuntimeObserver | undefined;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #busy = false;
  readonly #pending: Array<() => Effect[]> = [];

  constructor(core: CoreInputs, xmpp: StanzaSink, irc: IrcSink, log: Logger, observer?: RuntimeObserver) {
    this.#core = core;
    this.#xmpp = xmpp;
    this.#irc = irc;
    this.#log = log;
    this.#observer = observer;
  }

  onStanza(stanza: Element): void {
    if (this.#observer) this.#see(seeStanza, stanza);
    this.#input(() => this.#core.onStanza(stanza));
  }

  onIrcLine(key: ConnKey, line: string): void {
    if (this.#observer) this.#see(seeIrcLine, key);
    this.#input(() => this.#core.onIrcLine(key, line));
  }

  onIrcEvent(key: ConnKey, event: IrcConnEvent): void {
    if (this.#observer) this.#see(seeIrcEvent, [key, event] as const);
    this.#input(() => this.#core.onIrcEvent(key, event));
  }

  /** Runs a core step that is not an adapter input (start-up restore, admin actions). */
  inject(step: () => Effect[]): void {
    this.#input(step);
  }

  /** Cancels every timer (at shutdown). */
  stop(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  /**
   * An observer's bug is logged; it never stops an input or an effect. Callers test
   * `#observer` first, and pass one of the `see…` functions above with its argument.
   */
  #see<A>(look: (observer: RuntimeObserver, arg: A) => void, arg: A): void {
    if (this.#observer === undefined) return;
    try {
      look(this.#observer, arg);
    } catch (err) {
      this.#log.error({ err }, 'runtime observer failed');
    }
  }

  #input(step: () => Effect[]): void {
    if (this.#busy) {
      this.#pending.push(step);
      return;
    }
    this.#busy = true;
    // Not busy means nothing is pending (the loop below drains the queue): the input runs
    // without a trip through it.
    try {
      for (let next: (() => Effect[]) | undefined = step; next; next = this.#pending.shift()) {
        let effects: Effect[];
        try {
          effects = next();
        } catch (err) {
          this.#log.error({ err }, 'core failed on an input');
          continue;
        }
        this.#run(effects);
      }
    } finally {
      this.#busy = false;
    }
  }

  #run(effects: Effect[]): void {
    const observer = this.#observer;
    for (const effect of effects) {
      if (observer) this.#see(seeEffect, effect);
      try {
        this.#apply(effect);
      } catch (err) {
        this.#log.error({ err, effect: effect.kind }, 'failed to carry out an effect');
      }
    }
  }

  #apply(effect: Effect): void {
    switch (effect.kind) {
      case 'send-stanza':
        this.#xmpp.send(effect.stanza);
        return;
      case 'irc-connect':
        this.#irc.connect(effect.key, effect.params);
        return;
      case 'irc-send':
        this.#irc.send(effect.key, effect.lines);
        return;
      case 'irc-quit':
        this.#irc.quit(effect.key, effect.message);
        return;
      case 'set-timer': {
        clearTimeout(this.#timers.get(effect.id));
        const id = effect.id;
        const t = setTimeout(() => {
          this.#timers.delete(id);
          this.#input(() => this.#core.onTimer(id));
        }, effect.delayMs);
        t.unref();
        this.#timers.set(id, t);
        return;
      }
      case 'clear-timer':
        clearTimeout(this.#timers.get(effect.id));
        this.#timers.delete(effect.id);
        return;
      default: {
        const unknown: never = effect;
        this.#log.error({ effect: unknown }, 'unknown effect');
      }
    }
  }
}

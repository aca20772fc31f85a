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

// What `Runtime#input` calls: capture-free too, so an input the core takes at once makes
// no closure (one per IRC line and per stanza before; issue 11 §2). Only an input that
// must wait for the one being handled is wrapped.
type Step<A, B> = (core: CoreInputs, a: A, b: B) => Effect[];
const stanzaStep: Step<Element, undefined> = (core, stanza) => core.onStanza(stanza);
const ircLineStep: Step<ConnKey, string> = (core, key, line) => core.onIrcLine(key, line);
const ircEventStep: Step<ConnKey, IrcConnEvent> = (core, key, event) => core.onIrcEvent(key, event);
const timerStep: Step<string, undefined> = (core, id) => core.onTimer(id);
const injectedStep: Step<() => Effect[], undefined> = (_core, step) => step();

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
    this.#input(stanzaStep, stanza, undefined);
  }

  onIrcLine(key: ConnKey, line: string): void {
    if (this.#observer) this.#see(seeIrcLine, key);
    this.#input(ircLineStep, key, line);
  }

  onIrcEvent(key: ConnKey, event: IrcConnEvent): void {
    if (this.#observer) this.#see(seeIrcEvent, [key, event] as const);
    this.#input(ircEventStep, key, event);
  }

  /** Runs a core step that is not an adapter input (start-up restore, admin actions). */
  inject(step: () => Effect[]): void {
    this.#input(injectedStep, step, undefined);
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

  #input<A, B>(step: Step<A, B>, a: A, b: B): void {
    if (this.#busy) {
      this.#pending.push(() => step(this.#core, a, b));
      return;
    }
    this.#busy = true;
    // Not busy means nothing is pending (the loop below drains the queue): the input runs
    // without a trip through it.
    try {
      this.#step(step, a, b);
      for (let next = this.#pending.shift(); next; next = this.#pending.shift()) this.#step(injectedStep, next, undefined);
    } finally {
      this.#busy = false;
    }
  }

  #step<A, B>(step: Step<A, B>, a: A, b: B): void {
    let effects: Effect[];
    try {
      effects = step(this.#core, a, b);
    } catch (err) {
      this.#log.error({ err }, 'core failed on an input');
      return;
    }
    this.#run(effects);
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
          this.#input(timerStep, id, undefined);
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

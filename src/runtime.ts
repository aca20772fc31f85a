/**
 * Carries out the core's effects with the adapters, and feeds adapter input to the core.
 *
 * Why: the core decides, adapters do IO; this is the only module that holds both. It
 * owns no protocol logic: each effect kind maps to one adapter call.
 */
import type { Element } from '@xmpp/xml';
import type { Effect } from './core/effects.js';
import type { GatewayCore } from './core/gateway.js';
import type { Logger } from './log.js';

export interface StanzaSink {
  send(stanza: Element): void;
}

export class Runtime {
  readonly #core: GatewayCore;
  readonly #xmpp: StanzaSink;
  readonly #log: Logger;

  constructor(core: GatewayCore, xmpp: StanzaSink, log: Logger) {
    this.#core = core;
    this.#xmpp = xmpp;
    this.#log = log;
  }

  onStanza(stanza: Element): void {
    this.#run(this.#core.onStanza(stanza));
  }

  #run(effects: Effect[]): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case 'send-stanza':
          this.#xmpp.send(effect.stanza);
          break;
        default: {
          const never: never = effect.kind;
          this.#log.error({ effect: never }, 'unknown effect');
        }
      }
    }
  }
}

/**
 * The one error boundary: where thrown errors become stanza errors.
 *
 * Rules (RFC 6120 §8.3.1):
 * - a `StanzaError` thrown while handling a stanza becomes an error reply with its
 *   condition and text;
 * - anything else is our bug: logged at error with its stack, answered with
 *   `internal-server-error`, so the sender is never left waiting;
 * - a stanza of type `error` is never answered (that could loop between two entities);
 *   a failure while handling one is only logged;
 * - an unavailable presence is never answered with an error either: it asks nothing.
 */
import type { Element } from '@xmpp/xml';
import { sendStanza, type Effect } from './effects.js';
import { StanzaError } from './errors.js';
import type { CoreLog } from './log-port.js';
import { errorReply, isErrorStanza } from './stanza.js';

export function withErrorBoundary(stanza: Element, log: CoreLog, handle: () => Effect[]): Effect[] {
  try {
    return handle();
  } catch (thrown) {
    const answerable = !isErrorStanza(stanza) && !(stanza.name === 'presence' && stanza.attrs.type === 'unavailable');
    if (thrown instanceof StanzaError) {
      log.debug({ condition: thrown.condition, to: stanza.attrs.to, stanza: stanza.name }, 'stanza refused');
      return answerable ? [sendStanza(errorReply(stanza, thrown))] : [];
    }
    log.error({ err: thrown, to: stanza.attrs.to, stanza: stanza.name }, 'failed to handle stanza');
    return answerable ? [sendStanza(errorReply(stanza, new StanzaError('internal-server-error')))] : [];
  }
}

/**
 * Typed stanza errors (RFC 6120 §8.3).
 *
 * Why: a handler that refuses a request throws a `StanzaError` naming the defined
 * condition and error type; the one error boundary (`router.ts`) turns it into the
 * `<error/>` reply. Anything else that is thrown is our bug and becomes
 * `internal-server-error`, logged with its stack.
 */
export type ErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/** RFC 6120 §8.3.3 defined conditions, with the error type §8.3.3 recommends for each. */
export const CONDITION_TYPES = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
} as const satisfies Record<string, ErrorType>;

export type Condition = keyof typeof CONDITION_TYPES;

export class StanzaError extends Error {
  override name = 'StanzaError';
  readonly condition: Condition;
  readonly errorType: ErrorType;
  /** Human-readable text for the user (RFC 6120 §8.3.2 `<text/>`), e.g. the IRC server's words. */
  readonly text: string | undefined;

  constructor(condition: Condition, text?: string, errorType?: ErrorType) {
    super(text ? `${condition}: ${text}` : condition);
    this.condition = condition;
    this.errorType = errorType ?? CONDITION_TYPES[condition];
    this.text = text;
  }
}

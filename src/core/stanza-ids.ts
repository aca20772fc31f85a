/**
 * Ids for the stanzas the gateway makes (message ids, XEP-0359 stanza-ids of lines it
 * does not archive): a prefix drawn once at start, then a counter.
 *
 * Why not a UUID each: an id is made for every private message and for every copy of a
 * channel line, and `randomUUID` was 3 % of the CPU of IRC → XMPP private messages
 * (perf, issue 11 §2). These ids need to be unique, not secret: nothing is granted by
 * knowing one (ad-hoc session ids, which are, stay random). A 72-bit random prefix keeps
 * two runs of the gateway from reusing each other's ids.
 *
 * Rules: the prefix is used as given (the caller draws it, so the core stays pure); ids
 * are the prefix then the counter in base 36, never repeating within a run.
 */
export function sequentialIds(prefix: string): () => string {
  let next = 0;
  // Joined, not `+`: `+` makes a rope (a cons string) of the two, and every regular
  // expression that then tests the id (the escaping checks of each stanza it goes into)
  // takes V8's slow path to flatten it first; join makes it flat once (issue 11 §2).
  return () => [prefix, (next++).toString(36)].join('');
}

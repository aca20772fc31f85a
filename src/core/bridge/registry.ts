/**
 * The live sessions: one per (bare JID, network), found by key or by user.
 *
 * Why: the message path looks a session up by its connection key (IRC input) or by the
 * sender and network (XMPP input); both are one map lookup here, and nothing scans all
 * sessions on the way. The per-user limits are counted here and nowhere else.
 *
 * Rules: `add` and `forget` are inverses and the only writers of both maps; the channel
 * count of a user is over every network (the limit the operator sets is per user).
 */
import type { ConnKey } from '../effects.js';
import type { BareJid } from '../jid.js';
import type { Session } from '../session.js';

export class SessionRegistry {
  readonly #sessions = new Map<ConnKey, Session>();
  /** Per-user index: bare JID → network → session. */
  readonly #byUser = new Map<BareJid, Map<string, Session>>();

  /**
   * Says that one of `s`'s channels or resources came or went (rooms.ts, presence.ts, a
   * remap in connection.ts): `s.routes` changes, so what was found for its messages before
   * is looked up again (xmpp-to-irc/message.ts `roomRoute`). `forget` calls it too, and
   * `add` for a session it replaces.
   */
  changed(s: Session): void {
    s.routes++;
  }

  get size(): number {
    return this.#sessions.size;
  }

  byKey(key: ConnKey): Session | undefined {
    return this.#sessions.get(key);
  }

  get(user: BareJid, network: string): Session | undefined {
    return this.#byUser.get(user)?.get(network);
  }

  /** The user's sessions, as a copy (safe to close while iterating). */
  ofUser(user: BareJid): Session[] {
    return [...(this.#byUser.get(user)?.values() ?? [])];
  }

  /** How many networks the user is connected to. */
  networkCount(user: BareJid): number {
    return this.#byUser.get(user)?.size ?? 0;
  }

  /** How many channels the user is in (joined or joining), over every network. */
  channelCount(user: BareJid): number {
    let n = 0;
    for (const s of this.#byUser.get(user)?.values() ?? []) n += s.channels.size;
    return n;
  }

  all(): Session[] {
    return [...this.#sessions.values()];
  }

  users(): BareJid[] {
    return [...this.#byUser.keys()];
  }

  add(s: Session): Session {
    const replaced = this.#sessions.get(s.key);
    if (replaced !== undefined && replaced !== s) this.changed(replaced);
    this.#sessions.set(s.key, s);
    let mine = this.#byUser.get(s.user);
    if (!mine) this.#byUser.set(s.user, (mine = new Map()));
    mine.set(s.network, s);
    return s;
  }

  forget(s: Session): void {
    this.changed(s);
    this.#sessions.delete(s.key);
    const mine = this.#byUser.get(s.user);
    mine?.delete(s.network);
    if (mine?.size === 0) this.#byUser.delete(s.user);
  }
}

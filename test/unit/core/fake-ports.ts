/**
 * In-memory fakes of our own port interfaces for the core tests: IdentityStore and
 * ChannelStore (core/ports.ts) and RoomEncodingStore (core/ports.ts, with or without
 * recording), each on a Map, a Set or an array so every write can be read back. They
 * are small working implementations of interfaces this project defines, not mocks of a
 * library; the SQLite adapters in `src/store/` are tested against the real database
 * separately.
 *
 * Like the SQLite stores, identities are copied in and out, and channel names match
 * without regard to ASCII case.
 */
import type { RoomEncodingStore } from '../../../src/core/ports.js';
import { StanzaError } from '../../../src/core/errors.js';
import type { ChannelStore, IdentityStore, NetworkIdentity, PersistentChannel } from '../../../src/core/ports.js';

const sameChannel = (c: PersistentChannel, user: string, network: string, channel: string): boolean =>
  c.user === user && c.network === network && c.channel.toLowerCase() === channel.toLowerCase();

/** IdentityStore on a Map keyed `${user} ${network}` (network '' = the user's defaults). */
export class MemoryIdentities implements IdentityStore {
  readonly byKey = new Map<string, NetworkIdentity>();
  get(user: string, network: string): NetworkIdentity | undefined {
    const id = this.byKey.get(`${user} ${network}`);
    return id && { ...id };
  }
  set(user: string, network: string, identity: NetworkIdentity): void {
    this.byKey.set(`${user} ${network}`, { ...identity });
  }
  networks(user: string): string[] {
    return [...this.byKey.keys()].filter((k) => k.startsWith(`${user} `) && !k.endsWith(' ')).map((k) => k.slice(user.length + 1));
  }
  remove(user: string, network?: string): void {
    for (const k of [...this.byKey.keys()]) if (network === undefined ? k.startsWith(`${user} `) : k === `${user} ${network}`) this.byKey.delete(k);
  }
  users(): string[] {
    return [...new Set([...this.byKey.keys()].map((k) => k.split(' ')[0] as string))];
  }
}

/**
 * IdentityStore and ChannelStore in one object, as the entity contexts take them. Both
 * ports have a `get`: with two arguments it is IdentityStore's, with a channel
 * ChannelStore's (overloads, so the one object satisfies both interfaces).
 */
export class MemoryPorts extends MemoryIdentities implements ChannelStore {
  readonly rooms: PersistentChannel[] = [];
  override get(user: string, network: string): NetworkIdentity | undefined;
  override get(user: string, network: string, channel: string): PersistentChannel | undefined;
  override get(user: string, network: string, channel?: string): NetworkIdentity | PersistentChannel | undefined {
    if (channel === undefined) return super.get(user, network);
    const c = this.rooms.find((r) => sameChannel(r, user, network, channel));
    return c && { ...c };
  }
  setPersistent(ch: PersistentChannel, persistent: boolean): void {
    const i = this.rooms.findIndex((c) => sameChannel(c, ch.user, ch.network, ch.channel));
    if (i !== -1) this.rooms.splice(i, 1);
    if (persistent) this.rooms.push({ ...ch });
  }
  isPersistent(user: string, network: string, channel: string): boolean {
    return this.rooms.some((c) => sameChannel(c, user, network, channel));
  }
  count(user: string): number {
    return this.rooms.filter((c) => c.user === user).length;
  }
  all(): PersistentChannel[] {
    return [...this.rooms];
  }
  removeUser(user: string): void {
    for (let i = this.rooms.length - 1; i >= 0; i--) if (this.rooms[i]?.user === user) this.rooms.splice(i, 1);
  }
}

/** RoomEncodingStore on a Map keyed `${user} ${network} ${channel}`; undefined forgets. */
export class MemoryRoomEncodings implements RoomEncodingStore {
  readonly byKey = new Map<string, string>();
  get(user: string, network: string, channel: string): string | undefined {
    return this.byKey.get(`${user} ${network} ${channel}`);
  }
  set(user: string, network: string, channel: string, encoding: string | undefined): void {
    if (encoding === undefined) this.byKey.delete(`${user} ${network} ${channel}`);
    else this.byKey.set(`${user} ${network} ${channel}`, encoding);
  }
}

/** MemoryRoomEncodings that also keeps whether each room is recorded (issue 10 §5): a Set of the rooms not recorded. */
export class MemoryRoomSettings extends MemoryRoomEncodings {
  readonly notRecorded = new Set<string>();
  recording(user: string, network: string, channel: string): boolean {
    return !this.notRecorded.has(`${user} ${network} ${channel.toLowerCase()}`);
  }
  setRecording(user: string, network: string, channel: string, record: boolean): void {
    if (record) this.notRecorded.delete(`${user} ${network} ${channel.toLowerCase()}`);
    else this.notRecorded.add(`${user} ${network} ${channel.toLowerCase()}`);
  }
}

/** The StanzaError `run` throws; fails the test when it throws nothing or something else. */
export function thrown(run: () => unknown): StanzaError {
  try {
    run();
  } catch (err) {
    if (err instanceof StanzaError) return err;
    throw err;
  }
  throw new Error('expected a StanzaError');
}

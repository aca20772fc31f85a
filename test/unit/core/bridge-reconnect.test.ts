/**
 * Coming back after an IRC server restart as a good citizen (issue 8 §8): one probe per
 * network, the rest brought back paced once it is up, and the user told once when the
 * link is lost and once when it is back — never per attempt.
 */
import { describe, expect, it } from 'vitest';
import { Scenario, ofKind, stanzasTo, user, type User } from './bridge-harness.js';

const users: User[] = Array.from({ length: 25 }, (_, i) => user(`u${i}`));

function allJoined(): Scenario {
  const s = new Scenario();
  for (const u of users) s.joinChannel(u, '#chan');
  return s;
}

function roomNotes(s: Scenario, effects: Parameters<typeof stanzasTo>[0], u: User): string[] {
  return stanzasTo(effects, u.full).filter((m) => m.name === 'message' && m.attrs.from === s.room('#chan')).map((m) => m.getChildText('body') ?? '');
}

describe('reconnecting after a server restart', () => {
  it('arms one reconnect timer for the whole network, then brings the others back paced', () => {
    const s = allJoined();
    const lost = users.flatMap((u) => s.event(u, { kind: 'closed', reason: 'Server shutting down' }));
    const timers = ofKind(lost, 'set-timer').filter((t) => t.id.startsWith('reconnect '));
    expect(timers.map((t) => t.id)).toEqual([`reconnect ${s.key(users[0]!)}`]);
    expect(timers[0]!.delayMs).toBeLessThanOrEqual(15_000);

    // The probe fails twice (the server is still down): still one connection at a time.
    for (let i = 0; i < 2; i++) {
      const attempt = s.timer(`reconnect ${s.key(users[0]!)}`);
      expect(ofKind(attempt, 'irc-connect')).toHaveLength(1);
      const failed = s.event(users[0]!, { kind: 'closed', reason: 'Connection refused' });
      const again = ofKind(failed, 'set-timer');
      expect(again.map((t) => t.id)).toEqual([`reconnect ${s.key(users[0]!)}`]);
      expect(again[0]!.delayMs).toBeLessThanOrEqual(15_000);
    }

    // The server is back: the probe registers, the others follow at 10 a second.
    s.timer(`reconnect ${s.key(users[0]!)}`);
    const up = s.register(users[0]!);
    const [release] = ofKind(up, 'set-timer').filter((t) => t.id.startsWith('release '));
    expect(release?.delayMs).toBe(0);
    const batch1 = s.timer(release!.id);
    expect(ofKind(batch1, 'irc-connect')).toHaveLength(10);
    expect(ofKind(batch1, 'set-timer').find((t) => t.id === release!.id)?.delayMs).toBe(1000);
    expect(ofKind(s.timer(release!.id), 'irc-connect')).toHaveLength(10);
    const batch3 = s.timer(release!.id);
    expect(ofKind(batch3, 'irc-connect')).toHaveLength(4);
    expect(ofKind(batch3, 'set-timer')).toEqual([]);
    const connected = new Set([...ofKind(batch1, 'irc-connect'), ...ofKind(batch3, 'irc-connect')].map((c) => c.key));
    expect(connected.has(s.key(users[0]!))).toBe(false);
  });

  it('tells each room once when the link is lost and once when it is back, not per attempt', () => {
    const s = new Scenario();
    const u = users[0]!;
    s.joinChannel(u, '#chan');
    const notes: string[] = [];
    notes.push(...roomNotes(s, s.event(u, { kind: 'closed', reason: 'Ping timeout' }), u));
    for (let i = 0; i < 6; i++) {
      s.timer(`reconnect ${s.key(u)}`);
      notes.push(...roomNotes(s, s.event(u, { kind: 'closed', reason: 'Connection refused' }), u));
    }
    s.timer(`reconnect ${s.key(u)}`);
    notes.push(...roomNotes(s, s.register(u), u));
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain('lost (Ping timeout)');
    expect(notes[1]).toContain('Reconnected');
  });

  it('hands the probe to the next waiting session when the probe’s user leaves', () => {
    const s = allJoined();
    for (const u of users.slice(0, 3)) s.event(u, { kind: 'closed', reason: 'Server shutting down' });
    const left = s.leave(users[0]!, '#chan');
    expect(ofKind(left, 'set-timer').map((t) => t.id)).toEqual([`reconnect ${s.key(users[1]!)}`]);
    expect(s.bridge.sessionCount).toBe(users.length - 1);
  });
});

/**
 * Shutdown as a core input (XEP-0045 §11.2): every joined resource is told its room is
 * gone with 110 and 332, every IRC link QUITs, and nothing reconnects afterwards.
 */
import { describe, expect, it } from 'vitest';
import { OTHER_NET, Scenario, errorCondition, ofKind, stanzasTo, statusCodes, user } from './bridge-harness.js';

const alice = user('alice');
const alicePhone = user('alice', 'phone');
const bob = user('bob');

describe('shutdown', () => {
  it('tells every joined resource with 110 and 332, QUITs every link, and arms no reconnect', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan', { names: 'alice carol' });
    s.join(alicePhone, '#chan');
    s.joinChannel(alice, '#other', { network: OTHER_NET });
    s.joinChannel(bob, '#chan', { names: 'bob carol' });

    const out = s.core.shutdown('Jabirc is shutting down');

    for (const [u, room] of [
      [alice, s.room('#chan')],
      [alicePhone, s.room('#chan')],
      [alice, s.room('#other', OTHER_NET)],
      [bob, s.room('#chan')],
    ] as const) {
      const self = stanzasTo(out, u.full).filter((p) => p.name === 'presence' && p.attrs.from?.startsWith(`${room}/`));
      expect(self, `${u.full} in ${room}`).toHaveLength(1);
      expect(self[0]!.attrs.type).toBe('unavailable');
      expect(statusCodes(self[0]!)).toEqual([110, 332]);
    }
    const quits = ofKind(out, 'irc-quit');
    expect(quits.map((q) => q.key).sort()).toEqual([s.key(alice), s.key(alice, OTHER_NET), s.key(bob)].sort());
    expect(quits.every((q) => q.message === 'Jabirc is shutting down')).toBe(true);

    // The links close as the adapter reports them: no reconnect timer, no new connection.
    const after = [
      ...s.event(alice, { kind: 'closed', reason: 'Quit: Jabirc is shutting down' }),
      ...s.event(alice, { kind: 'closed', reason: 'Quit: Jabirc is shutting down' }, OTHER_NET),
      ...s.event(bob, { kind: 'closed', reason: 'Connection reset by peer' }),
    ];
    expect(ofKind(after, 'set-timer')).toEqual([]);
    expect(ofKind(after, 'irc-connect')).toEqual([]);
    expect(s.bridge.sessionCount).toBe(0);
  });

  it('does not reconnect a link that drops during shutdown before its QUIT is seen', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan');
    // A lost link first: the session waits for its reconnect timer.
    const lost = s.event(alice, { kind: 'closed', reason: 'Ping timeout' });
    const [timer] = ofKind(lost, 'set-timer');
    expect(timer?.id).toBe(`reconnect ${s.key(alice)}`);
    const out = s.core.shutdown('bye');
    expect(ofKind(out, 'clear-timer').map((t) => t.id)).toContain(`reconnect ${s.key(alice)}`);
    // The timer fires anyway (it raced the shutdown): nothing connects.
    expect(ofKind(s.timer(timer!.id), 'irc-connect')).toEqual([]);
    expect(s.bridge.sessionCount).toBe(0);
  });

  it('refuses a join that arrives after shutdown instead of opening a new link', () => {
    const s = new Scenario();
    s.core.shutdown('bye');
    const out = s.join(alice, '#late');
    expect(ofKind(out, 'irc-connect')).toEqual([]);
    const [err] = stanzasTo(out, alice.full);
    expect(err?.attrs.type).toBe('error');
    expect(errorCondition(err!)).toBe('service-unavailable');
    expect(s.bridge.sessionCount).toBe(0);
  });
});

/**
 * IRC users as contacts (issue 9 §6, XEP-0100 §5): subscriptions answered as a gateway
 * should, presence from MONITOR where the server has it, else from a paced ISON poll.
 */
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { ContactStore } from '../../../src/core/ports.js';
import { IRC_SERVER, NET, Scenario, errorCondition, ircLines, ofKind, stanzasTo, user } from './bridge-harness.js';

const alice = user('alice');

class MemoryContacts implements ContactStore {
  readonly rows = new Map<string, string[]>();
  list(u: string, n: string): string[] {
    return [...(this.rows.get(`${u} ${n}`) ?? [])];
  }
  add(u: string, n: string, nick: string): void {
    const l = this.rows.get(`${u} ${n}`) ?? [];
    if (!l.some((x) => x.toLowerCase() === nick.toLowerCase())) l.push(nick);
    this.rows.set(`${u} ${n}`, l);
  }
  remove(u: string, n: string, nick: string): void {
    this.rows.set(`${u} ${n}`, this.list(u, n).filter((x) => x.toLowerCase() !== nick.toLowerCase()));
  }
}

function presence(s: Scenario, to: string, type?: string) {
  return s.stanza(xml('presence', { from: alice.bare, to, ...(type ? { type } : {}) }));
}

function connected(opts: { monitor: boolean; contacts?: MemoryContacts }): Scenario {
  const s = new Scenario({ contacts: opts.contacts ?? new MemoryContacts() });
  s.join(alice, '#chan');
  s.event(alice, { kind: 'registered', nick: 'alice' });
  s.irc(alice, `:${IRC_SERVER} 005 alice CHANTYPES=# CASEMAPPING=rfc1459 ${opts.monitor ? 'MONITOR=100 ' : ''}:are supported`);
  return s;
}

describe('IRC users as contacts', () => {
  it('answers a subscription with subscribed, the contact’s own subscribe and its presence, and stores it', () => {
    const contacts = new MemoryContacts();
    const s = connected({ monitor: true, contacts });
    s.irc(alice, `:${IRC_SERVER} 376 alice :End of MOTD`);
    const out = presence(s, s.ircUser('bob'), 'subscribe');
    const got = stanzasTo(out, alice.bare);
    expect(got.map((p) => p.attrs.type)).toEqual(['subscribed', 'subscribe', 'unavailable']);
    expect(got.every((p) => p.attrs.from === s.ircUser('bob'))).toBe(true);
    expect(ircLines(out)).toEqual(['MONITOR + bob']);
    expect(contacts.list(alice.bare, NET)).toEqual(['bob']);
  });

  it('shows MONITOR online, away (away-notify) and offline', () => {
    const contacts = new MemoryContacts();
    contacts.add(alice.bare, NET, 'bob');
    contacts.add(alice.bare, NET, 'carol');
    const s = connected({ monitor: true, contacts });
    expect(ircLines(s.irc(alice, `:${IRC_SERVER} 376 alice :End of MOTD`))).toEqual(['MONITOR + bob,carol']);
    const on = stanzasTo(s.irc(alice, `:${IRC_SERVER} 730 alice :bob!b@host,carol!c@host`), alice.bare);
    expect(on.map((p) => [p.attrs.from, p.attrs.type])).toEqual([[s.ircUser('bob'), undefined], [s.ircUser('carol'), undefined]]);
    const away = stanzasTo(s.irc(alice, ':bob!b@host AWAY :lunch'), alice.bare);
    expect(away[0]?.getChildText('show')).toBe('away');
    expect(away[0]?.getChildText('status')).toBe('lunch');
    const off = stanzasTo(s.irc(alice, `:${IRC_SERVER} 731 alice :bob`), alice.bare);
    expect(off.map((p) => p.attrs.type)).toEqual(['unavailable']);
  });

  it('polls with ISON, paced, where the server has no MONITOR', () => {
    const contacts = new MemoryContacts();
    contacts.add(alice.bare, NET, 'bob');
    contacts.add(alice.bare, NET, 'dave');
    const s = connected({ monitor: false, contacts });
    const motd = s.irc(alice, `:${IRC_SERVER} 376 alice :End of MOTD`);
    const [poll] = ofKind(motd, 'set-timer').filter((t) => t.id.startsWith('ison '));
    const asked = s.timer(poll!.id);
    expect(ircLines(asked)).toEqual(['ISON :bob dave']);
    expect(ofKind(asked, 'set-timer').find((t) => t.id === poll!.id)?.delayMs).toBe(60_000);
    const reply = stanzasTo(s.irc(alice, `:${IRC_SERVER} 303 alice :dave`), alice.bare);
    expect(reply.map((p) => [p.attrs.from, p.attrs.type])).toEqual([[s.ircUser('bob'), 'unavailable'], [s.ircUser('dave'), undefined]]);
  });

  it('answers a probe with what it knows, and says when there is no connection', () => {
    const s = new Scenario({ contacts: new MemoryContacts() });
    const [p] = stanzasTo(presence(s, s.ircUser('bob'), 'probe'), alice.bare);
    expect(p?.attrs.type).toBe('unavailable');
    expect(p?.getChildText('status')).toContain('not connected');
  });

  it('unsubscribing forgets the contact and stops following it', () => {
    const contacts = new MemoryContacts();
    contacts.add(alice.bare, NET, 'bob');
    const s = connected({ monitor: true, contacts });
    s.irc(alice, `:${IRC_SERVER} 376 alice :End of MOTD`);
    const out = presence(s, s.ircUser('bob'), 'unsubscribe');
    expect(ircLines(out)).toEqual(['MONITOR - bob']);
    expect(stanzasTo(out, alice.bare).map((x) => x.attrs.type)).toEqual(['unsubscribed', 'unavailable']);
    expect(contacts.list(alice.bare, NET)).toEqual([]);
  });

  it('makes online contacts unavailable when the link is lost', () => {
    const contacts = new MemoryContacts();
    contacts.add(alice.bare, NET, 'bob');
    const s = connected({ monitor: true, contacts });
    s.irc(alice, `:${IRC_SERVER} 376 alice :End of MOTD`, `:${IRC_SERVER} 730 alice :bob!b@h`);
    const lost = stanzasTo(s.event(alice, { kind: 'closed', reason: 'Ping timeout' }), alice.bare).filter((p) => p.name === 'presence');
    expect(lost.map((p) => [p.attrs.from, p.attrs.type])).toEqual([[s.ircUser('bob'), 'unavailable']]);
  });

  it('refuses a subscription on a network that is not open', () => {
    const s = new Scenario({ contacts: new MemoryContacts() });
    const [err] = stanzasTo(presence(s, s.ircUser('bob', 'irc.closed.net'), 'subscribe'), alice.bare);
    expect(errorCondition(err!)).toBe('not-allowed');
  });
});

/**
 * What a user of a real XMPP client sees (issue 9): their own messages once (the
 * reflection is their message, origin-id and all), the nick they asked for, leaving with a
 * reason, the MUC features clients look for, occupant ids, and raw IRC on `net@gw`.
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { GW, IRC_SERVER, NET, NS_STANZA_ID, Scenario, errorCondition, ircLines, ofKind, stanzasTo, statusCodes, user } from './bridge-harness.js';

const alice = user('alice', 'laptop');
const phone = user('alice', 'phone');
const NS_SID = 'urn:xmpp:sid:0';
const NS_OCCUPANT_ID = 'urn:xmpp:occupant-id:0';
const NS_REPLY = 'urn:xmpp:reply:0';
const NS_OOB = 'jabber:x:oob';
const NS_MARKERS = 'urn:xmpp:chat-markers:0';

function send(s: Scenario, body: string, children: Element[] = []): ReturnType<Scenario['stanza']> {
  return s.stanza(xml('message', { from: alice.full, to: s.room('#chan'), type: 'groupchat', id: 'c-1' }, xml('body', {}, body), ...children));
}

function clientPayload(): Element[] {
  return [
    xml('origin-id', { xmlns: NS_SID, id: 'origin-1' }),
    xml('reply', { xmlns: NS_REPLY, to: `${'#chan'}/bob`, id: 'm0' }),
    xml('x', { xmlns: NS_OOB }, xml('url', {}, 'https://example.org/cat.png')),
    xml('markable', { xmlns: NS_MARKERS }),
    // A stanza-id a client made up must not pass as the room's (XEP-0359 §3).
    xml('stanza-id', { xmlns: NS_SID, id: 'forged', by: 'someone' }),
  ];
}

function expectOwnMessage(reflection: Element | undefined, s: Scenario): void {
  expect(reflection?.attrs).toMatchObject({ type: 'groupchat', id: 'c-1', from: s.occupant('#chan', 'alice') });
  expect(reflection!.getChild('origin-id', NS_SID)?.attrs.id).toBe('origin-1');
  expect(reflection!.getChild('reply', NS_REPLY)?.attrs.id).toBe('m0');
  expect(reflection!.getChild('x', NS_OOB)?.getChildText('url')).toBe('https://example.org/cat.png');
  expect(reflection!.getChild('markable', NS_MARKERS)).toBeDefined();
  const ids = reflection!.getChildren('stanza-id', NS_STANZA_ID);
  expect(ids).toHaveLength(1);
  expect(ids[0]!.attrs.by).toBe(s.room('#chan'));
}

describe('reflections are the sender’s message (issue 9 §1)', () => {
  it('keeps origin-id and the other payloads, adds the room’s stanza-id, to every joined resource', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan', { names: 'alice bob' });
    s.join(phone, '#chan');
    const out = send(s, 'hello', clientPayload());
    expect(ircLines(out)).toEqual(['PRIVMSG #chan hello']);
    for (const u of [alice, phone]) expectOwnMessage(stanzasTo(out, u.full).find((m) => m.name === 'message'), s);
  });

  it('keeps them on the copy that waits for the echo (echo-message)', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan', { names: 'alice bob', caps: ['echo-message'] });
    expect(stanzasTo(send(s, 'hello', clientPayload()), alice.full)).toEqual([]);
    const echo = s.irc(alice, '@msgid=srv-7 :alice!a@h PRIVMSG #chan :hello');
    const [reflection] = stanzasTo(echo, alice.full);
    expectOwnMessage(reflection, s);
    expect(reflection!.getChild('stanza-id', NS_STANZA_ID)?.attrs.id).toBe('srv-7');
  });
});

describe('the nick you ask for is the nick you get (issue 9 §2)', () => {
  it('connects with the nick of the first join when no nick is registered: no 210', () => {
    const s = new Scenario();
    const out = s.join(alice, '#chan', 'alicia');
    expect(ofKind(out, 'irc-connect')[0]?.params.nick).toBe('alicia');
    s.register(alice, { nick: 'alicia' });
    const state = s.ircJoinReply(alice, '#chan', { nick: 'alicia', names: 'alicia bob' });
    const self = stanzasTo(state, alice.full).find((p) => p.attrs.from === s.occupant('#chan', 'alicia'));
    expect(statusCodes(self!)).toEqual([110]);
  });

  it('makes a nick IRC cannot carry IRC-safe, and says so with 210', () => {
    const s = new Scenario();
    expect(ofKind(s.join(alice, '#chan', 'Ælice'), 'irc-connect')[0]?.params.nick).toBe('_lice');
    s.register(alice, { nick: '_lice' });
    const state = s.ircJoinReply(alice, '#chan', { nick: '_lice' });
    const self = stanzasTo(state, alice.full).find((p) => p.attrs.from === s.occupant('#chan', '_lice'));
    expect(statusCodes(self!)).toEqual([110, 210]);
  });

  it('gives later joins on the same connection the current nick with 210', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#one', { nick: 'alicia', ircNick: 'alicia' });
    s.join(alice, '#two', 'other');
    const state = s.ircJoinReply(alice, '#two', { nick: 'alicia' });
    const self = stanzasTo(state, alice.full).find((p) => p.attrs.from === s.occupant('#two', 'alicia'));
    expect(statusCodes(self!)).toEqual([110, 210]);
  });

  it('a nick change in one room changes it on IRC and every joined room sees 303', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#one');
    s.join(alice, '#two');
    s.ircJoinReply(alice, '#two');
    expect(ircLines(s.stanza(xml('presence', { from: alice.full, to: s.occupant('#one', 'ally') })))).toEqual(['NICK ally']);
    const out = s.irc(alice, ':alice!a@h NICK :ally');
    for (const room of ['#one', '#two']) {
      const gone = stanzasTo(out, alice.full).find((p) => p.attrs.from === s.occupant(room, 'alice') && p.attrs.type === 'unavailable');
      expect(statusCodes(gone!)).toEqual([303, 110]);
    }
  });
});

describe('leaving says why (issue 9 §3)', () => {
  it('sends the status of the unavailable presence as PART reason and, for the last room, as QUIT message', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#one');
    s.join(alice, '#two');
    s.ircJoinReply(alice, '#two');
    const leave = (room: string, status: string) =>
      s.stanza(xml('presence', { from: alice.full, to: s.occupant(room, 'alice'), type: 'unavailable' }, xml('status', {}, status)));
    expect(ircLines(leave('#one', 'off to lunch'))).toEqual(['PART #one :off to lunch']);
    const last = leave('#two', 'good night\r\nQUIT :injected');
    expect(ircLines(last)).toEqual(['PART #two :good night QUIT :injected']);
    expect(ofKind(last, 'irc-quit')[0]?.message).toBe('good night QUIT :injected');
  });

  it('bounds the reason and leaves without one when there is no status', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#one');
    const out = s.stanza(xml('presence', { from: alice.full, to: s.occupant('#one', 'alice'), type: 'unavailable' }, xml('status', {}, 'é'.repeat(400))));
    const [part] = ircLines(out);
    expect(Buffer.byteLength(part!)).toBeLessThanOrEqual('PART #one :'.length + 300);
    expect(ircLines(s.leave(alice, '#one'))).toEqual([]);
    const s2 = new Scenario();
    s2.joinChannel(alice, '#one');
    expect(ircLines(s2.leave(alice, '#one'))).toEqual(['PART #one']);
  });
});

describe('MUC features clients look for (issue 9 §5)', () => {
  function features(s: Scenario): string[] {
    const out = s.stanza(xml('iq', { from: alice.full, to: s.room('#chan'), type: 'get', id: 'd' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    return stanzasTo(out, alice.full)[0]!.getChild('query')!.getChildren('feature').map((f) => f.attrs.var as string);
  }

  it('advertises stable ids and self-ping optimisation, and occupant ids only when they are on', () => {
    const off = new Scenario();
    off.joinChannel(alice, '#chan');
    expect(features(off)).toEqual(expect.arrayContaining(['http://jabber.org/protocol/muc#stable_id', 'http://jabber.org/protocol/muc#self-ping-optimization']));
    expect(features(off)).not.toContain(NS_OCCUPANT_ID);
    const on = new Scenario({ occupantIds: true });
    on.joinChannel(alice, '#chan');
    expect(features(on)).toContain(NS_OCCUPANT_ID);
  });

  it('puts an occupant id on every occupant presence and message, kept through a nick change', () => {
    const s = new Scenario({ occupantIds: true });
    const joined = s.joinChannel(alice, '#chan', { names: 'alice bob!b@bob.host' });
    const oid = (el: Element | undefined) => el?.getChild('occupant-id', NS_OCCUPANT_ID)?.attrs.id;
    const bobPresence = stanzasTo(joined, alice.full).find((p) => p.attrs.from === s.occupant('#chan', 'bob'));
    const selfPresence = stanzasTo(joined, alice.full).find((p) => p.attrs.from === s.occupant('#chan', 'alice'));
    expect(oid(bobPresence)).toBe(`oid(${NET} #chan mask bob!b@bob.host)`);
    expect(oid(selfPresence)).toBe(`oid(${NET} #chan self ${alice.bare})`);
    const said = stanzasTo(s.irc(alice, ':bob!b@bob.host PRIVMSG #chan :hi'), alice.full)[0];
    expect(oid(said)).toBe(oid(bobPresence));
    const renamed = stanzasTo(s.irc(alice, ':bob!b@bob.host NICK robert'), alice.full);
    expect(renamed.map(oid)).toEqual([oid(bobPresence), oid(bobPresence)]);
    expect(oid(stanzasTo(send(s, 'mine'), alice.full)[0])).toBe(oid(selfPresence));
  });

  it('uses the IRC account when the server names it (extended-join)', () => {
    const s = new Scenario({ occupantIds: true });
    s.joinChannel(alice, '#chan', { caps: ['extended-join'] });
    const out = s.irc(alice, ':carol!c@h JOIN #chan carolacct :Carol');
    const p = stanzasTo(out, alice.full)[0];
    expect(p?.getChild('occupant-id', NS_OCCUPANT_ID)?.attrs.id).toBe(`oid(${NET} #chan account carolacct)`);
  });
});

describe('raw IRC for power users (issue 9 §7)', () => {
  const network = `${NET}@${GW}`;
  const raw = (s: Scenario, body: string) => s.stanza(xml('message', { from: alice.full, to: network, type: 'chat', id: 'r1' }, xml('body', {}, body)));

  it('sends a chat message to net@gw as one command line, and shows the replies from net@gw', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan');
    expect(ircLines(raw(s, 'WHOIS bob'))).toEqual(['WHOIS bob']);
    const reply = s.irc(alice, `:${IRC_SERVER} 311 alice bob b bob.host * :Bob Example`);
    const [notice] = stanzasTo(reply, alice.bare);
    expect(notice?.attrs.from).toBe(network);
    expect(notice?.getChildText('body')).toBe('bob b bob.host * Bob Example');
  });

  it('refuses what is not one command line, so CR, LF and NUL never reach IRC', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan');
    for (const body of ['MODE #chan +b x\r\nQUIT', 'PRIVMSG x :a\0b', '123 numeric']) {
      const out = raw(s, body);
      expect(ircLines(out)).toEqual([]);
      expect(errorCondition(stanzasTo(out, alice.full)[0]!)).toBe('not-acceptable');
    }
  });

  it('says when there is no connection to the network', () => {
    const s = new Scenario();
    expect(errorCondition(stanzasTo(raw(s, 'WHOIS bob'), alice.full)[0]!)).toBe('recipient-unavailable');
  });
});

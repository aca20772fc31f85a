/**
 * Scenarios of the pure bridge (issue 3), with no sockets: stanzas in through
 * GatewayCore.onStanza, the IRC server played by raw lines and connection events, and
 * assertions on the effects — what the XMPP user and the IRC server would receive.
 * Every effect of every test is checked for CR, LF and NUL by the harness.
 */
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { connKey, type Effect } from '../../../src/core/effects.js';
import { mayReachSeveral } from '../../../src/core/bridge/irc-to-xmpp/text.js';
import {
  GW,
  IRC_SERVER,
  NET,
  NS_CHATSTATES,
  NS_MUC,
  NS_PING,
  NS_STANZA_ID,
  OTHER_NET,
  Scenario,
  assertWireSafe,
  errorCondition,
  errorText,
  ircLines,
  mucItem,
  ofKind,
  outline,
  resourceOf,
  standing,
  stanzas,
  stanzasTo,
  statusCodes,
  user,
  type User,
} from './bridge-harness.js';

const alice = user('alice', 'laptop');
const phone = user('alice', 'phone');

function groupchat(s: Scenario, from: typeof alice, channel: string, body: string | null, id = 'm1', extra: ReturnType<typeof xml>[] = []) {
  return s.stanza(
    xml('message', { from: from.full, to: s.room(channel), type: 'groupchat', id }, body === null ? null : xml('body', {}, body), ...extra),
  );
}

function chat(from: typeof alice, to: string, body: string, id = 'pm1') {
  return xml('message', { from: from.full, to, type: 'chat', id }, xml('body', {}, body));
}

/** The one stanza in `effects` addressed to `to`; fails unless there is exactly one. */
function only(effects: Parameters<typeof stanzasTo>[0], to: string) {
  const found = stanzasTo(effects, to);
  expect(found.map(outline), `stanzas to ${to}`).toHaveLength(1);
  return found[0]!;
}

/** Alice's laptop joined to #chan with bob (op), carol (voice) and dave. */
function inChannel(opts: { caps?: string[]; topic?: string } = {}) {
  const s = new Scenario();
  s.joinChannel(alice, '#chan', { names: '@bob alice +carol dave', ...opts });
  return s;
}

describe('joining a channel (XEP-0045 §7.2)', () => {
  it('connects first, and sends nothing to the room until IRC answers', () => {
    const s = new Scenario();
    const out = s.join(alice, '#chan');
    expect(stanzas(out)).toEqual([]);
    expect(ircLines(out)).toEqual([]);
    const [connect] = ofKind(out, 'irc-connect');
    expect(connect?.key).toBe(s.key(alice));
    expect(connect?.params).toMatchObject({ network: NET, host: NET, nick: 'alice', allowPrivateAddresses: false });
    expect(ofKind(out, 'set-timer').map((t) => t.id)).toEqual([expect.stringMatching(/^join /)]);
  });

  it('gives occupants (standing from their prefix), then self-presence with 110, then an empty subject', () => {
    const s = new Scenario();
    s.join(alice, '#chan');
    s.register(alice);
    const out = s.ircJoinReply(alice, '#chan', { names: '~owner &admin @op %half +voice plain alice' });
    const got = stanzasTo(out, alice.full);
    expect(got.map(outline)).toEqual(s.roomState('#chan', ['owner', 'admin', 'op', 'half', 'voice', 'plain'], 'alice'));
    // The prefix table of muc-stanzas.ts.
    expect(got.slice(0, 6).map(standing)).toEqual([
      'owner/moderator',
      'admin/moderator',
      'admin/moderator',
      'member/moderator',
      'member/participant',
      'none/participant',
    ]);
    expect(got.slice(0, 6).map(statusCodes)).toEqual([[], [], [], [], [], []]);
    const self = got[6]!;
    expect(statusCodes(self)).toEqual([110]);
    expect(standing(self)).toBe('none/participant');
    const subject = got[7]!;
    expect(subject.attrs.type).toBe('groupchat');
    expect(subject.getChild('subject')?.text()).toBe('');
    expect(subject.getChild('body')).toBeUndefined();
    expect(ofKind(out, 'clear-timer').map((t) => t.id)).toEqual([expect.stringMatching(/^join /)]);
  });

  it('gives the topic from 332 as the subject, and the user her own prefix', () => {
    const s = new Scenario();
    const out = s.joinChannel(alice, '#chan', { names: '@alice bob', topic: 'Welcome to #chan' });
    const got = stanzasTo(out, alice.full);
    expect(got.map(outline)).toEqual(s.roomState('#chan', ['bob'], 'alice'));
    expect(standing(got[1]!)).toBe('admin/moderator');
    expect(got[2]!.getChildText('subject')).toBe('Welcome to #chan');
  });

  it.each([
    ['the nick IRC gave', 'alice', [110]],
    ['another nick (IRC gives the session nick)', 'Alicia', [110, 210]],
    ['the same nick in another case (rfc1459)', 'ALICE', [110]],
  ])('self-presence when the room nick asked is %s', (_what, nick, codes) => {
    const s = new Scenario();
    const out = s.joinChannel(alice, '#chan', { nick });
    const self = stanzasTo(out, alice.full).find((p) => statusCodes(p).includes(110))!;
    expect(self.attrs.from).toBe(s.occupant('#chan', 'alice'));
    expect(statusCodes(self)).toEqual(codes);
  });

  it('sends JOIN only after registration, for every join queued while connecting', () => {
    const s = new Scenario();
    const first = s.join(alice, '#a');
    const second = s.join(alice, '#b');
    expect(ofKind(second, 'irc-connect')).toEqual([]);
    expect(ircLines([...first, ...second])).toEqual([]);
    const out = s.register(alice);
    expect(ircLines(out)).toEqual(['JOIN #a', 'JOIN #b']);
    expect(ofKind(out, 'set-timer').map((t) => t.id)).toEqual([expect.stringMatching(/#a$/), expect.stringMatching(/#b$/)]);
  });

  it('sends JOIN at once on a session already registered, without a second connection', () => {
    const s = inChannel();
    const out = s.join(alice, '#other');
    expect(ofKind(out, 'irc-connect')).toEqual([]);
    expect(ircLines(out)).toEqual(['JOIN #other']);
  });

  it('gives a second resource the room state at once, with no second JOIN', () => {
    const s = inChannel({ topic: 'hi all' });
    const out = s.join(phone, '#chan');
    expect(ircLines(out)).toEqual([]);
    expect(ofKind(out, 'irc-connect')).toEqual([]);
    expect(stanzasTo(out, alice.full)).toEqual([]);
    const got = stanzasTo(out, phone.full);
    expect(got.map(outline)).toEqual(s.roomState('#chan', ['bob', 'carol', 'dave'], 'alice'));
    expect(statusCodes(got[3]!)).toEqual([110]);
    expect(got[4]!.getChildText('subject')).toBe('hi all');
  });

  it('gives a second resource that joins while the channel is joining the state with the first', () => {
    const s = new Scenario();
    s.join(alice, '#chan');
    s.register(alice);
    expect(ircLines(s.join(phone, '#chan'))).toEqual([]);
    const out = s.ircJoinReply(alice, '#chan', { names: 'alice bob' });
    for (const u of [alice, phone]) {
      expect(stanzasTo(out, u.full).map(outline)).toEqual(s.roomState('#chan', ['bob'], 'alice'));
    }
  });
});

describe('casemapping: one channel, one room', () => {
  it.each([
    ['rfc1459', '#Foo', '#fOO', true],
    ['rfc1459', '#foo[]', '#FOO{}', true],
    ['rfc1459', '#a\\~', '#A|^', true],
    ['strict-rfc1459', '#a[~', '#A{^', false],
    ['ascii', '#foo[]', '#FOO{}', false],
    ['ascii', '#Foo', '#fOO', true],
  ])('%s: %s joined, then %s joins the same channel: %s', (mapping, joined, second, same) => {
    const s = new Scenario();
    s.join(alice, joined);
    s.register(alice, { isupport: [`CASEMAPPING=${mapping}`, 'PREFIX=(ov)@+'] });
    s.ircJoinReply(alice, joined, { names: 'alice bob' });
    const out = s.join(phone, second);
    if (same) {
      expect(ircLines(out)).toEqual([]);
      expect(stanzasTo(out, phone.full).map((p) => statusCodes(p))).toEqual([[], [110], []]);
    } else {
      expect(ircLines(out)).toEqual([`JOIN ${second}`]);
      expect(stanzasTo(out, phone.full)).toEqual([]);
    }
  });

  it('answers a resource from the room JID it joined, whatever spelling IRC uses (rfc1459 [] vs {})', () => {
    // XMPP servers fold only the case of a localpart (RFC 7622), so to the client
    // `#foo{}%net@gw` and `#foo[]%net@gw` are two rooms: presences from the other one
    // never complete its join.
    const s = new Scenario();
    s.joinChannel(alice, '#foo[]', { names: 'alice bob' });
    const out = s.join(phone, '#foo{}');
    const got = stanzasTo(out, phone.full);
    expect(got).toHaveLength(3);
    for (const st of got) expect(st.attrs.from?.split('/')[0]?.toLowerCase()).toBe(s.room('#foo{}'));
  });
});

describe('nick taken at registration (433)', () => {
  it('retries with an alternative and marks the self-presence with 210', () => {
    const s = new Scenario();
    s.join(alice, '#chan');
    const retry = s.irc(alice, `:${IRC_SERVER} 433 * alice :Nickname is already in use.`);
    expect(ircLines(retry)).toEqual(['NICK alice_']);
    expect(stanzas(retry)).toEqual([]);
    const reg = s.register(alice, { nick: 'alice_' });
    expect(ircLines(reg)).toEqual(['JOIN #chan']);
    const out = s.ircJoinReply(alice, '#chan', { nick: 'alice_', names: 'alice alice_' });
    const got = stanzasTo(out, alice.full);
    // The other "alice" on IRC is an occupant like any other.
    expect(got.map(outline)).toEqual(s.roomState('#chan', ['alice'], 'alice_'));
    expect(statusCodes(got[1]!)).toEqual([110, 210]);
  });

  it('gives up after too many tries: QUIT, then a conflict error presence with the server text (XEP-0045 §7.2.9)', () => {
    const s = new Scenario();
    s.join(alice, '#chan');
    const tries = [];
    for (let i = 0; i < 5; i++) tries.push(...ircLines(s.irc(alice, `:${IRC_SERVER} 433 * x :Nickname is already in use.`)));
    expect(tries.slice(0, 3)).toEqual(['NICK alice_', 'NICK alice__', 'NICK alice___']);
    expect(tries).toHaveLength(5);
    const last = s.irc(alice, `:${IRC_SERVER} 433 * x :Nickname is already in use.`);
    expect(ircLines(last)).toEqual([]);
    expect(ofKind(last, 'irc-quit')).toHaveLength(1);
    const closed = s.event(alice, { kind: 'closed', reason: 'Connection closed' });
    expect(ofKind(closed, 'set-timer')).toEqual([]);
    const err = stanzasTo(closed, alice.full).find((p) => p.name === 'presence')!;
    expect(err.attrs).toMatchObject({ type: 'error', from: s.occupant('#chan', 'alice') });
    expect(errorCondition(err)).toBe('conflict');
    expect(errorText(err)).toContain('Nickname is already in use.');
  });
});

describe('join refusals', () => {
  it.each([
    ['403', 'No such channel', 'item-not-found', 'cancel'],
    ['405', 'You have joined too many channels', 'resource-constraint', 'wait'],
    ['471', 'Cannot join channel (channel is full)', 'service-unavailable', 'wait'],
    ['473', 'Cannot join channel (invite only)', 'registration-required', 'auth'],
    ['474', 'Cannot join channel (you are banned)', 'forbidden', 'auth'],
    ['475', 'Cannot join channel (incorrect channel key)', 'not-authorized', 'auth'],
    ['477', 'You need to be identified to a registered account to join this channel', 'registration-required', 'auth'],
  ])('%s becomes an error presence with %s and the server text', (numeric, text, condition, type) => {
    const s = new Scenario();
    s.join(alice, '#chan', 'Alicia');
    s.register(alice);
    const out = s.irc(alice, `:${IRC_SERVER} ${numeric} alice #chan :${text}`);
    const err = only(out, alice.full);
    expect(err.name).toBe('presence');
    expect(err.attrs).toMatchObject({ type: 'error', from: s.occupant('#chan', 'Alicia') });
    expect(err.getChild('x', NS_MUC)).toBeDefined();
    expect(errorCondition(err)).toBe(condition);
    expect(err.getChild('error')?.attrs.type).toBe(type);
    expect(errorText(err)).toBe(text);
    // The channel is forgotten, and with it the connection nobody uses any more.
    expect(ofKind(out, 'irc-quit')).toHaveLength(1);
    expect(errorCondition(only(groupchat(s, alice, '#chan', 'hi'), alice.full))).toBe('not-acceptable');
  });

  it('ends a join the server never answers with remote-server-timeout when the join timer fires', () => {
    const s = new Scenario();
    const set = ofKind(s.join(alice, '#chan'), 'set-timer')[0]!;
    expect(set.delayMs).toBe(30_000);
    s.register(alice);
    const out = s.timer(set.id);
    const err = only(out, alice.full);
    expect(err.attrs).toMatchObject({ type: 'error', from: s.occupant('#chan', 'alice') });
    expect(errorCondition(err)).toBe('remote-server-timeout');
    expect(ofKind(out, 'irc-quit')).toHaveLength(1);
  });

  it('holds the join timer while the connection waits for a dial slot, and starts it at the dial', () => {
    const s = new Scenario();
    const set = ofKind(s.join(alice, '#chan'), 'set-timer')[0]!;
    const waiting = s.event(alice, { kind: 'waiting' });
    expect(ofKind(waiting, 'clear-timer')).toEqual([expect.objectContaining({ id: set.id })]);
    // Another room joined while waiting: no timer yet either.
    expect(ofKind(s.join(alice, '#other'), 'set-timer').filter((t) => t.id.startsWith('join '))).toEqual([]);
    const dialing = s.event(alice, { kind: 'dialing' });
    expect(ofKind(dialing, 'set-timer').map((t) => [t.id.split(' ').at(-1), t.delayMs])).toEqual([
      ['#chan', 30_000],
      ['#other', 30_000],
    ]);
    expect(stanzasTo(dialing, alice.full)).toEqual([]);
  });

  it('clears the join timer when the join completes, and a late tick does nothing', () => {
    const s = new Scenario();
    const id = ofKind(s.join(alice, '#chan'), 'set-timer')[0]!.id;
    s.register(alice);
    const reply = s.ircJoinReply(alice, '#chan');
    expect(ofKind(reply, 'clear-timer').map((t) => t.id)).toContain(id);
    expect(s.timer(id)).toEqual([]);
  });

  it.each([
    ['a connection failure before registration', { kind: 'closed', reason: 'connect ECONNREFUSED' } as const, 'remote-server-not-found'],
    ['a refusal by the gateway policy', { kind: 'closed', reason: 'private address', refused: true } as const, 'not-allowed'],
  ])('ends every pending join on %s', (_what, ev, condition) => {
    const s = new Scenario();
    s.join(alice, '#a');
    s.join(alice, '#b');
    const out = s.event(alice, ev);
    const errs = stanzasTo(out, alice.full).filter((p) => p.name === 'presence');
    expect(errs.map((p) => p.attrs.from)).toEqual([s.occupant('#a', 'alice'), s.occupant('#b', 'alice')]);
    for (const e of errs) {
      expect(e.attrs.type).toBe('error');
      expect(errorCondition(e)).toBe(condition);
      expect(errorText(e)).toContain(ev.reason);
    }
    expect(ofKind(out, 'set-timer')).toEqual([]);
    expect(ofKind(out, 'irc-connect')).toEqual([]);
  });
});

describe('groupchat messages (XEP-0045 §7.4)', () => {
  it('with echo-message, reflects only on the echo, with the original id and the server msgid', () => {
    const s = inChannel({ caps: ['echo-message'] });
    s.join(phone, '#chan');
    const sent = groupchat(s, alice, '#chan', 'hello');
    expect(ircLines(sent)).toEqual(['PRIVMSG #chan hello']);
    expect(stanzas(sent)).toEqual([]);
    const echo = s.irc(alice, '@msgid=srv-1 :alice!alice@gateway.host PRIVMSG #chan :hello');
    for (const u of [alice, phone]) {
      const m = only(echo, u.full);
      expect(m.attrs).toMatchObject({ type: 'groupchat', id: 'm1', from: s.occupant('#chan', 'alice') });
      expect(m.getChildText('body')).toBe('hello');
      expect(m.getChild('stanza-id', NS_STANZA_ID)?.attrs).toMatchObject({ id: 'srv-1', by: s.room('#chan') });
    }
  });

  it('with echo-message, reflects a multi-line body once, after its last line is echoed', () => {
    const s = inChannel({ caps: ['echo-message'] });
    const sent = groupchat(s, alice, '#chan', 'one\ntwo\nthree', 'multi');
    expect(ircLines(sent)).toEqual(['PRIVMSG #chan one', 'PRIVMSG #chan two', 'PRIVMSG #chan three']);
    expect(stanzas(s.irc(alice, ':alice!a@h PRIVMSG #chan :one', ':alice!a@h PRIVMSG #chan :two'))).toEqual([]);
    const last = s.irc(alice, ':alice!a@h PRIVMSG #chan :three');
    const m = only(last, alice.full);
    expect(m.attrs.id).toBe('multi');
    expect(m.getChildText('body')).toBe('one\ntwo\nthree');
    expect(stanzas(s.irc(alice, ':bob!b@h PRIVMSG #chan :after'))).toHaveLength(1);
  });

  it('without echo-message, reflects at once to every joined resource, exactly once', () => {
    const s = inChannel();
    s.join(phone, '#chan');
    const sent = groupchat(s, phone, '#chan', 'hello');
    expect(ircLines(sent)).toEqual(['PRIVMSG #chan hello']);
    for (const u of [alice, phone]) {
      const m = only(sent, u.full);
      expect(m.attrs).toMatchObject({ type: 'groupchat', id: 'm1', from: s.occupant('#chan', 'alice') });
      expect(m.getChildText('body')).toBe('hello');
      expect(m.getChild('stanza-id', NS_STANZA_ID)?.attrs.by).toBe(s.room('#chan'));
    }
  });

  it('sends each message by the room as it is now: refused once its resource is gone, sent again once it rejoined, by the new session after the last one left', () => {
    const s = inChannel();
    s.join(phone, '#chan');
    expect(ircLines(groupchat(s, alice, '#chan', 'one'))).toEqual(['PRIVMSG #chan one']);
    // A bounce from the laptop takes it out of the room (RFC 6120 §8.3); the phone stays.
    s.stanza(xml('message', { from: alice.full, to: s.room('#chan'), type: 'error' }, xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }))));
    const gone = groupchat(s, alice, '#chan', 'two');
    expect(ircLines(gone)).toEqual([]);
    expect(errorCondition(stanzasTo(gone, alice.full)[0]!)).toBe('not-acceptable');
    expect(ircLines(groupchat(s, phone, '#chan', 'three'))).toEqual(['PRIVMSG #chan three']);
    s.join(alice, '#chan');
    expect(ircLines(groupchat(s, alice, '#chan', 'four'))).toEqual(['PRIVMSG #chan four']);
    s.leave(phone, '#chan');
    const left = groupchat(s, phone, '#chan', 'five');
    expect(ircLines(left)).toEqual([]);
    expect(errorCondition(stanzasTo(left, phone.full)[0]!)).toBe('not-acceptable');
    // The last resource leaves: PART, QUIT, the session is gone; a new join makes a new one.
    const last = s.leave(alice, '#chan');
    expect(ircLines(last)).toEqual(['PART #chan']);
    expect(ofKind(last, 'irc-quit')).toHaveLength(1);
    s.event(alice, { kind: 'closed', reason: 'disconnected after QUIT' });
    expect(errorCondition(stanzasTo(groupchat(s, alice, '#chan', 'six'), alice.full)[0]!)).toBe('not-acceptable');
    s.joinChannel(alice, '#chan', { names: '@bob alice' });
    const again = groupchat(s, alice, '#chan', 'seven');
    expect(ircLines(again)).toEqual(['PRIVMSG #chan seven']);
    expect(ofKind(again, 'irc-send')[0]?.key).toBe(s.key(alice));
    expect(only(again, alice.full).getChildText('body')).toBe('seven');
  });

  it('reflects each message from the occupant and room JIDs of the moment: each resource its own spelling of the room, and the new nick after a change', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#foo[]', { names: 'alice bob' });
    s.join(phone, '#foo{}');
    const check = (id: string, nick: string) => {
      const sent = groupchat(s, alice, '#foo[]', `hi ${id}`, id);
      for (const [u, room] of [[alice, '#foo[]'], [phone, '#foo{}']] as const) {
        const m = only(sent, u.full);
        expect(m.attrs).toMatchObject({ id, from: s.occupant(room, nick) });
        expect(m.getChild('stanza-id', NS_STANZA_ID)?.attrs.by).toBe(s.room(room));
      }
    };
    check('r1', 'alice');
    check('r2', 'alice');
    s.irc(alice, ':alice!a@h NICK alice2');
    check('r3', 'alice2');
    check('r4', 'alice2');

    const one = inChannel();
    const from = (id: string) => only(groupchat(one, alice, '#chan', 'hi', id), alice.full).attrs.from;
    expect([from('o1'), from('o2')]).toEqual([one.occupant('#chan', 'alice'), one.occupant('#chan', 'alice')]);
    one.irc(alice, ':alice!a@h NICK alice2');
    expect([from('o3'), from('o4')]).toEqual([one.occupant('#chan', 'alice2'), one.occupant('#chan', 'alice2')]);
  });

  it('relays a message from IRC to every joined resource, from the occupant, with a stanza-id', () => {
    const s = inChannel();
    s.join(phone, '#chan');
    const out = s.irc(alice, '@msgid=x7 :bob!b@h PRIVMSG #chan :héllo wörld');
    for (const u of [alice, phone]) {
      const m = only(out, u.full);
      expect(m.attrs).toMatchObject({ type: 'groupchat', from: s.occupant('#chan', 'bob') });
      expect(m.getChildText('body')).toBe('héllo wörld');
      expect(m.getChild('stanza-id', NS_STANZA_ID)?.attrs).toMatchObject({ id: 'x7', by: s.room('#chan') });
    }
  });

  it('gives the copies of a line without a msgid one stanza-id, and a user who hears the same text again a new one', () => {
    const s = inChannel();
    const carol = user('carol');
    s.joinChannel(carol, '#chan', { names: '@bob alice carol' });
    const line = ':bob!b@h PRIVMSG #chan :same again';
    const idOf = (out: Effect[], u: User) => only(out, u.full).getChild('stanza-id', NS_STANZA_ID)!.attrs.id as string;
    const first = [idOf(s.irc(alice, line), alice), idOf(s.irc(carol, line), carol)];
    const second = [idOf(s.irc(alice, line), alice), idOf(s.irc(carol, line), carol)];
    expect(first[1]).toBe(first[0]);
    for (const [i, u] of [alice, carol].entries()) expect(second[i], `${u.local}'s second line`).not.toBe(first[i]);
  });

  it.each([
    ['a resource that has not joined', phone, 'hello', 'not-acceptable'],
    ['another user', user('mallory'), 'hello', 'not-acceptable'],
    ['a joined resource, with an empty body', alice, '', 'not-acceptable'],
    ['a joined resource, with a blank body', alice, ' \n\t', 'not-acceptable'],
  ])('refuses a message from %s', (_what, from, body, condition) => {
    const s = inChannel();
    const out = groupchat(s, from, '#chan', body, 'bad1');
    expect(ircLines(out)).toEqual([]);
    const err = only(out, from.full);
    expect(err.attrs).toMatchObject({ type: 'error', id: 'bad1', from: s.room('#chan') });
    expect(errorCondition(err)).toBe(condition);
  });

  it('turns chat states alone into nothing', () => {
    const s = inChannel();
    expect(groupchat(s, alice, '#chan', null, 'cs', [xml('composing', { xmlns: NS_CHATSTATES })])).toEqual([]);
  });
});

describe('CR, LF and NUL never start an IRC command', () => {
  it('splits a body of hi\\r\\nQUIT :x into exactly two PRIVMSG lines', () => {
    const s = inChannel();
    expect(ircLines(groupchat(s, alice, '#chan', 'hi\r\nQUIT :x'))).toEqual(['PRIVMSG #chan hi', 'PRIVMSG #chan :QUIT :x']);
  });

  it('does the same in a private message', () => {
    const s = inChannel();
    expect(ircLines(s.stanza(chat(alice, s.ircUser('bob'), 'hi\r\nQUIT :x')))).toEqual(['PRIVMSG bob hi', 'PRIVMSG bob :QUIT :x']);
  });

  it('keeps a NUL inside its line', () => {
    const s = inChannel();
    const lines = ircLines(groupchat(s, alice, '#chan', 'a\0b'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^PRIVMSG #chan a.b$/u);
  });

  it('sends a subject with CR/LF/NUL as one TOPIC line', () => {
    const s = inChannel();
    const out = s.stanza(
      xml('message', { from: alice.full, to: s.room('#chan'), type: 'groupchat', id: 't1' }, xml('subject', {}, 'new\r\ntopic\0now')),
    );
    expect(ircLines(out)).toEqual(['TOPIC #chan :new topic now']);
  });

  it('sends an away status with CR/LF as one AWAY line', () => {
    const s = inChannel();
    const out = s.stanza(
      xml('presence', { from: alice.full, to: s.occupant('#chan', 'alice') }, xml('show', {}, 'away'), xml('status', {}, 'out\r\nQUIT :x')),
    );
    expect(ircLines(out)).toEqual(['AWAY :out QUIT :x']);
  });
});

describe('the shared wire checker', () => {
  it.each(['PRIVMSG #c :a\r\nQUIT', 'PRIVMSG #c :a\nb', 'PRIVMSG #c :a\0b'])('rejects %j', (line) => {
    expect(() => assertWireSafe([{ kind: 'irc-send', key: connKey(alice.bare, NET), lines: [line] }])).toThrow(/CR, LF or NUL/);
  });
});

describe('private messages', () => {
  it('sends a message to nick%net@gw as PRIVMSG, with no stanza back', () => {
    const s = inChannel();
    const out = s.stanza(chat(alice, s.ircUser('bob'), 'hey there'));
    expect(ircLines(out)).toEqual(['PRIVMSG bob :hey there']);
    expect(stanzas(out)).toEqual([]);
  });

  it('returns 401 as an error message with the original id, body and item-not-found', () => {
    const s = inChannel();
    s.stanza(chat(alice, s.ircUser('ghost'), 'anyone?', 'pm-7'));
    const out = s.irc(alice, `:${IRC_SERVER} 401 alice ghost :No such nick/channel`);
    const err = only(out, alice.full);
    expect(err.attrs).toMatchObject({ type: 'error', id: 'pm-7', from: s.ircUser('ghost') });
    expect(err.getChildText('body')).toBe('anyone?');
    expect(errorCondition(err)).toBe('item-not-found');
    expect(errorText(err)).toBe('No such nick/channel');
  });

  it('delivers a reply from IRC as a chat message from nick%net@gw to the bare JID', () => {
    const s = inChannel();
    const out = s.irc(alice, ':bob!b@h PRIVMSG alice :hi back');
    const m = only(out, alice.bare);
    expect(m.attrs).toMatchObject({ type: 'chat', from: s.ircUser('bob') });
    expect(m.getChildText('body')).toBe('hi back');
  });

  it.each([
    ['#chan', true],
    ['&ops', true],
    ['!ABCDEchan', true],
    ['+modeless', true],
    ['@#chan', true],
    ['%#chan', true],
    ['~#chan', true],
    ['$*.example.net', true],
    ['*', true],
    ['', true],
    ['alice', false],
    ['Alice', false],
    ['[bot]', false],
    ['\\o/', false],
    ['^_^', false],
    ['`tick', false],
    ['{curly}', false],
    ['|pipe', false],
  ])('tells a line to %j as one that may reach several connections: %s', (target, several) => {
    expect(mayReachSeveral(target)).toBe(several);
  });

  it('shows nothing for the echo of our own private message (echo-message), whatever it holds or how our nick is cased', () => {
    const s = inChannel({ caps: ['echo-message'] });
    expect(ircLines(s.stanza(chat(alice, s.ircUser('bob'), 'hey there')))).toEqual(['PRIVMSG bob :hey there']);
    for (const echo of [':alice!a@h PRIVMSG bob :hey there', ':ALICE!a@h PRIVMSG bob :\x01ACTION waves\x01', ':alice!a@h NOTICE bob :\x02hi\x02']) {
      expect(s.irc(alice, echo)).toEqual([]);
    }
    // bob's answer still arrives.
    expect(only(s.irc(alice, ':bob!b@h PRIVMSG alice :hi back'), alice.bare).getChildText('body')).toBe('hi back');
  });

  it('delivers the same private line twice as two messages, read alike, with their own ids (not kept parsed)', () => {
    const s = inChannel();
    const line = ':bob!b@h PRIVMSG alice :\x02same\x02 again';
    const first = only(s.irc(alice, line), alice.bare);
    const second = only(s.irc(alice, line), alice.bare);
    for (const m of [first, second]) {
      expect(m.attrs).toMatchObject({ type: 'chat', from: s.ircUser('bob') });
      expect(m.getChildText('body')).toBe('*same* again');
    }
    expect(second.attrs.id).not.toBe(first.attrs.id);
  });

  it('sends an in-room private message to the nick', () => {
    const s = inChannel();
    const out = s.stanza(chat(alice, s.occupant('#chan', 'bob'), 'psst'));
    expect(ircLines(out)).toEqual(['PRIVMSG bob psst']);
  });

  it('returns 401 on an in-room private message from the occupant JID it was sent to (XEP-0045 §7.5)', () => {
    const s = inChannel();
    s.stanza(chat(alice, s.occupant('#chan', 'dave'), 'psst', 'pm-8'));
    const err = only(s.irc(alice, `:${IRC_SERVER} 401 alice dave :No such nick/channel`), alice.full);
    expect(err.attrs).toMatchObject({ type: 'error', id: 'pm-8', from: s.occupant('#chan', 'dave') });
    expect(errorCondition(err)).toBe('item-not-found');
  });

  it('turns chat states alone into nothing', () => {
    const s = inChannel();
    const out = s.stanza(xml('message', { from: alice.full, to: s.ircUser('bob'), type: 'chat' }, xml('active', { xmlns: NS_CHATSTATES })));
    expect(out).toEqual([]);
  });
});

describe('IRC events become occupant presence', () => {
  function both() {
    const s = inChannel();
    s.join(phone, '#chan');
    return s;
  }

  it('JOIN: an available presence from the new occupant to every resource', () => {
    const s = both();
    const out = s.irc(alice, ':erin!e@h JOIN #chan');
    for (const u of [alice, phone]) {
      const p = only(out, u.full);
      expect(p.attrs.from).toBe(s.occupant('#chan', 'erin'));
      expect(p.attrs.type).toBeUndefined();
      expect(standing(p)).toBe('none/participant');
    }
  });

  it('PART: unavailable with the reason as status', () => {
    const s = both();
    const out = s.irc(alice, ':bob!b@h PART #chan :see you');
    for (const u of [alice, phone]) {
      const p = only(out, u.full);
      expect(p.attrs).toMatchObject({ from: s.occupant('#chan', 'bob'), type: 'unavailable' });
      expect(standing(p)).toBe('admin/none');
      expect(p.getChildText('status')).toBe('see you');
    }
  });

  it('QUIT: unavailable in every channel the user shared, and only there', () => {
    const s = inChannel();
    s.joinChannel(alice, '#two', { names: 'alice bob' });
    s.joinChannel(alice, '#three', { names: 'alice carol' });
    const out = s.irc(alice, ':bob!b@h QUIT :Quit: bye');
    expect(stanzasTo(out, alice.full).map(outline)).toEqual([
      `presence[unavailable] ${s.occupant('#chan', 'bob')}`,
      `presence[unavailable] ${s.occupant('#two', 'bob')}`,
    ]);
    for (const p of stanzas(out)) expect(p.getChildText('status')).toBe('Quit: bye');
  });

  it('NICK: unavailable with 303 and the new nick, then available under it (XEP-0045 §7.6)', () => {
    const s = both();
    const out = s.irc(alice, ':bob!b@h NICK robert');
    for (const u of [alice, phone]) {
      const [gone, back, ...rest] = stanzasTo(out, u.full);
      expect(rest).toEqual([]);
      expect(gone!.attrs).toMatchObject({ from: s.occupant('#chan', 'bob'), type: 'unavailable' });
      expect(statusCodes(gone!)).toEqual([303]);
      expect(mucItem(gone!)?.attrs.nick).toBe('robert');
      expect(back!.attrs.from).toBe(s.occupant('#chan', 'robert'));
      expect(back!.attrs.type).toBeUndefined();
      expect(standing(back!)).toBe('admin/moderator');
    }
    expect(only(s.irc(alice, ':robert!b@h PRIVMSG #chan :renamed'), alice.full).attrs.from).toBe(s.occupant('#chan', 'robert'));
  });

  it('NICK of the user herself: 303 and 110, then her new occupant JID', () => {
    const s = inChannel();
    const out = s.irc(alice, ':alice!a@h NICK alicia');
    const [gone, back] = stanzasTo(out, alice.full);
    expect(statusCodes(gone!)).toEqual([303, 110]);
    expect(mucItem(gone!)?.attrs.nick).toBe('alicia');
    expect(back!.attrs.from).toBe(s.occupant('#chan', 'alicia'));
    expect(statusCodes(back!)).toEqual([110]);
  });

  it('KICK: unavailable with 307, the actor and the reason (XEP-0045 §8.2)', () => {
    const s = both();
    const out = s.irc(alice, ':bob!b@h KICK #chan carol :spam');
    for (const u of [alice, phone]) {
      const p = only(out, u.full);
      expect(p.attrs).toMatchObject({ from: s.occupant('#chan', 'carol'), type: 'unavailable' });
      expect(statusCodes(p)).toEqual([307]);
      expect(mucItem(p)?.getChild('actor')?.attrs.nick).toBe('bob');
      expect(mucItem(p)?.getChildText('reason')).toBe('spam');
    }
  });

  it('KICK of the user: 110 and 307 to every resource, and the room is forgotten', () => {
    const s = both();
    const out = s.irc(alice, ':bob!b@h KICK #chan alice :behave');
    for (const u of [alice, phone]) {
      const p = only(out, u.full);
      expect(p.attrs).toMatchObject({ from: s.occupant('#chan', 'alice'), type: 'unavailable' });
      expect(statusCodes(p)).toEqual([110, 307]);
      expect(mucItem(p)?.getChildText('reason')).toBe('behave');
    }
    expect(ircLines(out)).toEqual([]); // no PART for a channel we are no longer in
    expect(errorCondition(only(groupchat(s, alice, '#chan', 'hi'), alice.full))).toBe('not-acceptable');
  });

  it.each([
    ['+o dave', 'dave', 'admin/moderator', []],
    ['-o bob', 'bob', 'none/participant', []],
    ['+v dave', 'dave', 'member/participant', []],
    ['-v carol', 'carol', 'none/participant', []],
    ['+q dave', 'dave', 'owner/moderator', []],
    ['+h dave', 'dave', 'member/moderator', []],
    ['+a dave', 'dave', 'admin/moderator', []],
    ['+o alice', 'alice', 'admin/moderator', [110]],
  ])('MODE %s changes the standing of %s to %s', (change, nick, expected, codes) => {
    const s = both();
    const out = s.irc(alice, `:bob!b@h MODE #chan ${change}`);
    for (const u of [alice, phone]) {
      const p = only(out, u.full);
      expect(p.attrs.from).toBe(s.occupant('#chan', nick));
      expect(p.attrs.type).toBeUndefined();
      expect(standing(p)).toBe(expected);
      expect(statusCodes(p)).toEqual(codes);
    }
  });

  it('MODE that touches no member (+m, +b) sends no presence', () => {
    const s = both();
    expect(stanzas(s.irc(alice, ':bob!b@h MODE #chan +mb *!*@spam'))).toEqual([]);
  });

  it('TOPIC: a subject from the occupant who set it', () => {
    const s = both();
    const out = s.irc(alice, ':bob!b@h TOPIC #chan :release on Friday');
    for (const u of [alice, phone]) {
      const m = only(out, u.full);
      expect(m.attrs).toMatchObject({ type: 'groupchat', from: s.occupant('#chan', 'bob') });
      expect(m.getChildText('subject')).toBe('release on Friday');
      expect(m.getChild('body')).toBeUndefined();
    }
  });

  it('AWAY (away-notify): show away with the message, then back', () => {
    const s = inChannel({ caps: ['away-notify'] });
    const away = only(s.irc(alice, ':carol!c@h AWAY :lunch'), alice.full);
    expect(away.attrs.from).toBe(s.occupant('#chan', 'carol'));
    expect(away.getChildText('show')).toBe('away');
    expect(away.getChildText('status')).toBe('lunch');
    expect(standing(away)).toBe('member/participant');
    const back = only(s.irc(alice, ':carol!c@h AWAY'), alice.full);
    expect(back.getChild('show')).toBeUndefined();
    expect(back.attrs.type).toBeUndefined();
  });
});

describe('several resources (issue 3 §8)', () => {
  it('one of two resources leaving gets its own 110 unavailable; IRC sees nothing', () => {
    const s = inChannel();
    s.join(phone, '#chan');
    const out = s.leave(phone, '#chan');
    expect(ircLines(out)).toEqual([]);
    expect(ofKind(out, 'irc-quit')).toEqual([]);
    expect(stanzasTo(out, alice.full)).toEqual([]);
    const p = only(out, phone.full);
    expect(p.attrs).toMatchObject({ type: 'unavailable', from: s.occupant('#chan', 'alice') });
    expect(statusCodes(p)).toEqual([110]);
    // The laptop is still there.
    expect(stanzasTo(s.irc(alice, ':bob!b@h PRIVMSG #chan :still here?'), alice.full)).toHaveLength(1);
  });

  it('the last resource leaving: PART, then QUIT', () => {
    const s = inChannel();
    const out = s.leave(alice, '#chan');
    const order = out.filter((e) => e.kind === 'irc-send' || e.kind === 'irc-quit').map((e) => (e.kind === 'irc-send' ? e.lines.join('|') : 'QUIT'));
    expect(order).toEqual(['PART #chan', 'QUIT']);
    expect(statusCodes(only(out, alice.full))).toEqual([110]);
  });

  it('a join while the QUIT is still in flight waits for the close, then reconnects once', () => {
    const s = inChannel();
    s.leave(alice, '#chan');
    const again = s.join(alice, '#back');
    // No second connection under the same key while the first is closing.
    expect(ofKind(again, 'irc-connect')).toEqual([]);
    expect(ircLines(again)).toEqual([]);
    const closed = s.event(alice, { kind: 'closed', reason: 'Quit: Leaving' });
    expect(ofKind(closed, 'irc-connect')).toHaveLength(1);
    expect(stanzas(closed).filter((e) => e.attrs.type === 'error')).toEqual([]);
    const reg = s.register(alice);
    expect(ircLines(reg)).toContain('JOIN #back');
  });

  it('the server echoing our own PART afterwards changes nothing', () => {
    const s = inChannel();
    s.joinChannel(alice, '#two');
    s.leave(alice, '#two');
    expect(s.irc(alice, ':alice!alice@gateway.host PART #two')).toEqual([]);
  });

  it('leaving one of two channels PARTs it and keeps the connection', () => {
    const s = inChannel();
    s.joinChannel(alice, '#two');
    const out = s.leave(alice, '#two');
    expect(ircLines(out)).toEqual(['PART #two']);
    expect(ofKind(out, 'irc-quit')).toEqual([]);
  });

  it.each(['message', 'presence'])('a %s bounce removes the resource from every room, unanswered', (name) => {
    const s = inChannel();
    s.joinChannel(alice, '#two');
    s.join(phone, '#chan');
    s.join(phone, '#two');
    const bounce = s.stanza(xml(name, { from: phone.full, to: s.occupant('#chan', 'alice'), type: 'error' }, xml('error', { type: 'cancel' })));
    expect(bounce).toEqual([]);
    for (const ch of ['#chan', '#two']) {
      const out = s.irc(alice, `:bob!b@h PRIVMSG ${ch} :hello?`);
      expect(stanzas(out).map((m) => m.attrs.to)).toEqual([alice.full]);
    }
    // The last resource bouncing leaves IRC too.
    const last = s.stanza(xml(name, { from: alice.full, to: s.room('#chan'), type: 'error' }, xml('error', { type: 'cancel' })));
    expect(ircLines(last).sort()).toEqual(['PART #chan', 'PART #two']);
    expect(ofKind(last, 'irc-quit')).toHaveLength(1);
  });
});

describe('access and limits', () => {
  it('refuses a channel beyond the per-user limit with resource-constraint', () => {
    const s = new Scenario({ maxChannelsPerUser: 2 });
    s.joinChannel(alice, '#a');
    s.join(alice, '#b');
    const out = s.join(alice, '#c');
    expect(ircLines(out)).toEqual([]);
    const err = only(out, alice.full);
    expect(err.attrs).toMatchObject({ type: 'error', from: s.occupant('#c', 'alice') });
    expect(errorCondition(err)).toBe('resource-constraint');
  });

  it('refuses a network beyond the per-user connection limit with resource-constraint', () => {
    const s = new Scenario({ maxConnectionsPerUser: 1 });
    s.joinChannel(alice, '#a');
    const out = s.join(alice, '#a', 'alice', OTHER_NET);
    expect(ofKind(out, 'irc-connect')).toEqual([]);
    expect(errorCondition(only(out, alice.full))).toBe('resource-constraint');
  });

  it('refuses a network that is not open with not-allowed', () => {
    const s = new Scenario();
    const out = s.join(alice, '#a', 'alice', 'irc.elsewhere.net');
    expect(ofKind(out, 'irc-connect')).toEqual([]);
    const err = only(out, alice.full);
    expect(err.attrs.type).toBe('error');
    expect(errorCondition(err)).toBe('not-allowed');
  });
});

describe('a lost IRC link (issue 3 §11)', () => {
  it('tells the room, reconnects on a timer, and rejoins the channels that still have resources', () => {
    const s = inChannel();
    s.joinChannel(alice, '#two', { names: 'alice erin' });
    const lost = s.event(alice, { kind: 'closed', reason: 'Connection reset by peer' });
    const got = stanzasTo(lost, alice.full);
    expect(got.filter((p) => p.name === 'presence').map(outline)).toEqual([
      ...['bob', 'carol', 'dave'].map((n) => `presence[unavailable] ${s.occupant('#chan', n)}`),
      `presence[unavailable] ${s.occupant('#two', 'erin')}`,
    ]);
    const notes = got.filter((m) => m.name === 'message');
    expect(notes.map((m) => m.attrs.from)).toEqual([s.room('#chan'), s.room('#two')]);
    for (const m of notes) {
      expect(m.attrs.type).toBe('groupchat');
      expect(m.getChildText('body')).toContain('Connection reset by peer');
    }
    expect(ofKind(lost, 'irc-quit')).toEqual([]);
    const [timer] = ofKind(lost, 'set-timer');
    expect(timer?.id).toBe(`reconnect ${s.key(alice)}`);
    expect(timer!.delayMs).toBeGreaterThan(0);
    expect(timer!.delayMs).toBeLessThanOrEqual(300_000);

    // While waiting, the user leaves #two: it is not rejoined.
    expect(ircLines(s.leave(alice, '#two'))).toEqual([]);
    const again = s.timer(timer!.id);
    expect(ofKind(again, 'irc-connect').map((c) => c.params.nick)).toEqual(['alice']);
    const reg = s.register(alice);
    expect(ircLines(reg)).toEqual(['JOIN #chan']);
    const back = s.ircJoinReply(alice, '#chan', { names: 'alice bob' });
    // The occupants come back; the user never left, so no second self-presence.
    expect(stanzasTo(back, alice.full).map(outline)).toEqual([`presence ${s.occupant('#chan', 'bob')}`]);
    expect(ircLines(groupchat(s, alice, '#chan', 'back'))).toEqual(['PRIVMSG #chan back']);
  });

  it('a message sent while reconnecting comes back as an error, never silence', () => {
    const s = inChannel();
    s.event(alice, { kind: 'closed', reason: 'Connection reset by peer' });
    const out = groupchat(s, alice, '#chan', 'anyone?');
    expect(ircLines(out)).toEqual([]);
    expect(only(out, alice.full).attrs.type).toBe('error');
  });

  it.each([
    ['465 then ERROR', [`:${IRC_SERVER} 465 alice :You are banned from this server: spamming`, 'ERROR :Closing link: (alice@h) [K-Lined]']],
    ['ERROR naming a K-line', ['ERROR :Closing link: (alice@h) [K-Lined]']],
  ])('a refusal retrying cannot fix (%s): 333 presences (XEP-0045 §10.2: technical reasons, issue 9 §5) and no reconnect', (_what, lines) => {
    const s = inChannel();
    s.join(phone, '#chan');
    s.irc(alice, ...lines);
    const out = s.event(alice, { kind: 'closed', reason: 'Connection closed' });
    expect(ofKind(out, 'set-timer')).toEqual([]);
    expect(ofKind(out, 'irc-connect')).toEqual([]);
    for (const u of [alice, phone]) {
      const p = stanzasTo(out, u.full).find((x) => x.name === 'presence')!;
      expect(p.attrs).toMatchObject({ type: 'unavailable', from: s.occupant('#chan', 'alice') });
      expect(statusCodes(p)).toEqual([110, 333]);
      expect(p.getChildText('status')).toMatch(/banned|K-Lined/);
    }
    expect(s.timer(`reconnect ${s.key(alice)}`)).toEqual([]);
    expect(errorCondition(only(groupchat(s, alice, '#chan', 'hi'), alice.full))).toBe('not-acceptable');
  });
});

describe('XEP-0410 self-ping', () => {
  function ping(s: Scenario, from: typeof alice, nick: string) {
    return s.stanza(xml('iq', { type: 'get', id: 'p1', from: from.full, to: s.occupant('#chan', nick) }, xml('ping', { xmlns: NS_PING })));
  }

  it('answers a result while joined, not-acceptable otherwise', () => {
    const s = inChannel();
    const ok = only(ping(s, alice, 'alice'), alice.full);
    expect(ok.attrs).toMatchObject({ type: 'result', id: 'p1', from: s.occupant('#chan', 'alice') });
    const notJoined = only(ping(s, phone, 'alice'), phone.full);
    expect(notJoined.attrs).toMatchObject({ type: 'error', id: 'p1' });
    expect(errorCondition(notJoined)).toBe('not-acceptable');
    s.leave(alice, '#chan');
    expect(errorCondition(only(ping(s, alice, 'alice'), alice.full))).toBe('not-acceptable');
  });

  it('answers with the nick IRC gave (status 210) as the occupant JID', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan', { nick: 'Alicia' });
    expect(only(ping(s, alice, 'alice'), alice.full).attrs.type).toBe('result');
  });
});

describe('fixed-network mode', () => {
  it('uses #chan@gw for rooms, #chan@gw/nick for occupants and nick@gw for users', () => {
    const s = new Scenario({ fixedNetwork: NET });
    expect(s.room('#chan')).toBe(`#chan@${GW}`);
    const joinOut = s.join(alice, '#chan');
    expect(ofKind(joinOut, 'irc-connect')[0]?.params.network).toBe(NET);
    s.register(alice);
    const out = s.ircJoinReply(alice, '#chan', { names: 'alice @bob' });
    expect(stanzasTo(out, alice.full).map(outline)).toEqual([
      `presence #chan@${GW}/bob`,
      `presence #chan@${GW}/alice`,
      `subject #chan@${GW}`,
    ]);
    const pm = only(s.irc(alice, ':bob!b@h PRIVMSG alice :hi'), alice.bare);
    expect(pm.attrs.from).toBe(`bob@${GW}`);
    expect(ircLines(s.stanza(chat(alice, `bob@${GW}`, 'hi bob')))).toEqual(['PRIVMSG bob :hi bob']);
    const msg = only(s.irc(alice, ':bob!b@h PRIVMSG #chan :hello'), alice.full);
    expect(msg.attrs.from).toBe(`#chan@${GW}/bob`);
    expect(resourceOf(msg.attrs.from!)).toBe('bob');
  });
});

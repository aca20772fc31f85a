/**
 * The bridge with stored identities and persistent channels (issue 4 §3–§4): what it
 * connects with, what it sends after registration, what it keeps joined and restores.
 */
import { describe, expect, it } from 'vitest';
import { NET, Scenario, ircLines, ofKind, stanzasTo, user } from './bridge-harness.js';
import { MemoryIdentities, MemoryPorts, MemoryRoomEncodings } from './fake-ports.js';

const alice = user('alice');

describe('stored identity', () => {
  it('connects with the registered nick, username, realname, server password and SASL', () => {
    const identities = new MemoryIdentities();
    identities.set(alice.bare, '', { nick: 'defaultnick', realname: 'Alice A.' });
    identities.set(alice.bare, NET, { nick: 'al1ce', username: 'al', serverPassword: 'srv', saslAccount: 'alice', saslPassword: 's3cret', port: 6697, tls: true });
    const s = new Scenario({ identities });
    const [connect] = ofKind(s.join(alice, '#chan', 'whatever'), 'irc-connect');
    expect(connect?.params).toMatchObject({ nick: 'al1ce', username: 'al', realname: 'Alice A.', serverPassword: 'srv', sasl: { account: 'alice', password: 's3cret' }, port: 6697, tls: true });
  });

  it('passes the user’s fallback encoding and certificate choice to the connection', () => {
    const identities = new MemoryIdentities();
    identities.set(alice.bare, NET, { encoding: 'iso-8859-15', verifyCertificate: false });
    const s = new Scenario({ identities });
    const [connect] = ofKind(s.join(alice, '#chan'), 'irc-connect');
    expect(connect?.params).toMatchObject({ encoding: 'iso-8859-15', verifyCertificate: false });
    const plain = new Scenario();
    const [other] = ofKind(plain.join(alice, '#chan'), 'irc-connect');
    expect(other?.params.encoding).toBeUndefined();
    expect(other?.params.verifyCertificate).toBeUndefined();
  });

  it('identifies with NickServ after registration when no SASL is set, then sends the after-connect commands', () => {
    const identities = new MemoryIdentities();
    identities.set(alice.bare, NET, { nickservPassword: 'pw', afterConnect: ['MODE alice +x', 'PRIVMSG HostServ :ON'] });
    const s = new Scenario({ identities });
    s.join(alice, '#chan');
    const out = s.register(alice);
    expect(ircLines(out).slice(0, 3)).toEqual(['PRIVMSG NickServ :IDENTIFY pw', 'MODE alice +x', 'PRIVMSG HostServ :ON']);
  });

  it('tells the user through the network entity when SASL fails, and does not retry', () => {
    const identities = new MemoryIdentities();
    identities.set(alice.bare, NET, { saslAccount: 'alice', saslPassword: 'wrong' });
    const s = new Scenario({ identities });
    s.join(alice, '#chan');
    const out = s.irc(alice, ':irc.local 904 alice :SASL authentication failed');
    const note = stanzasTo(out, alice.bare).find((e) => e.name === 'message');
    expect(note?.attrs.from).toBe(`${NET}@irc.example.org`);
    expect(note?.getChildText('body')).toContain('SASL authentication with');
    expect(ofKind(out, 'irc-quit')).toHaveLength(1);
    const closed = s.event(alice, { kind: 'closed', reason: 'Quit' });
    expect(ofKind(closed, 'set-timer').filter((t) => t.id.startsWith('reconnect'))).toEqual([]);
    expect(stanzasTo(closed, alice.full).some((e) => e.attrs.type === 'error')).toBe(true);
  });
});

describe('persistent channels', () => {
  it('stay joined on IRC when the last resource leaves', () => {
    const channels = new MemoryPorts();
    const s = new Scenario({ channels });
    s.joinChannel(alice, '#keep');
    channels.setPersistent({ user: alice.bare, network: NET, channel: '#keep' }, true);
    const out = s.leave(alice, '#keep');
    expect(ircLines(out)).toEqual([]);
    expect(ofKind(out, 'irc-quit')).toEqual([]);
    // Rejoining gets the room state at once, without a second JOIN.
    const back = s.join(alice, '#keep');
    expect(ircLines(back)).toEqual([]);
    expect(stanzasTo(back, alice.full).some((e) => e.getChild('subject') !== undefined)).toBe(true);
  });

  it('are restored at start-up, with connects spaced per network', () => {
    const s = new Scenario();
    const users = ['a', 'b', 'c'].map((l) => user(l));
    const out = s.bridge.restore([
      ...users.map((u) => ({ user: u.bare, network: NET, channel: '#one' })),
      { user: users[0]!.bare, network: NET, channel: '#two' },
    ]);
    const timers = ofKind(out, 'set-timer');
    expect(timers.map((t) => t.delayMs)).toEqual([500, 1500, 2500]);
    const connect = s.timer(timers[0]!.id);
    expect(ofKind(connect, 'irc-connect')).toHaveLength(1);
    const reg = s.register(users[0]!);
    expect(ircLines(reg).filter((l) => l.startsWith('JOIN')).sort()).toEqual(['JOIN #one', 'JOIN #two']);
  });
});

describe('room encoding', () => {
  it('decodes a non-UTF-8 line again with the encoding the user chose for that room', () => {
    const encodings = new Map<string, string>([['#chan', 'iso-8859-7']]);
    const roomEncodings = { get: (_u: string, _n: string, c: string) => encodings.get(c), set: () => undefined };
    const s = new Scenario({ roomEncodings });
    s.joinChannel(alice, '#chan', { names: 'bob alice' });
    const raw = Buffer.concat([Buffer.from(':bob!b@h PRIVMSG #chan :'), Buffer.from([0xe3, 0xe5, 0xe9, 0xdc])]);
    // As the transport delivers it: decoded with the connection's fallback, original bytes in the tag.
    const line = `@jabirc.invalid/raw=${raw.toString('base64')} :bob!b@h PRIVMSG #chan :\u00e3\u00e5\u00e9\u00dc`;
    const [msg] = stanzasTo(s.irc(alice, line), alice.full);
    expect(msg?.getChildText('body')).toBe('γειά');
    // Another room without a choice keeps the fallback's text.
    s.joinChannel(alice, '#other', { names: 'bob alice' });
    const raw2 = Buffer.concat([Buffer.from(':bob!b@h PRIVMSG #other :'), Buffer.from([0xe9])]);
    const [msg2] = stanzasTo(s.irc(alice, `@jabirc.invalid/raw=${raw2.toString('base64')} :bob!b@h PRIVMSG #other :\u00e9`), alice.full);
    expect(msg2?.getChildText('body')).toBe('é');
  });
});

describe('identity fallbacks', () => {
  // Issue 8 §3: the SASL password never goes to whoever holds the nick NickServ.
  it('never sends the SASL credentials to NickServ when SASL did not log us in; tells the user', () => {
    const identities = new MemoryIdentities();
    identities.set(alice.bare, NET, { saslAccount: 'alice', saslPassword: 's3cret' });
    const s = new Scenario({ identities });
    s.join(alice, '#chan');
    const out = s.register(alice); // no 900/903 before 001
    expect(ircLines(out).filter((l) => l.includes('s3cret') || l.includes('IDENTIFY'))).toEqual([]);
    expect(stanzasTo(out, alice.bare).some((e) => (e.getChildText('body') ?? '').includes('did not log you in with SASL'))).toBe(true);
  });

  it('identifies with the NickServ password the user set when SASL did not log us in', () => {
    const identities = new MemoryIdentities();
    identities.set(alice.bare, NET, { saslAccount: 'alice', saslPassword: 's3cret', nickservPassword: 'nspass' });
    const s = new Scenario({ identities });
    s.join(alice, '#chan');
    const lines = ircLines(s.register(alice));
    expect(lines).toContain('PRIVMSG NickServ :IDENTIFY nspass');
    expect(lines.filter((l) => l.includes('s3cret'))).toEqual([]);
  });

  // Issue 9 §4: a SASL password without an account logs in as the nick.
  it('uses the nick as the SASL account when only a SASL password is set', () => {
    const identities = new MemoryIdentities();
    identities.set(alice.bare, NET, { nick: 'alicia', saslPassword: 's3cret' });
    const s = new Scenario({ identities });
    const [connect] = ofKind(s.join(alice, '#chan'), 'irc-connect');
    expect(connect?.params.sasl).toEqual({ account: 'alicia', password: 's3cret' });
  });

  it('does not IDENTIFY again after a successful SASL login', () => {
    const identities = new MemoryIdentities();
    identities.set(alice.bare, NET, { saslAccount: 'alice', saslPassword: 's3cret', nickservPassword: 'other' });
    const s = new Scenario({ identities });
    s.join(alice, '#chan');
    s.irc(alice, ':irc.local 900 alice alice!a@h alice :You are now logged in as alice');
    s.irc(alice, ':irc.local 903 alice :SASL authentication successful');
    expect(ircLines(s.register(alice)).filter((l) => l.includes('IDENTIFY'))).toEqual([]);
  });

  it('connects at once when the user joins while the session waits to reconnect', () => {
    const s = new Scenario();
    const out = s.bridge.restore([{ user: alice.bare, network: NET, channel: '#one' }]);
    expect(ofKind(out, 'irc-connect')).toEqual([]);
    const join = s.join(alice, '#two');
    expect(ofKind(join, 'irc-connect')).toHaveLength(1);
    expect(ofKind(join, 'clear-timer').some((t) => t.id.startsWith('reconnect'))).toBe(true);
  });
});

describe('room settings applied live', () => {
  it('leaves a channel nobody is in when it stops being persistent, and joins one that becomes persistent', () => {
    const channels = new MemoryPorts();
    const s = new Scenario({ channels });
    s.joinChannel(alice, '#keep');
    channels.setPersistent({ user: alice.bare, network: NET, channel: '#keep' }, true);
    s.leave(alice, '#keep');
    // Becomes persistent while not joined: joined now.
    channels.setPersistent({ user: alice.bare, network: NET, channel: '#more' }, true);
    const on = s.bridge.onAction({ kind: 'room-settings', user: alice.bare as never, network: NET, channel: '#more' });
    expect(ircLines(on)).toEqual(['JOIN #more']);
    // No longer persistent, nobody in it: PART.
    channels.setPersistent({ user: alice.bare, network: NET, channel: '#keep' }, false);
    const off = s.bridge.onAction({ kind: 'room-settings', user: alice.bare as never, network: NET, channel: '#keep' });
    expect(ircLines(off)).toEqual(['PART #keep']);
  });
});

describe('stored names follow the network casemapping', () => {
  it('tells the channel and room-setting stores the CASEMAPPING a network announces', () => {
    const learned: string[] = [];
    const ports = new MemoryPorts();
    const channels = Object.assign(ports, { useCaseMapping: (n: string, m: string) => learned.push(`channels ${n} ${m}`) });
    const roomEncodings = Object.assign(new MemoryRoomEncodings(), { useCaseMapping: (n: string, m: string) => learned.push(`rooms ${n} ${m}`) });
    const s = new Scenario({ channels, roomEncodings });
    s.join(alice, '#c');
    s.register(alice, { isupport: ['CHANTYPES=#', 'CASEMAPPING=ascii'] });
    expect(learned).toEqual([`channels ${NET} ascii`, `rooms ${NET} ascii`]);
    s.irc(alice, `:irc.local 005 alice NICKLEN=30 :are supported by this server`);
    expect(learned).toHaveLength(2);
  });
});

describe('a restart comes back under the nick the user had (issue 9 §2)', () => {
  it('restores a persistent channel with its stored nick when none is registered', () => {
    const s = new Scenario();
    const out = s.bridge.restore([{ user: alice.bare, network: NET, channel: '#keep', nick: 'me' }]);
    const [timer] = ofKind(out, 'set-timer');
    const [connect] = ofKind(s.timer(timer!.id), 'irc-connect');
    expect(connect?.params.nick).toBe('me');
  });

  it('prefers the registered nick', () => {
    const identities = new MemoryIdentities();
    identities.set(alice.bare, NET, { nick: 'registered' });
    const s = new Scenario({ identities });
    const [timer] = ofKind(s.bridge.restore([{ user: alice.bare, network: NET, channel: '#keep', nick: 'me' }]), 'set-timer');
    expect(ofKind(s.timer(timer!.id), 'irc-connect')[0]?.params.nick).toBe('registered');
  });
});

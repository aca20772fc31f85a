/**
 * History the IRC server sends (issue 10 §4), as scripted server conversations against the
 * real SQLite archive on `:memory:`: InspIRCd's m_chanhistory replay on join (a
 * `chathistory` batch, as InspIRCd 3.15 sends it: `BATCH +1 chathistory :#chan`, the live
 * msgid, a server-time cut to the second), and the IRCv3 CHATHISTORY catch-up after a
 * rejoin (https://ircv3.net/specs/extensions/chathistory), which Debian's InspIRCd cannot
 * serve. Replayed lines are archived once and never shown as live messages.
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { SqliteArchiveStore } from '../../../src/store/archive-store.js';
import { openDatabase } from '../../../src/store/database.js';
import type { Effect } from '../../../src/core/effects.js';
import { MAX_OPEN_BATCHES } from '../../../src/core/bridge/catch-up.js';
import { IRC_SERVER, NET, Scenario, ircLines, stanzasTo, user, type User } from './bridge-harness.js';

const alice = user('alice');
const bob = user('bob');
const NS_MAM = 'urn:xmpp:mam:2';
const T0 = 1_700_000_000_000 - 60_000;
/** Server-time `s` seconds after T0 (a minute before the harness clock). */
const t = (s: number): string => new Date(T0 + s * 1000).toISOString();
const INSPIRCD_CAPS = ['batch', 'server-time', 'message-tags', 'echo-message'];
const CHATHISTORY_CAPS = [...INSPIRCD_CAPS, 'draft/chathistory'];

function setup(): { s: Scenario; archive: SqliteArchiveStore } {
  const archive = new SqliteArchiveStore(openDatabase(':memory:').db, { retentionDays: 30, maxPerChannel: 100_000, writer: 'inline' });
  return { s: new Scenario({ archive }), archive };
}

function joinAt(s: Scenario, u: User, at: number, caps: string[], isupport?: string[]): Effect[] {
  const out = s.join(u, '#chan');
  if (out.some((e) => e.kind === 'irc-connect')) {
    s.irc(u, `:${IRC_SERVER} 001 ${u.local} :Welcome`);
    s.register(u, { caps, ...(isupport ? { isupport } : {}) });
  }
  return [...out, ...ircJoinEcho(s, u, at)];
}

function ircJoinEcho(s: Scenario, u: User, at: number): Effect[] {
  return s.irc(u, `@time=${t(at)} :${u.local}!${u.local}@h JOIN #chan`, `:${IRC_SERVER} 353 ${u.local} = #chan :${u.local} carol`, `:${IRC_SERVER} 366 ${u.local} #chan :End`);
}

/** The link drops and comes back: reconnect timer, CAP LS and ACK, 001, 005. */
function reconnect(s: Scenario, u: User, caps: string[], isupport?: string[]): Effect[] {
  s.event(u, { kind: 'closed', reason: 'Ping timeout' });
  s.timer(`reconnect ${s.key(u)}`);
  s.irc(u, `:${IRC_SERVER} CAP * LS :${caps.join(' ')}`);
  s.irc(u, `:${IRC_SERVER} 001 ${u.local} :Welcome`);
  return s.register(u, { caps, ...(isupport ? { isupport } : {}) });
}

const groupchats = (out: Effect[], u: User): Element[] => stanzasTo(out, u.full).filter((e) => e.name === 'message' && e.attrs.type === 'groupchat');

function mamBodies(s: Scenario, u: User): string[] {
  const out = s.stanza(xml('iq', { from: u.full, to: s.room('#chan'), type: 'set', id: 'm' }, xml('query', { xmlns: NS_MAM, queryid: 'q' })));
  return stanzasTo(out, u.full)
    .filter((m) => m.name === 'message')
    .map((m) => m.getChild('result', NS_MAM)!.getChild('forwarded')!.getChild('message')!.getChildText('body') ?? '');
}

describe('history replayed by the IRC server (InspIRCd m_chanhistory)', () => {
  it('archives the replay on a rejoin once, fills the gap, and shows none of it live', () => {
    const { s } = setup();
    joinAt(s, alice, 0, INSPIRCD_CAPS);
    const live = s.irc(alice, `@time=${t(5)};msgid=m1 :carol!c@h PRIVMSG #chan :said live`);
    expect(groupchats(live, alice).map((m) => m.getChildText('body'))).toEqual(['said live']);
    reconnect(s, alice, INSPIRCD_CAPS);
    const out = [
      ...ircJoinEcho(s, alice, 20),
      ...s.irc(
        alice,
        `@time=${t(20)} :${IRC_SERVER} BATCH +1 chathistory :#chan`,
        `@time=${t(5)};msgid=m1;batch=1 :carol!c@h PRIVMSG #chan :said live`,
        `@time=${t(12)};msgid=m2;batch=1 :carol!c@h PRIVMSG #chan :\x01ACTION said in the gap\x01`,
        `@time=${t(13)};msgid=m3;batch=1 :alice!alice@h PRIVMSG #chan :mine, from another client`,
        `@time=${t(20)} :${IRC_SERVER} BATCH :-1`,
      ),
    ];
    expect(groupchats(out, alice).filter((m) => m.getChild('body'))).toEqual([]);
    expect(mamBodies(s, alice)).toEqual(['said live', '/me said in the gap', 'mine, from another client']);
    // After the batch, lines are live again.
    const after = s.irc(alice, `@time=${t(25)};msgid=m4 :carol!c@h PRIVMSG #chan :live again`);
    expect(groupchats(after, alice).map((m) => m.getChildText('body'))).toEqual(['live again']);
  });

  it('puts a new line stamped to the whole second after the newest archived line of that second', () => {
    const { s } = setup();
    joinAt(s, alice, 0, INSPIRCD_CAPS);
    // Said live at 5.4 s; then, while the link was down, another line in the same second,
    // which m_chanhistory replays as 5.000 (its times are whole seconds).
    s.irc(alice, `@time=${new Date(T0 + 5_400).toISOString()};msgid=s1 :carol!c@h PRIVMSG #chan :first`);
    reconnect(s, alice, INSPIRCD_CAPS);
    ircJoinEcho(s, alice, 20);
    s.irc(
      alice,
      `:${IRC_SERVER} BATCH +1 chathistory :#chan`,
      `@time=${t(5)};msgid=s1;batch=1 :carol!c@h PRIVMSG #chan :first`,
      `@time=${t(5)};msgid=s2;batch=1 :carol!c@h PRIVMSG #chan :second`,
      `:${IRC_SERVER} BATCH :-1`,
    );
    expect(mamBodies(s, alice)).toEqual(['first', 'second']);
  });

  it('without the batch capability, takes lines stamped before our JOIN as the replay they are', () => {
    const { s } = setup();
    const caps = ['server-time', 'message-tags'];
    joinAt(s, alice, 0, caps);
    s.irc(alice, `@time=${t(5)};msgid=u1 :carol!c@h PRIVMSG #chan :said live`);
    reconnect(s, alice, caps);
    const out = [
      ...ircJoinEcho(s, alice, 20),
      ...s.irc(alice, `@time=${t(5)};msgid=u1 :carol!c@h PRIVMSG #chan :said live`, `@time=${t(12)};msgid=u2 :carol!c@h PRIVMSG #chan :said in the gap`),
    ];
    expect(groupchats(out, alice).filter((m) => m.getChild('body'))).toEqual([]);
    const after = s.irc(alice, `@time=${t(21)};msgid=u3 :carol!c@h PRIVMSG #chan :live again`);
    expect(groupchats(after, alice).map((m) => m.getChildText('body'))).toEqual(['live again']);
    expect(mamBodies(s, alice)).toEqual(['said live', 'said in the gap', 'live again']);
  });

  it('does not show a fresh joiner the lines replayed from before their join, nor lets them read them', () => {
    const { s } = setup();
    const out = [
      ...joinAt(s, bob, 30, INSPIRCD_CAPS),
      ...s.irc(bob, `@time=${t(30)} :${IRC_SERVER} BATCH +7 chathistory :#chan`, `@time=${t(3)};msgid=x1;batch=7 :carol!c@h PRIVMSG #chan :old news`, `:${IRC_SERVER} BATCH -7`),
    ];
    expect(groupchats(out, bob).filter((m) => m.getChild('body'))).toEqual([]);
    expect(mamBodies(s, bob)).toEqual([]);
  });

  it('changes no room state for a replayed TOPIC or JOIN, and skips a replayed line without msgid already archived', () => {
    const { s } = setup();
    joinAt(s, alice, 0, INSPIRCD_CAPS);
    s.irc(alice, `@time=${t(5)} :carol!c@h PRIVMSG #chan :no msgid here`);
    reconnect(s, alice, INSPIRCD_CAPS);
    const out = [
      ...ircJoinEcho(s, alice, 20),
      ...s.irc(
        alice,
        `:${IRC_SERVER} BATCH +b chathistory #chan`,
        `@time=${t(5)};batch=b :carol!c@h PRIVMSG #chan :no msgid here`,
        `@time=${t(15)};batch=b :carol!c@h PRIVMSG #chan :no msgid, newer`,
        `@time=${t(6)};batch=b :carol!c@h TOPIC #chan :old topic`,
        `@time=${t(7)};batch=b :dave!d@h JOIN #chan`,
        `:${IRC_SERVER} BATCH -b`,
      ),
    ];
    expect(stanzasTo(out, alice.full).filter((e) => e.getChild('subject') && e.getChildText('subject') === 'old topic')).toEqual([]);
    expect(stanzasTo(out, alice.full).filter((e) => (e.attrs.from ?? '').endsWith('/dave'))).toEqual([]);
    expect(mamBodies(s, alice)).toEqual(['no msgid here', 'no msgid, newer']);
  });

  it('treats a batch nested in a history batch as history, and forgets the oldest beyond the bound', () => {
    const { s } = setup();
    joinAt(s, alice, 0, INSPIRCD_CAPS);
    const nested = s.irc(
      alice,
      `:${IRC_SERVER} BATCH +outer chathistory #chan`,
      `@batch=outer :${IRC_SERVER} BATCH +inner netjoin`,
      `@time=${t(8)};msgid=n1;batch=inner :carol!c@h PRIVMSG #chan :nested`,
      `:${IRC_SERVER} BATCH -inner`,
      `:${IRC_SERVER} BATCH -outer`,
    );
    expect(groupchats(nested, alice)).toEqual([]);
    // A server that leaves batches open: the oldest is forgotten, its lines are live again.
    s.irc(alice, `:${IRC_SERVER} BATCH +h0 chathistory #chan`);
    for (let i = 1; i <= MAX_OPEN_BATCHES; i++) s.irc(alice, `:${IRC_SERVER} BATCH +j${i} netsplit a b`);
    const stale = s.irc(alice, `@time=${t(9)};msgid=n2;batch=h0 :carol!c@h PRIVMSG #chan :batch forgotten`);
    expect(groupchats(stale, alice).map((m) => m.getChildText('body'))).toEqual(['batch forgotten']);
    // RPL_WELCOME forgets every batch of the last connection.
    s.irc(alice, `:${IRC_SERVER} BATCH +h1 chathistory #chan`, `:${IRC_SERVER} 001 alice :Welcome`);
    const fresh = s.irc(alice, `@time=${t(10)};msgid=n3;batch=h1 :carol!c@h PRIVMSG #chan :new link`);
    expect(groupchats(fresh, alice).map((m) => m.getChildText('body'))).toEqual(['new link']);
  });
});

describe('catch-up with IRCv3 CHATHISTORY', () => {
  it('asks for what was said since the newest archived line on a rejoin, page by page, archiving without duplicates', () => {
    const { s } = setup();
    joinAt(s, alice, 0, CHATHISTORY_CAPS, ['PREFIX=(ov)@+', 'CHANTYPES=#', 'CASEMAPPING=rfc1459', 'CHATHISTORY=2']);
    s.irc(alice, `@time=${t(5)};msgid=a1 :carol!c@h PRIVMSG #chan :before the loss`);
    reconnect(s, alice, CHATHISTORY_CAPS, ['PREFIX=(ov)@+', 'CHANTYPES=#', 'CASEMAPPING=rfc1459', 'CHATHISTORY=2']);
    const joined = ircJoinEcho(s, alice, 30);
    // The newest archived line less the spec's fuzz (10 s), at most the server's limit of 2.
    expect(ircLines(joined)).toEqual([`CHATHISTORY AFTER #chan timestamp=${t(-5)} 2`]);
    const page1 = s.irc(
      alice,
      `:${IRC_SERVER} BATCH +p1 chathistory #chan`,
      `@time=${t(5)};msgid=a1;batch=p1 :carol!c@h PRIVMSG #chan :before the loss`,
      `@time=${t(12)};msgid=a2;batch=p1 :carol!c@h PRIVMSG #chan :gap one`,
      `:${IRC_SERVER} BATCH -p1`,
    );
    expect(ircLines(page1)).toEqual(['CHATHISTORY AFTER #chan msgid=a2 2']);
    const page2 = s.irc(alice, `:${IRC_SERVER} BATCH +p2 chathistory #chan`, `@time=${t(14)};msgid=a3;batch=p2 :carol!c@h NOTICE #chan :gap two`, `:${IRC_SERVER} BATCH -p2`);
    expect(ircLines(page2)).toEqual([]); // a short page: done
    expect(groupchats([...joined, ...page1, ...page2], alice).filter((m) => m.getChild('body'))).toEqual([]);
    expect(mamBodies(s, alice)).toEqual(['before the loss', 'gap one', '[notice] gap two']);
  });

  it('asks nothing on a fresh join, nor without the capability, and stops at a FAIL', () => {
    const { s } = setup();
    joinAt(s, alice, 0, CHATHISTORY_CAPS);
    expect(ircLines(joinAt(s, bob, 1, CHATHISTORY_CAPS)).filter((l) => l.startsWith('CHATHISTORY'))).toEqual([]);
    s.irc(alice, `@time=${t(5)};msgid=f1 :carol!c@h PRIVMSG #chan :x`);
    reconnect(s, bob, INSPIRCD_CAPS);
    expect(ircLines(ircJoinEcho(s, bob, 20))).toEqual([]);
    reconnect(s, alice, CHATHISTORY_CAPS);
    expect(ircLines(ircJoinEcho(s, alice, 20))).toEqual([`CHATHISTORY AFTER #chan timestamp=${t(-5)} 100`]);
    s.irc(alice, `FAIL CHATHISTORY MESSAGE_ERROR #chan :Messages could not be retrieved`);
    // A late full batch no longer pages on.
    const lines = Array.from({ length: 100 }, (_, i) => `@time=${t(6)};msgid=z${i};batch=q :carol!c@h PRIVMSG #chan :${i}`);
    expect(ircLines(s.irc(alice, `:${IRC_SERVER} BATCH +q chathistory #chan`, ...lines, `:${IRC_SERVER} BATCH -q`))).toEqual([]);
  });
});

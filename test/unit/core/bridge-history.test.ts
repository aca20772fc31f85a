/**
 * Channel history wired into the bridge (issue 10): what is archived, who may read it,
 * MAM on the room and discussion history on join, against the real SQLite archive on
 * `:memory:`. Times come from IRCv3 server-time tags, as a server sends them.
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/database.js';
import { SqliteArchiveStore } from '../../../src/store/archive-store.js';
import { IRC_SERVER, NET, NS_MUC, Scenario, errorCondition, ircLines, stanzasTo, user, type User } from './bridge-harness.js';

const alice = user('alice');
const bob = user('bob');
const NS_MAM = 'urn:xmpp:mam:2';
const NS_SID = 'urn:xmpp:sid:0';
/** Server-time a minute before the harness clock, plus `s` seconds. */
const t = (s: number): string => new Date(1_700_000_000_000 - 60_000 + s * 1000).toISOString();

function setup(): { s: Scenario; archive: SqliteArchiveStore } {
  const archive = new SqliteArchiveStore(openDatabase(':memory:').db, { retentionDays: 30, maxPerChannel: 100_000, writer: 'inline' });
  return { s: new Scenario({ archive }), archive };
}

/** `u` joins #chan with the JOIN echo at server-time `at`. */
function joinAt(s: Scenario, u: User, at: number): void {
  const out = s.join(u, '#chan');
  if (out.some((e) => e.kind === 'irc-connect')) s.register(u);
  s.ircOn(u, NET, `@time=${t(at)} :${u.local}!${u.local}@h JOIN #chan`, `:${IRC_SERVER} 353 ${u.local} = #chan :${u.local} carol`, `:${IRC_SERVER} 366 ${u.local} #chan :End`);
}

/** carol says `text` at server-time `at`, seen by every connection in `who`. */
function carolSays(s: Scenario, who: User[], at: number, text: string, msgid?: string): Element[] {
  const tags = msgid ? `@time=${t(at)};msgid=${msgid}` : `@time=${t(at)}`;
  return who.map((u) => stanzasTo(s.irc(u, `${tags} :carol!c@h PRIVMSG #chan :${text}`), u.full)[0]!);
}

function mamQuery(s: Scenario, u: User, id: string, rsm: Element[] = []): Element[] {
  const out = s.stanza(xml('iq', { from: u.full, to: s.room('#chan'), type: 'set', id }, xml('query', { xmlns: NS_MAM, queryid: `q-${id}` }, ...rsm)));
  return stanzasTo(out, u.full);
}

const bodies = (results: Element[]): string[] =>
  results.filter((m) => m.name === 'message').map((m) => m.getChild('result', NS_MAM)!.getChild('forwarded')!.getChild('message')!.getChildText('body') ?? '');

describe('channel history in the bridge', () => {
  it('archives each line once however many users share the channel; the live stanza-id is the archive id', () => {
    const { s, archive } = setup();
    joinAt(s, alice, 0);
    joinAt(s, bob, 0);
    const [a, b] = carolSays(s, [alice, bob], 5, 'hello both');
    const [ida, idb] = [a!, b!].map((m) => m.getChild('stanza-id', NS_SID)?.attrs.id);
    expect(ida).toBe(idb); // one line, one id, without a server msgid
    archive.flush();
    const page = archive.query(alice.bare, NET, '#chan', { max: 10 });
    expect(page.kind === 'page' && page.page.lines.map((l) => [l.id, l.body])).toEqual([[ida, 'hello both']]);
  });

  it('lets each user read only what was said while their connection was in the channel', () => {
    const { s } = setup();
    joinAt(s, alice, 0);
    carolSays(s, [alice], 5, 'before bob');
    joinAt(s, bob, 10);
    carolSays(s, [alice, bob], 15, 'with both');
    expect(bodies(mamQuery(s, alice, 'a'))).toEqual(['before bob', 'with both']);
    expect(bodies(mamQuery(s, bob, 'b'))).toEqual(['with both']);
    const fin = mamQuery(s, bob, 'c').find((e) => e.name === 'iq')!;
    expect(fin.attrs.type).toBe('result');
    expect(fin.getChild('fin', NS_MAM)?.attrs.complete).toBe('true');
  });

  it('archives the user’s own messages with the server msgid, and refuses MAM to someone never there', () => {
    const { s } = setup();
    joinAt(s, alice, 0);
    const out = s.stanza(xml('message', { from: alice.full, to: s.room('#chan'), type: 'groupchat', id: 'c1' }, xml('body', {}, 'mine')));
    expect(ircLines(out)).toEqual(['PRIVMSG #chan mine']);
    expect(bodies(mamQuery(s, alice, 'a'))).toEqual(['mine']);
    const [err] = mamQuery(s, bob, 'x');
    expect(errorCondition(err!)).toBe('not-allowed');
  });

  it('sends the history the join asks for, delayed, after the self-presence and before the subject', () => {
    const { s } = setup();
    joinAt(s, alice, 0);
    for (let i = 1; i <= 5; i++) carolSays(s, [alice], i, `line ${i}`);
    const phone = user('alice', 'phone');
    const out = s.stanza(
      xml('presence', { from: phone.full, to: s.occupant('#chan', 'alice') }, xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '2' }))),
    );
    const got = stanzasTo(out, phone.full);
    const kinds = got.map((e) => (e.getChild('subject') ? 'subject' : e.getChild('delay') ? `history ${e.getChildText('body')}` : e.name));
    expect(kinds.slice(-3)).toEqual(['history line 4', 'history line 5', 'subject']);
    expect(got.find((e) => e.getChild('delay'))?.getChild('delay')?.attrs.from).toBe(s.room('#chan'));
  });

  it('sends none for maxstanzas="0", and advertises MAM in the room’s disco#info', () => {
    const { s } = setup();
    joinAt(s, alice, 0);
    carolSays(s, [alice], 1, 'x');
    const phone = user('alice', 'phone');
    const out = s.stanza(xml('presence', { from: phone.full, to: s.occupant('#chan', 'alice') }, xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '0' }))));
    expect(stanzasTo(out, phone.full).filter((e) => e.getChild('delay'))).toEqual([]);
    const info = stanzasTo(s.stanza(xml('iq', { from: alice.full, to: s.room('#chan'), type: 'get', id: 'd' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }))), alice.full)[0]!;
    expect(info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toEqual(expect.arrayContaining([NS_MAM, 'urn:xmpp:mam:2#extended']));
  });

  it('forgets the user’s spans on unregistration', () => {
    const { s, archive } = setup();
    joinAt(s, alice, 0);
    carolSays(s, [alice], 1, 'x');
    s.bridge.onAction({ kind: 'forget-user', user: alice.bare as never });
    expect(archive.hasSpan(alice.bare, NET, '#chan')).toBe(false);
  });
});

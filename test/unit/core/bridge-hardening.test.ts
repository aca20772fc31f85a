/**
 * Issue 8's findings in the bridge, each with the input that broke it before.
 */
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { GW, IRC_SERVER, NET, Scenario, errorCondition, ofKind, stanzasTo, user } from './bridge-harness.js';

const alice = user('alice');
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_RSM = 'http://jabber.org/protocol/rsm';

function listIq(s: Scenario, id: string, rsm?: { max?: number; after?: string }) {
  const set = rsm
    ? [xml('set', { xmlns: NS_RSM }, rsm.max !== undefined ? xml('max', {}, String(rsm.max)) : null, rsm.after ? xml('after', {}, rsm.after) : null)]
    : [];
  return s.stanza(xml('iq', { from: alice.full, to: `${NET}@${GW}`, type: 'get', id }, xml('query', { xmlns: NS_DISCO_ITEMS }, ...set)));
}

describe('channel list (issue 8 §1, §5)', () => {
  it('leaves out a LIST entry that cannot be a room JID and still answers', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan');
    listIq(s, 'l1');
    s.irc(alice, `:${IRC_SERVER} 322 alice : #leading-space 5 :x`, `:${IRC_SERVER} 322 alice #ok 3 :fine`, `:${IRC_SERVER} 323 alice :End of LIST`);
    const out = s.all.slice(-3);
    const [result] = stanzasTo(out, alice.full);
    expect(result?.attrs).toMatchObject({ type: 'result', id: 'l1' });
    const items = result!.getChild('query')!.getChildren('item');
    expect(items.map((i) => i.attrs.jid)).toEqual([s.room('#ok')]);
  });

  it('answers a disco#items without RSM with one page and the count, not the whole list', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan');
    listIq(s, 'l1');
    const lines = Array.from({ length: 150 }, (_, i) => `:${IRC_SERVER} 322 alice #c${i} ${i} :t`);
    s.irc(alice, ...lines, `:${IRC_SERVER} 323 alice :End of LIST`);
    const [result] = stanzasTo(s.all, alice.full).filter((e) => e.attrs.id === 'l1');
    const query = result!.getChild('query')!;
    expect(query.getChildren('item')).toHaveLength(100);
    expect(query.getChild('set', NS_RSM)?.getChildText('count')).toBe('150');
    const next = stanzasTo(listIq(s, 'l2', { max: 100, after: query.getChild('set', NS_RSM)!.getChildText('last')! }), alice.full)[0]!;
    expect(next.getChild('query')!.getChildren('item')).toHaveLength(50);
  });

  it('drops the cached list once it is stale', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan');
    listIq(s, 'l1');
    const done = s.irc(alice, `:${IRC_SERVER} 322 alice #a 1 :t`, `:${IRC_SERVER} 323 alice :End`);
    const [timer] = ofKind(done, 'set-timer');
    expect(timer?.id).toBe(`list ${s.key(alice)}`);
    s.timer(timer!.id);
    // Asked again: a new LIST goes out rather than a cache that was kept.
    expect(ofKind(listIq(s, 'l2'), 'irc-send').flatMap((e) => e.lines)).toEqual(['LIST']);
  });
});

describe('join timer after a CASEMAPPING change (issue 8 §5)', () => {
  it('still fails a join that never completes when 005 changed the folding after the JOIN went out', () => {
    const s = new Scenario();
    s.join(alice, '#A[1]');
    s.event(alice, { kind: 'registered', nick: 'alice' });
    const [timer] = ofKind(s.all, 'set-timer').filter((t) => t.id.startsWith('join '));
    s.irc(alice, `:${IRC_SERVER} 005 alice CASEMAPPING=ascii CHANTYPES=# :are supported`);
    const out = s.timer(timer!.id);
    const [err] = stanzasTo(out, alice.full);
    expect(err?.attrs.type).toBe('error');
    expect(errorCondition(err!)).toBe('remote-server-timeout');
  });
});

describe('bounded refusals (issue 8 §5)', () => {
  it('refuses a private message to a nick too long for any text with a clear error', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan');
    const nick = 'n'.repeat(440);
    const out = s.stanza(xml('message', { from: alice.full, to: s.ircUser(nick), type: 'chat', id: 'p' }, xml('body', {}, 'hi')));
    const [err] = stanzasTo(out, alice.full);
    expect(err?.attrs).toMatchObject({ type: 'error', id: 'p' });
    expect(['not-acceptable', 'jid-malformed']).toContain(errorCondition(err!));
  });
});

describe('bounces that blame the stanza (issue 8 §1)', () => {
  it('keeps the resource in its rooms when its server refuses a stanza as malformed', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan');
    const NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
    const bounce = s.stanza(
      xml('presence', { from: alice.full, to: s.occupant('#chan', 'odd\uFFFDnick'), type: 'error' }, xml('error', { type: 'modify' }, xml('jid-malformed', { xmlns: NS }))),
    );
    expect(ofKind(bounce, 'irc-send')).toEqual([]);
    expect(ofKind(bounce, 'irc-quit')).toEqual([]);
    // Still joined: a message to the room goes out.
    const out = s.stanza(xml('message', { from: alice.full, to: s.room('#chan'), type: 'groupchat', id: 'm' }, xml('body', {}, 'still here')));
    expect(ofKind(out, 'irc-send').flatMap((e) => e.lines)).toEqual(['PRIVMSG #chan :still here']);
  });
});

describe('bounded state a hostile server can grow (issue 8 §4)', () => {
  function closedWith(out: ReturnType<Scenario['irc']>, s: Scenario): string | undefined {
    return stanzasTo(out, alice.bare).find((m) => (m.getChildText('body') ?? '').includes('Jabirc closed its connection'))?.getChildText('body') ?? undefined;
  }

  it('drops the connection, telling the user, when a server announces more capabilities than kept', () => {
    const s = new Scenario();
    s.joinChannel(alice, '#chan');
    const caps = Array.from({ length: 80 }, (_, i) => `cap${i}`).join(' ');
    const out = s.irc(alice, `:${IRC_SERVER} CAP alice ACK :${caps}`);
    expect(ofKind(out, 'irc-quit')).toHaveLength(1);
    expect(closedWith(out, s)).toContain('capabilities');
    // No retry: the rooms end with the reason once the link closes.
    const closed = s.event(alice, { kind: 'closed', reason: 'Quit' });
    expect(ofKind(closed, 'set-timer').filter((t) => t.id.startsWith('reconnect'))).toEqual([]);
    expect(stanzasTo(closed, alice.full).some((p) => p.name === 'presence' && p.attrs.type === 'unavailable')).toBe(true);
  });

  it('drops the connection when NAMES would list more members than kept', () => {
    const s = new Scenario();
    s.join(alice, '#big');
    s.register(alice);
    s.irc(alice, `:alice!a@h JOIN #big`);
    let quit = 0;
    // Lines within 512 bytes, as a server sends them: 50 names a line.
    for (let i = 0; i < 2100 && quit === 0; i++) {
      const names = Array.from({ length: 50 }, (_, k) => `n${i}x${k}`).join(' ');
      quit += ofKind(s.irc(alice, `:${IRC_SERVER} 353 alice = #big :${names}`), 'irc-quit').length;
    }
    expect(quit).toBe(1);
  });
});

describe('ports and private addresses only where the operator allows (issue 8 §5)', () => {
  it('ignores a port setting the network does not list, and says so', async () => {
    const { MemoryIdentities } = await import('./fake-ports.js');
    const identities = new MemoryIdentities();
    identities.set(alice.bare, NET, { port: 22 });
    const s = new Scenario({ identities });
    const out = s.join(alice, '#chan');
    expect(ofKind(out, 'irc-connect')[0]?.params.port).toBe(6697);
    expect(stanzasTo(out, alice.bare).some((m) => (m.getChildText('body') ?? '').includes('does not allow'))).toBe(true);
  });
});

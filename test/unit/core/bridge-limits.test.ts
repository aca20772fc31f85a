/**
 * Bounds and refusals: what a hostile or broken peer, or an oversized message, meets
 * (the "bad input" standard: a clear error or a bounded refusal, never a hang).
 */
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { GW, NET, Scenario, errorCondition, ircLines, stanzasTo, user } from './bridge-harness.js';

const alice = user('alice');

function joined(): Scenario {
  const s = new Scenario();
  s.joinChannel(alice, '#chan', { names: '@bob alice' });
  return s;
}

describe('limits', () => {
  it('refuses a body that would take more than 25 IRC lines with policy-violation, sending nothing', () => {
    const s = joined();
    const body = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    const out = s.stanza(xml('message', { from: alice.full, to: s.room('#chan'), type: 'groupchat', id: 'big' }, xml('body', {}, body)));
    expect(ircLines(out)).toEqual([]);
    const [err] = stanzasTo(out, alice.full);
    expect(err?.attrs).toMatchObject({ type: 'error', id: 'big' });
    expect(errorCondition(err!)).toBe('policy-violation');
  });

  it('shows a STATUSMSG to the channel operators in the room, marked', () => {
    const s = joined();
    const out = s.irc(alice, ':bob!b@h PRIVMSG @#chan :ops only');
    const [msg] = stanzasTo(out, alice.full);
    expect(msg?.attrs.from).toBe(s.occupant('#chan', 'bob'));
    expect(msg?.getChildText('body')).toBe('[to @] ops only');
  });

  it('answers a waiting channel list with an error when the connection closes, and when LIST is refused', () => {
    const s = joined();
    const list = (id: string) => s.stanza(xml('iq', { from: alice.full, to: `${NET}@${GW}`, type: 'get', id }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    expect(ircLines(list('l1'))).toEqual(['LIST']);
    const refused = s.irc(alice, ':irc.local 263 alice LIST :Server load is temporarily too heavy');
    const [e1] = stanzasTo(refused, alice.full);
    expect(e1?.attrs).toMatchObject({ type: 'error', id: 'l1' });
    expect(ircLines(list('l2'))).toEqual(['LIST']);
    const closed = s.event(alice, { kind: 'closed', reason: 'Connection reset' });
    const e2 = stanzasTo(closed, alice.full).find((e) => e.attrs.id === 'l2');
    expect(e2?.attrs.type).toBe('error');
  });

  it('refuses an over-long away status or nick change cleanly instead of failing internally', () => {
    const s = joined();
    const out = s.stanza(xml('presence', { from: alice.full, to: s.occupant('#chan', 'alice') }, xml('show', {}, 'away'), xml('status', {}, 'x'.repeat(2000))));
    const away = ircLines(out);
    expect(away).toHaveLength(1);
    expect(Buffer.byteLength(away[0]!)).toBeLessThanOrEqual(510);
    const nick = s.stanza(xml('presence', { from: alice.full, to: s.occupant('#chan', 'n'.repeat(600)) }));
    expect(ircLines(nick)).toEqual([]);
    expect(errorCondition(stanzasTo(nick, alice.full)[0]!)).toBe('not-acceptable');
  });

  it('removes a resource whose server bounced an iq, like a message or presence bounce', () => {
    const s = joined();
    const out = s.stanza(xml('iq', { from: alice.full, to: s.occupant('#chan', 'alice'), type: 'error', id: 'x' }, xml('error', { type: 'cancel' })));
    expect(ircLines(out)).toEqual(['PART #chan']);
    expect(stanzasTo(out, alice.full)).toEqual([]);
  });
});

describe('bans', () => {
  it('reports a kick right after a matching +b as a ban (301, outcast), a plain kick as 307', () => {
    const s = joined();
    s.irc(alice, ':carol!c@evil.example JOIN #chan');
    s.irc(alice, ':dave!d@good.example JOIN #chan');
    s.irc(alice, ':bob!b@h MODE #chan +b *!*@evil.example');
    const ban = stanzasTo(s.irc(alice, ':bob!b@h KICK #chan carol :go away'), alice.full)[0]!;
    expect(ban.attrs.type).toBe('unavailable');
    const x = ban.getChild('x', 'http://jabber.org/protocol/muc#user')!;
    expect(x.getChildren('status').map((st) => st.attrs.code)).toEqual(['301']);
    expect(x.getChild('item')?.attrs.affiliation).toBe('outcast');
    const kick = stanzasTo(s.irc(alice, ':bob!b@h KICK #chan dave :calm down'), alice.full)[0]!;
    expect(kick.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChildren('status').map((st) => st.attrs.code)).toEqual(['307']);
  });
});

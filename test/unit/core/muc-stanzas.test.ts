/**
 * The occupant presences and the subject a joining resource receives (XEP-0045 §7.2.3,
 * §7.2.15) are built with `element`, not `xml` (issue 11 §3): the text on the wire must be
 * what the `xml` builder gave, byte for byte, for every optional part present or absent.
 */
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { NS_MUC_USER, NS_OCCUPANT_ID } from '../../../src/core/namespaces.js';
import { occupantPresence, subjectMessage, type OccupantPresenceInput } from '../../../src/core/muc-stanzas.js';
import { serializeElement } from '../../../src/core/stanza.js';

/** occupantPresence as it was written with `xml`, the reference for the wire text. */
function viaXml(p: OccupantPresenceInput): string {
  const item = xml(
    'item',
    { affiliation: p.affiliation, role: p.unavailable ? 'none' : p.role, nick: p.nick },
    p.actor !== undefined ? xml('actor', { nick: p.actor }) : null,
    p.reason !== undefined ? xml('reason', {}, p.reason) : null,
  );
  return xml(
    'presence',
    { from: p.from, to: p.to, type: p.unavailable ? 'unavailable' : undefined },
    p.show ? xml('show', {}, p.show) : null,
    p.status !== undefined ? xml('status', {}, p.status) : null,
    xml('x', { xmlns: NS_MUC_USER }, item, ...(p.statuses ?? []).map((code) => xml('status', { code: String(code) }))),
    p.occupantId !== undefined ? xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: p.occupantId }) : null,
  ).toString();
}

const base = { from: '#c%irc.example@gw/alice', to: 'bob@example.org/phone' } as const;
const cases: Array<[string, OccupantPresenceInput]> = [
  ['a plain occupant', { ...base, affiliation: 'none', role: 'participant' }],
  ['an away operator with an occupant id', { ...base, affiliation: 'admin', role: 'moderator', show: 'away', status: 'lunch & <back>', occupantId: 'abc=' }],
  ['an empty away message', { ...base, affiliation: 'none', role: 'participant', show: 'away', status: '' }],
  ['self-presence with 110 and 210', { ...base, affiliation: 'none', role: 'participant', statuses: [110, 210] }],
  ['a nick change (303)', { ...base, affiliation: 'member', role: 'participant', unavailable: true, nick: 'alice_', statuses: [303] }],
  ['a kick with actor and reason', { ...base, affiliation: 'none', role: 'participant', unavailable: true, actor: 'op', reason: 'flood "x"', statuses: [307] }],
  ['a kick with an empty reason', { ...base, affiliation: 'none', role: 'participant', unavailable: true, actor: 'op', reason: '', statuses: [307] }],
];

describe('occupantPresence', () => {
  it.each(cases)('%s is the text the xml builder gave', (_name, input) => {
    expect(serializeElement(occupantPresence(input))).toBe(viaXml(input));
  });
});

describe('subjectMessage', () => {
  it.each([
    ['a topic', 'Welcome & <enjoy>'],
    ['no topic', ''],
  ])('%s is the text the xml builder gave', (_name, subject) => {
    const expected = xml('message', { from: 'r@gw', to: 'u@d/r', type: 'groupchat', id: 'i1' }, xml('subject', {}, subject)).toString();
    expect(serializeElement(subjectMessage('r@gw', 'u@d/r', subject, 'i1'))).toBe(expected);
  });
});

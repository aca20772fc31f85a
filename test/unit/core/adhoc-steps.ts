/**
 * Steps shared by the ad-hoc command tests (adhoc.test.ts, adhoc-biboumi.test.ts): the
 * entities, a requester's context on the Map-based fakes of our ports (fake-ports.ts), and
 * the XEP-0050 exchanges (execute, submit, read the note or the §4.6 error).
 */
import xml, { type Element } from '@xmpp/xml';
import { expect } from 'vitest';
import { AdhocCommands, type AdhocContext } from '../../../src/core/adhoc.js';
import type { BareJid } from '../../../src/core/jid.js';
import type { LiveConnection } from '../../../src/core/ports.js';
import { MemoryPorts } from './fake-ports.js';

export const GW = 'irc.example.org';
export const NET = 'irc.libera.chat';
export const ALICE = 'alice@example.org' as BareJid;
export const ADMIN = 'root@example.org' as BareJid;
export const NS_COMMANDS = 'http://jabber.org/protocol/commands';
export const NS_DATA = 'jabber:x:data';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export const LIVE: LiveConnection[] = [
  { user: ALICE, network: NET, nick: 'alice', channels: ['#jabirc', '#a', '#b'], state: 'registered', since: Date.UTC(2026, 0, 2, 3, 4, 5) },
  { user: 'bob@example.org', network: 'irc.oftc.net', nick: 'bob', channels: ['#oftc'], state: 'registered', since: Date.UTC(2026, 0, 1) },
];

export interface Entity {
  network: string;
  channel?: string;
  jid: string;
}
export const ON_GW: Entity = { network: '', jid: GW };
export const ON_NET: Entity = { network: NET, jid: `${NET}@${GW}` };
export const ON_ROOM: Entity = { network: NET, channel: '#jabirc', jid: `#jabirc%${NET}@${GW}` };

export function context(entity: Entity, ports = new MemoryPorts(), extra: Partial<AdhocContext> = {}): AdhocContext {
  return {
    user: ALICE,
    network: entity.network,
    channel: entity.channel,
    gatewayDomain: GW,
    identities: ports,
    channels: ports,
    admins: new Set([ADMIN]),
    liveConnections: () => LIVE,
    networkDefaults: (n) => (n === NET ? { port: 6697, tls: true } : undefined),
    ...extra,
  };
}

let ids = 0;
/** A fresh session id, unique across the test files' commands. */
export const newId = (): string => `s${++ids}`;
export const commands = (max?: number): AdhocCommands => new AdhocCommands({ newId, maxSessions: max });

export function commandIq(entity: Entity, attrs: Record<string, string | undefined>, ...children: Element[]): Element {
  return xml('iq', { type: 'set', id: 'c1', from: `${ALICE}/laptop`, to: entity.jid }, xml('command', { xmlns: NS_COMMANDS, ...attrs }, ...children));
}

export function submit(fields: Record<string, string | string[]>): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type: 'submit' },
    ...Object.entries(fields).map(([name, v]) => xml('field', { var: name }, ...(Array.isArray(v) ? v : [v]).map((s) => xml('value', {}, s)))),
  );
}

export function only(replies: Element[]): Element {
  expect(replies).toHaveLength(1);
  return replies[0] as Element;
}

export function fieldValues(x: Element | undefined): Record<string, string[]> {
  return Object.fromEntries((x?.getChildren('field') ?? []).map((f) => [String(f.attrs.var), f.getChildren('value').map((v) => v.text())]));
}

/** Executes `node` and returns the session id and the form. */
export function execute(c: AdhocCommands, entity: Entity, node: string, ctx: AdhocContext): { sessionid: string; form: Element | undefined } {
  const cmd = only(c.handle(commandIq(entity, { node, action: 'execute' }), ctx).replies).getChild('command', NS_COMMANDS);
  expect(cmd?.attrs.status).toBe('executing');
  return { sessionid: String(cmd?.attrs.sessionid), form: cmd?.getChild('x', NS_DATA) };
}

/** Executes then submits; returns the reply to the submission and the actions. */
export function run(entity: Entity, node: string, fields: Record<string, string | string[]>, ctx: AdhocContext, c = commands()) {
  const { sessionid } = execute(c, entity, node, ctx);
  const out = c.handle(commandIq(entity, { node, sessionid, action: 'complete' }, submit(fields)), ctx);
  return { reply: only(out.replies), actions: out.actions, sessionid };
}

/** The XEP-0050 §4.6 condition and the text of an error reply. */
export function commandErrorOf(reply: Element): { condition: string; specific: string; text: string } {
  const error = reply.getChild('error');
  const condition = error?.getChildElements().find((e) => e.attrs.xmlns === NS_STANZAS && e.name !== 'text')?.name ?? '';
  const specific = error?.getChildElements().find((e) => e.attrs.xmlns === NS_COMMANDS)?.name ?? '';
  return { condition, specific, text: error?.getChildText('text', NS_STANZAS) ?? '' };
}

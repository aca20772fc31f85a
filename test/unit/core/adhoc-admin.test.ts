/**
 * The operators' ad-hoc commands of issue 12 §9, as worked examples: connection info for
 * one user, disconnecting a user from one network, and reload (the same as SIGHUP). Each
 * is admins only (XEP-0050 §2.2 lists it to them alone; a user executing it gets
 * `forbidden`).
 */
import type { Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { AdhocContext } from '../../../src/core/adhoc.js';
import { MemoryPorts, thrown } from './fake-ports.js';
import { ADMIN, ALICE, NET, NS_COMMANDS, NS_DATA, ON_GW, commandErrorOf, commandIq, commands, execute, context, fieldValues, only, run } from './adhoc-steps.js';

const admin = (extra: Partial<AdhocContext> = {}, ports = new MemoryPorts()): AdhocContext => context(ON_GW, ports, { user: ADMIN, ...extra });

const noteOf = (reply: Element): string | undefined => reply.getChild('command', NS_COMMANDS)?.getChildText('note') ?? undefined;

/** The reported columns and the rows of a result form (XEP-0004 §3.4). */
function table(reply: Element): { columns: string[]; rows: string[][] } {
  const x = reply.getChild('command', NS_COMMANDS)?.getChild('x', NS_DATA);
  return {
    columns: (x?.getChild('reported')?.getChildren('field') ?? []).map((f) => String(f.attrs.var)),
    rows: (x?.getChildren('item') ?? []).map((item) => item.getChildren('field').map((f) => f.getChildText('value') ?? '')),
  };
}

describe('connection-info: one user\'s networks, nicks, channels and since when', () => {
  it('asks for the user, then answers with a table of their live connections and a note of their networks', () => {
    const ports = new MemoryPorts();
    ports.set(ALICE, NET, {});
    ports.set(ALICE, 'irc.oftc.net', {});
    const c = commands();
    expect(Object.keys(fieldValues(execute(c, ON_GW, 'connection-info', admin({}, ports)).form))).toEqual(['user']);
    const { reply, actions } = run(ON_GW, 'connection-info', { user: ALICE }, admin({}, ports), c);
    expect(reply.getChild('command', NS_COMMANDS)?.attrs.status).toBe('completed');
    expect(noteOf(reply)).toBe(`1 live connections of ${ALICE} (registered with ${NET}, irc.oftc.net).`);
    expect(table(reply)).toEqual({
      columns: ['network', 'nick', 'state', 'since', 'channels'],
      rows: [[NET, 'alice', 'registered', '2026-01-02T03:04:05Z', '#jabirc #a #b']],
    });
    expect(actions).toEqual([]);
  });

  it('a connection not registered yet has no since', () => {
    const live = [{ user: ALICE, network: NET, nick: 'alice', channels: ['#jabirc'], state: 'waiting' }];
    const { reply } = run(ON_GW, 'connection-info', { user: ALICE }, admin({ liveConnections: () => live }));
    expect(table(reply).rows).toEqual([[NET, 'alice', 'waiting', '', '#jabirc']]);
  });

  it('a user with no live connection gets a note and no table', () => {
    const { reply } = run(ON_GW, 'connection-info', { user: 'carol@example.org' }, admin());
    expect(noteOf(reply)).toBe('carol@example.org has no live IRC connection (registered with no network).');
    expect(reply.getChild('command', NS_COMMANDS)?.getChild('x', NS_DATA)).toBeUndefined();
  });

  it.each<[Record<string, string>]>([[{}], [{ user: `${ALICE}/phone` }], [{ user: '@' }]])('%j → bad-payload on field user', (fields) => {
    const { reply } = run(ON_GW, 'connection-info', fields, admin());
    expect(commandErrorOf(reply)).toMatchObject({ condition: 'bad-request', specific: 'bad-payload' });
    expect(commandErrorOf(reply).text).toContain('field "user"');
  });
});

describe('disconnect-network: one network of one user', () => {
  it('returns the disconnect-network action with the network as the bridge spells it', () => {
    const { reply, actions } = run(ON_GW, 'disconnect-network', { user: ALICE, network: NET.toUpperCase(), reason: 'flooding' }, admin());
    expect(noteOf(reply)).toBe(`Disconnecting ${ALICE} from ${NET}.`);
    expect(actions).toEqual([{ kind: 'disconnect-network', user: ALICE, network: NET, reason: 'flooding' }]);
  });

  it('the reason defaults to the operator\'s', () => {
    const { actions } = run(ON_GW, 'disconnect-network', { user: ALICE, network: NET }, admin());
    expect(actions).toEqual([{ kind: 'disconnect-network', user: ALICE, network: NET, reason: 'Disconnected by the gateway operator' }]);
  });

  it.each<[Record<string, string>, string, string]>([
    [{ network: NET }, 'user', 'is required'],
    [{ user: ALICE }, 'network', 'is required'],
    [{ user: 'alice@example.org/phone', network: NET }, 'user', 'bare JID'],
    [{ user: ALICE, network: 'irc.oftc.net' }, 'network', `${ALICE} has no live connection to irc.oftc.net (only to ${NET})`],
    [{ user: 'carol@example.org', network: NET }, 'network', `carol@example.org has no live connection to ${NET}`],
    [{ user: ALICE, network: NET, reason: 'x'.repeat(301) }, 'reason', 'longer than 300'],
    [{ user: ALICE, network: NET, reason: 'a\rQUIT' }, 'reason', 'CR, LF or NUL'],
  ])('%j → field %s', (fields, field, text) => {
    const { reply, actions } = run(ON_GW, 'disconnect-network', fields, admin());
    expect(commandErrorOf(reply)).toMatchObject({ condition: 'bad-request', specific: 'bad-payload' });
    expect(commandErrorOf(reply).text).toContain(`field "${field}"`);
    expect(commandErrorOf(reply).text).toContain(text);
    expect(actions).toEqual([]);
  });

  it('in fixed-network mode the form has no network field: the one network is meant', () => {
    const ctx = admin({ fixedNetwork: NET });
    expect(Object.keys(fieldValues(execute(commands(), ON_GW, 'disconnect-network', ctx).form))).toEqual(['user', 'reason']);
    expect(run(ON_GW, 'disconnect-network', { user: ALICE }, ctx).actions).toEqual([
      { kind: 'disconnect-network', user: ALICE, network: NET, reason: 'Disconnected by the gateway operator' },
    ]);
    const { reply } = run(ON_GW, 'disconnect-network', { user: 'bob@example.org' }, ctx);
    expect(commandErrorOf(reply).text).toContain('field "user"');
  });
});

describe('reload: the same as SIGHUP', () => {
  it('runs at execute and completes with what the reload said; nothing is kept', () => {
    let reloads = 0;
    const c = commands();
    const reply = only(c.handle(commandIq(ON_GW, { node: 'reload', action: 'execute' }), admin({ reload: () => `Reloaded ${++reloads}.` })).replies);
    const cmd = reply.getChild('command', NS_COMMANDS);
    expect(cmd?.attrs.status).toBe('completed');
    expect(cmd?.getChildText('note')).toBe('Reloaded 1.');
    expect(cmd?.getChild('x', NS_DATA)).toBeUndefined();
    expect(reloads).toBe(1);
    expect(c.pendingSessions).toBe(0);
  });

  it('does not exist without a reload to call, and is forbidden to a user', () => {
    expect(thrown(() => commands().handle(commandIq(ON_GW, { node: 'reload' }), admin())).condition).toBe('item-not-found');
    let called = false;
    const user = context(ON_GW, new MemoryPorts(), { reload: () => ((called = true), '') });
    expect(thrown(() => commands().handle(commandIq(ON_GW, { node: 'reload' }), user)).condition).toBe('forbidden');
    expect(called).toBe(false);
  });
});

describe('admins only', () => {
  it.each(['connection-info', 'disconnect-network'])('%s is forbidden to a user', (node) => {
    expect(thrown(() => commands().handle(commandIq(ON_GW, { node }), context(ON_GW))).condition).toBe('forbidden');
  });
});

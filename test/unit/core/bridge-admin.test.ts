/**
 * What the operators' view reads from the bridge (issue 12 §1, §9): live connections
 * with their channels and since when, the scrape-time stats, an admin's disconnect from
 * one network, and the `reload` command reaching the composition root's callback
 * through GatewayCore.
 */
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { AdhocCommands } from '../../../src/core/adhoc.js';
import { GatewayCore } from '../../../src/core/gateway.js';
import type { BareJid } from '../../../src/core/jid.js';
import { silentLog } from '../../../src/core/log-port.js';
import { GW, NET, OTHER_NET, Scenario, USER_DOMAIN, ircLines, ofKind, stanzasTo, user } from './bridge-harness.js';
import { MemoryPorts } from './fake-ports.js';

const NS_COMMANDS = 'http://jabber.org/protocol/commands';
/** The harness's clock (bridge-harness.ts `now`). */
const NOW = 1_700_000_000_000;

describe('liveConnections and stats', () => {
  it('names the channels of each connection and, once registered, since when', () => {
    const s = new Scenario();
    const alice = user('alice');
    s.join(alice, '#waiting');
    expect(s.bridge.liveConnections()).toEqual([{ user: alice.bare, network: NET, nick: 'alice', state: 'connecting', channels: ['#waiting'] }]);
    s.register(alice);
    s.ircJoinReply(alice, '#waiting');
    s.joinChannel(alice, '#Jabirc');
    expect(s.bridge.liveConnections()).toEqual([
      { user: alice.bare, network: NET, nick: 'alice', state: 'registered', channels: ['#waiting', '#Jabirc'], since: NOW },
    ]);
  });

  it('stats: sessions, and the channels joined summed over them (a join in progress is not counted)', () => {
    const s = new Scenario();
    const [alice, bob] = [user('alice'), user('bob')];
    expect(s.bridge.stats()).toEqual({ sessions: 0, channels: 0 });
    s.joinChannel(alice, '#a');
    s.joinChannel(alice, '#b');
    s.joinChannel(bob, '#a');
    s.joinChannel(alice, '#c', { network: OTHER_NET });
    s.join(bob, '#pending');
    expect(s.bridge.stats()).toEqual({ sessions: 3, channels: 4 });
    s.leave(alice, '#b');
    expect(s.bridge.stats()).toEqual({ sessions: 3, channels: 3 });
  });
});

describe('an admin disconnects a user from one network', () => {
  it('the rooms on it end with the reason and the link QUITs; the other network stays', () => {
    const s = new Scenario();
    const alice = user('alice');
    s.joinChannel(alice, '#a');
    s.joinChannel(alice, '#c', { network: OTHER_NET });
    const out = s.bridge.onAction({ kind: 'disconnect-network', user: alice.bare as BareJid, network: NET, reason: 'flooding' });
    expect(ofKind(out, 'irc-quit')).toEqual([{ kind: 'irc-quit', key: s.key(alice), message: 'flooding' }]);
    const gone = stanzasTo(out, alice.full).find((e) => e.name === 'presence' && e.attrs.type === 'unavailable');
    expect(gone?.attrs.from).toBe(s.occupant('#a', 'alice'));
    expect(gone?.toString()).toContain('flooding');
    expect(ircLines(out)).toEqual([]);
    // The session waits for the adapter to report the link closed (session.ts states).
    expect(s.bridge.liveConnections().map((c) => [c.network, c.state])).toEqual([[NET, 'quitting'], [OTHER_NET, 'registered']]);
    s.event(alice, { kind: 'closed', reason: 'disconnected after QUIT' });
    expect(s.bridge.liveConnections().map((c) => c.network)).toEqual([OTHER_NET]);
  });
});

describe('the reload command reaches the composition root (GatewayOptions.onReload)', () => {
  const core = (onReload?: () => string): GatewayCore => {
    const ports = new MemoryPorts();
    return new GatewayCore({
      domain: GW,
      allowedDomains: [USER_DOMAIN],
      software: { name: 'Jabirc', version: '0.0.0-test' },
      log: silentLog,
      bridge: new Scenario().bridge,
      accounts: {
        identities: ports,
        channels: ports,
        admins: new Set([`root@${USER_DOMAIN}`]),
        adhoc: new AdhocCommands({ newId: () => 'sid' }),
        networkDefaults: () => ({ port: 6697, tls: true }),
        limits: { maxChannelsPerUser: 10, maxNetworksPerUser: 10 },
      },
      ...(onReload ? { onReload } : {}),
    });
  };
  const reloadIq = xml('iq', { type: 'set', id: 'r1', from: `root@${USER_DOMAIN}/laptop`, to: GW }, xml('command', { xmlns: NS_COMMANDS, node: 'reload', action: 'execute' }));

  it('an admin\'s execute runs it once and the note is what it said', () => {
    let runs = 0;
    const [reply, ...rest] = core(() => `Reloaded: applied access.domains (${++runs}).`).onStanza(reloadIq);
    expect(rest).toEqual([]);
    expect(reply?.kind).toBe('send-stanza');
    const command = reply?.kind === 'send-stanza' ? reply.stanza.getChild('command', NS_COMMANDS) : undefined;
    expect(command?.attrs.status).toBe('completed');
    expect(command?.getChildText('note')).toBe('Reloaded: applied access.domains (1).');
    expect(runs).toBe(1);
  });

  it('without the callback the command does not exist', () => {
    const [reply] = core().onStanza(reloadIq);
    const error = reply?.kind === 'send-stanza' ? reply.stanza.getChild('error') : undefined;
    expect(error?.getChildElements().map((e) => e.name)).toContain('item-not-found');
  });
});

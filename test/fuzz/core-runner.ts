/**
 * Drives the whole pure core (GatewayCore over a Bridge, with registration and
 * ad-hoc commands on in-memory ports, built only through their public
 * constructors as src/main.ts builds them) through one generated session, and
 * checks every effect against the rules the adapters rely on. Throws a
 * `CoreViolation` naming the first broken rule and the input that broke it.
 *
 * Rules checked (issue 8 §6, ../../shared/STYLE.md):
 * - nothing throws out of `onStanza`, `onIrcLine`, `onIrcEvent`, `onTimer`, nor
 *   inside the error boundary (an `internal-server-error` reply is an untyped throw);
 * - every stanza is well-formed XML 1.0 as the XMPP link writes it, i.e. after
 *   core/xml-safe.ts `xmlSafe` (raw core output may still hold illegal characters);
 * - every IRC line is what the writer promises: no CR, LF or NUL, at most 510
 *   bytes, one command a parser reads back without tags or source; a QUIT
 *   message and connect parameters hold no CR, LF or NUL either; the lines a
 *   plain message (a body, any text) causes are PRIVMSG or NOTICE only (user
 *   text never becomes another command);
 * - every iq get/set is answered exactly once (result or error, same id) once
 *   the timers the core asked for have fired; an iq result or error is never answered.
 */
import xml, { type Element } from '@xmpp/xml';
import { AdhocCommands } from '../../src/core/adhoc.js';
import { Bridge } from '../../src/core/bridge/index.js';
import { connKey, type ConnKey, type Effect } from '../../src/core/effects.js';
import { GatewayCore } from '../../src/core/gateway.js';
import { parseIrcLine } from '../../src/core/irc-message.js';
import { splitJid } from '../../src/core/jid.js';
import { utf8ByteLength } from '../../src/core/irc-writer.js';
import { silentLog } from '../../src/core/log-port.js';
import { xmlSafe } from '../../src/core/xml-safe.js';
import { MemoryPorts, MemoryRoomEncodings } from '../unit/core/fake-ports.js';
import { GW, NET, OTHER_NET, USERS, type CoreAction, type ElementData } from './arbitraries.js';
import { xmlProblem } from './xml-check.js';

export class CoreViolation extends Error {
  override name = 'CoreViolation';
}

const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_RSM = 'http://jabber.org/protocol/rsm';
/** Ids the runner gives stanzas, so answers can be counted. */
const COUNTED_ID = /^fz\d+$/;

export function toElement(data: ElementData): Element {
  const el = new xml.Element(data.name, data.attrs);
  for (const c of data.children) el.append(typeof c === 'string' ? c : toElement(c));
  return el;
}

function buildCore(): GatewayCore {
  let n = 0;
  const newId = (): string => `gen-${++n}`;
  const ports = new MemoryPorts();
  const roomEncodings = new MemoryRoomEncodings();
  const networks = new Set([NET, OTHER_NET]);
  const settings = (name: string) => (networks.has(name) ? { host: name, port: 6697, tls: true } : undefined);
  // A variable, not a literal: the Bridge is being reorganised alongside, and options it
  // does not know (yet, or any more) must not be an excess-property error.
  const bridgeOptions = {
    domain: GW,
    network: settings,
    allowPrivateAddresses: false,
    maxConnectionsPerUser: 3,
    maxChannelsPerUser: 6,
    joinTimeoutMs: 30_000,
    reconnectBaseMs: 2_000,
    reconnectCapMs: 300_000,
    newId,
    random: () => 0.5,
    now: () => 1_700_000_000_000,
    log: silentLog,
    identities: ports,
    channels: ports,
    roomEncodings,
    restoreSpacingMs: 1000,
  };
  return new GatewayCore({
    domain: GW,
    allowedDomains: ['example.org'],
    software: { name: 'Jabirc', version: '0.0.0-fuzz' },
    log: silentLog,
    bridge: new Bridge(bridgeOptions),
    accounts: {
      identities: ports,
      channels: ports,
      admins: new Set(['admin@example.org']),
      adhoc: new AdhocCommands({ newId }),
      networkDefaults: settings,
      roomEncodings,
      limits: { maxChannelsPerUser: 6, maxNetworksPerUser: 3 },
    },
  });
}

const bareOf = (full: string): string => full.split('/')[0] ?? full;
const show = (v: unknown): string => JSON.stringify(v)?.slice(0, 400) ?? String(v);

/**
 * Runs `actions` on a fresh core; throws a CoreViolation at the first broken rule.
 * `stats`, when given, counts what came out (to see what the generators reach).
 */
export function runCore(actions: readonly CoreAction[], stats?: Map<string, number>): void {
  const count = (k: string): void => void stats?.set(k, (stats.get(k) ?? 0) + 1);
  const core = buildCore();
  const conns: ConnKey[] = [];
  /**
   * Each key's connection as the adapter reports it (adapters/irc-pool.ts contract):
   * `registered` at most once after a connect, then `closed` once; lines only while open.
   */
  const connState = new Map<ConnKey, 'connecting' | 'registered' | 'closed'>();
  const open = (key: ConnKey): boolean => connState.get(key) === 'connecting' || connState.get(key) === 'registered';
  /** The nick each connection registered with, for `$me` in generated lines. */
  const nicks = new Map<ConnKey, string>();
  /** The sender and channel of the last handshake, for `$joined`. */
  let joined: { from: string; channel: string } | undefined;
  const timers: string[] = [];
  /**
   * Counted iqs: id → what it was, and how many answers went out. A get/set is answered
   * exactly once, a result/error never (RFC 6120 §8.2.3); an iq of no or another type is
   * a bad-request, answered at most once.
   */
  const iqs = new Map<string, { kind: 'request' | 'answer' | 'other'; answers: number; input: string }>();

  const check = (effects: Effect[], where: string, fromMessage: boolean): void => {
    for (const e of effects) {
      if (stats) count(e.kind === 'send-stanza' ? `${e.stanza.name}[${e.stanza.attrs.type ?? ''}] ${e.stanza.getChildElements()[0]?.name ?? ''}${e.stanza.getChild('error')?.getChildElements()[0]?.name ?? ''}` : e.kind === 'irc-send' ? `irc ${e.lines.map((l) => l.split(' ')[0]).join(',')}` : e.kind);
      switch (e.kind) {
        case 'send-stanza': {
          const raw = e.stanza.toString();
          const problem = xmlProblem(xmlSafe(raw));
          if (problem !== undefined) throw new CoreViolation(`${where}: a stanza is not well-formed XML after xmlSafe: ${problem}\n${raw.slice(0, 600)}`);
          // The error boundary turns an untyped throw into internal-server-error: a throw inside the core.
          if (e.stanza.getChild('error')?.getChild('internal-server-error', NS_STANZAS) !== undefined) {
            throw new CoreViolation(`${where}: the core threw inside the error boundary (internal-server-error): ${raw.slice(0, 400)}`);
          }
          const id = e.stanza.attrs.id;
          if (e.stanza.name === 'iq' && id !== undefined && (e.stanza.attrs.type === 'result' || e.stanza.attrs.type === 'error')) {
            const req = iqs.get(id);
            if (req) {
              if (req.kind === 'answer') throw new CoreViolation(`${where}: answered an iq ${id} that was itself a result or error: ${req.input}`);
              req.answers++;
              if (req.answers > 1) throw new CoreViolation(`${where}: iq ${id} answered ${req.answers} times: ${req.input}`);
            }
          }
          break;
        }
        case 'irc-send':
          for (const line of e.lines) {
            if (/[\r\n\0]/.test(line)) throw new CoreViolation(`${where}: an IRC line holds CR, LF or NUL: ${show(line)}`);
            if (utf8ByteLength(line) > 510) throw new CoreViolation(`${where}: an IRC line is ${utf8ByteLength(line)} bytes: ${show(line.slice(0, 80))}`);
            const parsed = parseIrcLine(line);
            if (parsed.kind !== 'message') throw new CoreViolation(`${where}: an IRC line does not parse (${parsed.reason}): ${show(line)}`);
            if (parsed.source !== undefined || Object.keys(parsed.tags).length > 0) throw new CoreViolation(`${where}: an IRC line carries a source or tags: ${show(line)}`);
            if (fromMessage && parsed.command !== 'PRIVMSG' && parsed.command !== 'NOTICE') {
              throw new CoreViolation(`${where}: a message stanza became a ${parsed.command} line: ${show(line)}`);
            }
          }
          break;
        case 'irc-quit':
          if (/[\r\n\0]/.test(e.message) || utf8ByteLength(`QUIT :${e.message}`) > 510) throw new CoreViolation(`${where}: a QUIT message breaks the writer's rules: ${show(e.message)}`);
          break;
        case 'irc-connect': {
          const p = e.params;
          for (const [k, v] of Object.entries({ nick: p.nick, username: p.username, realname: p.realname, host: p.host })) {
            if (/[\r\n\0]/.test(v)) throw new CoreViolation(`${where}: irc-connect ${k} holds CR, LF or NUL: ${show(v)}`);
          }
          if (/ /.test(p.nick) || /[ ]/.test(p.username)) throw new CoreViolation(`${where}: irc-connect nick or username holds a space: ${show([p.nick, p.username])}`);
          if (open(e.key)) throw new CoreViolation(`${where}: irc-connect for ${show(e.key)}, which is still connected`);
          connState.set(e.key, 'connecting');
          if (!conns.includes(e.key)) conns.push(e.key);
          break;
        }
        case 'set-timer':
          if (!Number.isFinite(e.delayMs) || e.delayMs < 0) throw new CoreViolation(`${where}: set-timer ${show(e.id)} with delay ${e.delayMs}`);
          if (!timers.includes(e.id)) timers.push(e.id);
          break;
        case 'clear-timer': {
          const i = timers.indexOf(e.id);
          if (i >= 0) timers.splice(i, 1);
          break;
        }
        default:
          throw new CoreViolation(`${where}: unknown effect ${show(e)}`);
      }
    }
  };

  const call = (where: string, fromMessage: boolean, run: () => Effect[]): void => {
    let effects: Effect[];
    try {
      effects = run();
    } catch (err) {
      throw new CoreViolation(`${where}: the core threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
    check(effects, where, fromMessage);
  };

  const sendStanza = (el: Element, where: string): void => {
    const id = el.attrs.id;
    // A sender that is no JID cannot be answered (nor would the server deliver it, RFC 6120 §8.1.2.1).
    if (id !== undefined && COUNTED_ID.test(id) && el.name === 'iq' && splitJid(el.attrs.from ?? '') !== undefined) {
      const type = el.attrs.type;
      const kind = type === 'get' || type === 'set' ? 'request' : type === 'result' || type === 'error' ? 'answer' : 'other';
      iqs.set(id, { kind, answers: 0, input: el.toString().slice(0, 300) });
    }
    call(where, sayAction, () => core.onStanza(el));
  };

  /** True while a `say` (a plain body, no subject or MUC payload) is being handled. */
  let sayAction = false;
  const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);
  const fallbackKey = connKey(bareOf(USERS[0]!), NET);

  actions.forEach((a, i) => {
    const where = `action ${i} (${a.kind})`;
    const id = `fz${i}`;
    const from = USERS['user' in a ? a.user % USERS.length : 0]!;
    switch (a.kind) {
      case 'stanza': {
        const el = toElement(a.stanza);
        if (el.attrs.id === undefined) el.attrs.id = id;
        sendStanza(el, where);
        return;
      }
      case 'join':
        sendStanza(xml('presence', { from, to: `${a.channel}%${a.network}@${GW}/${a.nick}`, id }, xml('x', { xmlns: NS_MUC })), where);
        return;
      case 'say': {
        const channel = a.channel === '$joined' ? joined?.channel ?? '#c' : a.channel;
        const network = a.channel === '$joined' ? NET : a.network;
        const sayer = a.channel === '$joined' ? joined?.from ?? from : from;
        sayAction = true;
        sendStanza(xml('message', { from: sayer, to: `${channel}%${network}@${GW}`, type: a.type, id }, xml('body', {}, a.body)), where);
        sayAction = false;
        return;
      }
      case 'listReply': {
        const key = pick(conns, a.conn) ?? fallbackKey;
        if (!open(key)) return;
        const me = nicks.get(key) ?? 'alice';
        const lines = [`:irc.local 321 ${me} Channel :Users Name`, ...a.entries.map(([c, u, t]) => (u === '' ? `:irc.local 322 ${me} :${c}` : `:irc.local 322 ${me} ${c} ${u} :${t}`)), `:irc.local 323 ${me} :End of /LIST`];
        for (const line of lines) call(where, false, () => core.onIrcLine(key, line));
        return;
      }
      case 'list': {
        const set = a.max === undefined ? null : xml('set', { xmlns: NS_RSM }, xml('max', {}, String(a.max)));
        sendStanza(xml('iq', { from, to: `${a.network}@${GW}`, type: 'get', id }, xml('query', { xmlns: NS_DISCO_ITEMS }, set)), where);
        return;
      }
      case 'registered': {
        const key = pick(conns, a.conn) ?? fallbackKey;
        if (connState.get(key) !== 'connecting') return;
        connState.set(key, 'registered');
        const nick = a.nick.replaceAll('$me', 'alice');
        nicks.set(key, nick);
        call(where, false, () => core.onIrcEvent(key, { kind: 'registered', nick }));
        return;
      }
      case 'line': {
        const key = pick(conns, a.conn) ?? fallbackKey;
        if (!open(key)) return;
        const line = a.line.replaceAll('$me', nicks.get(key) ?? 'alice');
        call(where, false, () => core.onIrcLine(key, line));
        return;
      }
      case 'handshake': {
        joined = { from, channel: a.channel };
        sendStanza(xml('presence', { from, to: `${a.channel}%${NET}@${GW}/${a.nick}`, id }, xml('x', { xmlns: NS_MUC })), `${where} presence`);
        const key = connKey(bareOf(from), NET);
        if (!open(key)) return;
        if (connState.get(key) === 'connecting') {
          connState.set(key, 'registered');
          nicks.set(key, a.nick);
          call(`${where} registered`, false, () => core.onIrcEvent(key, { kind: 'registered', nick: a.nick }));
          if (a.isupport) call(`${where} 005`, false, () => core.onIrcLine(key, `:irc.local 005 ${a.nick} ${a.isupport} :are supported by this server`));
        }
        const me = nicks.get(key)!;
        const lines = [`:${me}!u@gateway.host JOIN ${a.channel}`];
        if (a.topic !== undefined) lines.push(`:irc.local 332 ${me} ${a.channel} :${a.topic}`);
        lines.push(`:irc.local 353 ${me} = ${a.channel} :${me} ${a.names}`, `:irc.local 366 ${me} ${a.channel} :End of /NAMES list.`);
        for (const line of lines) call(`${where} ${line.split(' ')[1]}`, false, () => core.onIrcLine(key, line));
        return;
      }
      case 'closed': {
        const key = pick(conns, a.conn) ?? fallbackKey;
        if (!open(key)) return;
        connState.set(key, 'closed');
        call(where, false, () => core.onIrcEvent(key, a.refused ? { kind: 'closed', reason: a.reason, refused: true } : { kind: 'closed', reason: a.reason }));
        return;
      }
      case 'timer': {
        const t = pick(timers, a.timer);
        if (t === undefined) return;
        timers.splice(timers.indexOf(t), 1);
        call(where, false, () => core.onTimer(t));
        return;
      }
    }
  });

  // Let every timer the core asked for fire (join and list time-outs answer what waits).
  for (let round = 0; round < 4 && timers.length > 0; round++) {
    for (const t of timers.splice(0)) call(`drain round ${round} (timer ${show(t)})`, false, () => core.onTimer(t));
  }
  for (const [id, req] of iqs) {
    if (req.kind === 'request' && req.answers !== 1) throw new CoreViolation(`iq ${id} answered ${req.answers} times: ${req.input}`);
  }
}

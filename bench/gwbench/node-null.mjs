#!/usr/bin/env node
// The floor of a Node gateway on gwbench (issue 11 §2, §5): gwbench's own `nullgw` relay
// (tool/src/nullgw.rs) done in Node 20 — one XEP-0114 stream, one IRC connection per
// user, biboumi's addressing, string scanning and templates, no XML tree, no core, no
// logger, no database. What it spends per message is what Node itself costs (socket
// wake-up, read, write, strings) before any gateway logic: Jabirc's figures are read
// against it. Enough of the protocol for the `pm` scenario (joins, PMs both ways; the
// channel text of `fanout`/`xmpp2irc` is relayed too, unmeasured); not a gateway.
// Measured (gwbench pm, 2,000/s, 2026-12-01, one run beside `null`): IRC -> XMPP 55-57 CPU
// ms per 1,000 with NODE_NULL_READ=onread (67 with 'data' events), XMPP -> IRC 66-73;
// gwbench's Rust `null` 24-27 in the same runs. Per IRC -> XMPP message 24 µs user and
// 21 µs system time (/proc/PID/stat over 6 s of the phase): Node's wake-up, read, write
// and string work on an empty relay.
//   run by bench/gwbench/node-null.sh (a gwbench profile)
// Knobs: NODE_NULL_READ=onread (reads into one shared buffer, as Jabirc's IRC side does;
// default: 'data' events), NODE_NULL_FLUSH=read (one write per socket read; default: one
// write per loop turn from setImmediate, as Jabirc's XMPP side does).
import { createHash } from 'node:crypto';
import net from 'node:net';

const env = (k, d) => process.env[k] ?? d;
const domain = env('GW_DOMAIN', 'gw.localhost');
const secret = env('GW_SECRET', 'secret');
const ircPort = Number(env('IRC_PORT', '6667'));
const onreadMode = env('NODE_NULL_READ', 'data') === 'onread';
const flushPerRead = env('NODE_NULL_FLUSH', 'turn') === 'read';

const esc = (s) => s.replace(/[&<>'"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' })[c]);
const unesc = (s) =>
  s.indexOf('&') < 0 ? s : s.replace(/&(amp|lt|gt|apos|quot);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', apos: "'", quot: '"' })[e]);
const attr = (el, name) => {
  const m = new RegExp(`\\s${name}=(['"])(.*?)\\1`).exec(el.slice(0, el.indexOf('>') + 1));
  return m ? m[2] : '';
};

// ---------------------------------------------------------------- XMPP side
let out = '';
let flushQueued = false;
const xmpp = net.connect({ host: env('XMPP_HOST', '127.0.0.1'), port: Number(env('XMPP_COMPONENT_PORT', '5347')) });
xmpp.setNoDelay(true);
const queueOut = (s) => {
  out += s;
  if (flushPerRead || flushQueued) return;
  flushQueued = true;
  setImmediate(flushXmpp);
};
const flushXmpp = () => {
  flushQueued = false;
  if (out.length === 0) return;
  xmpp.write(out);
  out = '';
};
xmpp.on('connect', () =>
  xmpp.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}'>`),
);
let xbuf = '';
let headerSeen = false;
xmpp.setEncoding('utf8');
xmpp.on('data', (chunk) => {
  xbuf += chunk;
  if (!headerSeen) {
    const h = xbuf.indexOf('<stream:stream');
    const gt = h < 0 ? -1 : xbuf.indexOf('>', h);
    if (gt < 0) return;
    const id = attr(xbuf.slice(h, gt + 1), 'id');
    xmpp.write(`<handshake>${createHash('sha1').update(id + secret).digest('hex')}</handshake>`);
    headerSeen = true;
    xbuf = xbuf.slice(gt + 1);
  }
  // Top-level elements by depth: enough for what gwbench sends (no comments, no CDATA).
  let depth = 0;
  let start = -1;
  let done = 0;
  for (let i = xbuf.indexOf('<'); i >= 0 && i < xbuf.length; i = xbuf.indexOf('<', i + 1)) {
    const gt = xbuf.indexOf('>', i);
    if (gt < 0) break;
    if (xbuf[i + 1] === '/') {
      if (--depth === 0) {
        onStanza(xbuf.slice(start, gt + 1));
        done = gt + 1;
      }
    } else if (xbuf[gt - 1] === '/') {
      if (depth === 0) {
        onStanza(xbuf.slice(i, gt + 1));
        done = gt + 1;
      }
    } else if (depth++ === 0) start = i;
    i = gt;
  }
  xbuf = xbuf.slice(done);
  if (flushPerRead) flushXmpp();
});
xmpp.on('close', () => process.exit(0));

// ---------------------------------------------------------------- IRC side
/** key `bare server` → session */
const sessions = new Map();

function onStanza(el) {
  const name = /^<([^\s/>]+)/.exec(el)?.[1];
  const to = attr(el, 'to');
  const from = attr(el, 'from');
  const type = attr(el, 'type');
  const at = to.indexOf('@');
  const local = to.slice(0, at);
  const pct = local.lastIndexOf('%');
  const slash = to.indexOf('/');
  const bare = from.split('/')[0];
  if (name === 'presence') {
    if (pct < 0 || slash < 0 || type !== '') return;
    const chan = local.slice(0, pct);
    const server = local.slice(pct + 1);
    const s = sessionFor(bare, server, to.slice(slash + 1));
    s.full = from;
    if (s.chans.has(chan.toLowerCase())) return;
    s.chans.set(chan.toLowerCase(), { name: chan, full: from, names: [], joined: false, topic: '' });
    if (s.registered) s.send(`JOIN ${chan}\r\n`);
    else s.pending.push(chan);
  } else if (name === 'message') {
    if (type === 'error' || pct < 0) return;
    const b = /<body>([^<]*)<\/body>/.exec(el);
    if (!b) return;
    const s = sessions.get(`${bare} ${local.slice(pct + 1)}`);
    if (!s) return;
    s.send(`PRIVMSG ${local.slice(0, pct)} :${unesc(b[1]).replace(/[\r\n]/g, ' ')}\r\n`);
    if (type === 'groupchat') {
      queueOut(`<message type='groupchat' from='${local}@${domain}/${s.nick}' to='${from}' id='${attr(el, 'id')}'><body>${b[1]}</body></message>`);
    }
  } else if (name === 'iq' && (type === 'get' || type === 'set')) {
    queueOut(`<iq type='error' from='${to}' to='${from}' id='${attr(el, 'id')}'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
  }
}

const SHARED = Buffer.allocUnsafe(64 * 1024);

function sessionFor(bare, server, nick) {
  const key = `${bare} ${server}`;
  let s = sessions.get(key);
  if (s) return s;
  let rest = '';
  let pendingOut = '';
  let writeQueued = false;
  const onBytes = (text) => {
    const all = rest + text;
    let start = 0;
    for (let nl = all.indexOf('\n'); nl >= 0; nl = all.indexOf('\n', start)) {
      const line = all.slice(start, all[nl - 1] === '\r' ? nl - 1 : nl);
      start = nl + 1;
      if (line.length > 0) ircLine(s, line);
    }
    rest = all.slice(start);
    if (flushPerRead) flushXmpp();
  };
  const sock = net.connect(
    onreadMode
      ? { host: server, port: ircPort, onread: { buffer: SHARED, callback: (n) => void onBytes(SHARED.toString('utf8', 0, n)) } }
      : { host: server, port: ircPort },
  );
  sock.setNoDelay(true);
  if (!onreadMode) {
    sock.setEncoding('utf8');
    sock.on('data', onBytes);
  }
  const flushIrc = () => {
    writeQueued = false;
    sock.write(pendingOut);
    pendingOut = '';
  };
  s = {
    nick,
    full: '',
    registered: false,
    pending: [],
    chans: new Map(),
    send(line) {
      pendingOut += line;
      if (!writeQueued) {
        writeQueued = true;
        queueMicrotask(flushIrc);
      }
    },
  };
  s.server = server;
  sessions.set(key, s);
  s.send(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`);
  sock.on('error', () => {});
  sock.on('close', () => sessions.delete(key));
  return s;
}

const PRIV = /^(?:@\S+ )?:([^! ]+)\S* (PRIVMSG|NOTICE) (\S+) :?(.*)$/;

function ircLine(s, line) {
  const pm = PRIV.exec(line);
  if (pm) {
    const [, sender, , target, text] = pm;
    const c = target[0] === '#' || target[0] === '&' ? s.chans.get(target.toLowerCase()) : undefined;
    if (c) {
      queueOut(`<message type='groupchat' from='${c.name}%${s.server}@${domain}/${sender}' to='${c.full}'><body>${esc(text)}</body></message>`);
    } else if (s.full !== '' && c === undefined && target[0] !== '#') {
      queueOut(`<message type='chat' from='${sender}%${s.server}@${domain}' to='${s.full}'><body>${esc(text)}</body></message>`);
    }
    return;
  }
  const parts = line.replace(/^@\S+ /, '').split(' ');
  const hasPrefix = parts[0].startsWith(':');
  const prefixNick = hasPrefix ? parts[0].slice(1).split('!')[0] : '';
  const cmd = hasPrefix ? parts[1] : parts[0];
  const params = hasPrefix ? parts.slice(2) : parts.slice(1);
  const trailing = line.indexOf(' :') >= 0 ? line.slice(line.indexOf(' :') + 2) : params[params.length - 1] ?? '';
  switch (cmd) {
    case 'PING':
      s.send(`PONG :${trailing}\r\n`);
      break;
    case '001':
      s.registered = true;
      s.nick = params[0] ?? s.nick;
      if (s.pending.length > 0) s.send(`JOIN ${s.pending.splice(0).join(',')}\r\n`);
      break;
    case '332': {
      const c = s.chans.get((params[1] ?? '').toLowerCase());
      if (c) c.topic = trailing;
      break;
    }
    case '353': {
      const c = s.chans.get((params[2] ?? '').toLowerCase());
      if (c) for (const n of trailing.split(' ')) if (n) c.names.push(n.replace(/^[@+%]+/, ''));
      break;
    }
    case '366': {
      const c = s.chans.get((params[1] ?? '').toLowerCase());
      if (!c || c.joined) break;
      c.joined = true;
      const room = `${c.name}%${s.server}@${domain}`;
      const pres = (nick, self) =>
        `<presence from='${room}/${nick}' to='${c.full}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/>${self ? "<status code='110'/>" : ''}</x></presence>`;
      for (const n of c.names) if (n.toLowerCase() !== s.nick.toLowerCase()) queueOut(pres(n, false));
      queueOut(pres(s.nick, true));
      queueOut(`<message type='groupchat' from='${room}' to='${c.full}'><subject>${esc(c.topic)}</subject></message>`);
      c.names = [];
      break;
    }
    case '433':
      s.nick += '_';
      s.send(`NICK ${s.nick}\r\n`);
      break;
    default:
      void prefixNick;
  }
}

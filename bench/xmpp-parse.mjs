#!/usr/bin/env node
// The link's stream parser (src/adapters/xmpp-link.ts `StanzaParser`) against @xmpp/xml's own
// (issue 11 §2): CPU per stanza to parse reads of 78 gwbench xmpp2irc groupchat stanzas (one
// read of the link in that scenario), the parsers taking turns, the best of RUNS each.
//   npm run build && node bench/xmpp-parse.mjs
import { createRequire } from 'node:module';
import { StanzaParser } from '../dist/src/adapters/xmpp-link.js';

const xml = createRequire(import.meta.url)('@xmpp/xml');
const HEADER = "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='x'>";
const read = Array.from({ length: 78 }, (_, i) => {
  const body = `${String(i).padStart(10, '0')} ${1733000000000000 + i} ${'abcdefghijklmnopqrstuvwxyz'.repeat(2)}`.slice(0, 64);
  return `<message from='user${i % 50}@localhost/gwbench' to='#x${i % 50}%irc.localhost@irc.localhost' type='groupchat' id='g${1000 + i}'><body>${body}</body></message>`;
}).join('');
const READS = 2000;
const RUNS = 15;
const parsers = { '@xmpp/xml Parser': xml.Parser, StanzaParser };
const best = Object.fromEntries(Object.keys(parsers).map((k) => [k, Infinity]));
for (let r = 0; r < RUNS; r++) {
  for (const [name, P] of Object.entries(parsers)) {
    const p = new P();
    let n = 0;
    p.on('element', () => n++);
    p.write(HEADER);
    const t0 = process.cpuUsage();
    for (let i = 0; i < READS; i++) p.write(read);
    const u = process.cpuUsage(t0);
    if (n !== READS * 78) throw new Error(`${name}: ${n} stanzas`);
    best[name] = Math.min(best[name], ((u.user + u.system) * 1000) / n);
  }
}
for (const [name, ns] of Object.entries(best)) console.log(`${name.padEnd(18)} ${ns.toFixed(0)} ns a stanza`);

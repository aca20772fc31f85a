#!/usr/bin/env node
// A/B of the XMPP -> IRC path between builds, in one process (issue 11 §2, gwbench xmpp2irc):
// reads of 78 groupchat stanzas from 50 users (each alone in its channel with one IRC user, a
// 64-character body, as gwbench sends them) go through the link's parser (`StanzaParser`), the
// core (GatewayCore.onStanza), and each stanza effect through `wireText` into one string, as
// the link writes a batch. No sockets, no IRC pool: what each build does from the component
// socket read to the hand-off of the lines. The time per stanza is the minimum over runs,
// the builds taking turns, so a shared machine's load hits both alike.
//   node bench/xmpp2irc-ab.mjs <dir with a built copy> [<another> ...]   (each: npm run build done there)
import { body64, buildDirs, turns } from './ab-turns.mjs';

const dirs = buildDirs('xmpp2irc-ab.mjs');
const HEADER = "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='x'>";
const PER_READ = 78;
const READS = 40;
const RUNS = 120;
const builds = [];
for (const d of dirs) {
  const { populate } = await import(`${d}/dist/bench/world.js`);
  const { StanzaParser } = await import(`${d}/dist/src/adapters/xmpp-link.js`);
  const { wireText } = await import(`${d}/dist/src/core/stanza.js`);
  const world = populate(50, 2);
  const parser = new StanzaParser();
  const b = { world, parser, wireText, out: [], lines: 0, stanzas: 0 };
  parser.on('element', (el) => {
    b.stanzas++;
    for (const e of world.core.onStanza(el)) {
      if (e.kind === 'send-stanza') b.out.push(wireText(e.stanza));
      else if (e.kind === 'irc-send') b.lines += e.lines.length;
    }
  });
  parser.write(HEADER);
  builds.push(b);
}
let seq = 0;
const reads = (w) =>
  Array.from({ length: READS }, () => {
    let s = '';
    for (let i = 0; i < PER_READ; i++, seq++) {
      const m = w.members[seq % 50];
      s += `<message from='${m.resources[0]}' to='${m.room}' type='groupchat' id='g${seq}'><body>${body64(seq)}</body></message>`;
    }
    return Buffer.from(s); // a socket read: decoded by the run, as the link does
  });
const best = dirs.map(() => Infinity);
let written = 0;
for (const i of turns(RUNS, builds.length)) {
  const b = builds[i];
  const input = reads(b.world);
  const stanzas = b.stanzas;
  const lines = b.lines;
  const t0 = process.hrtime.bigint();
  for (const read of input) {
    b.parser.write(read.toString('utf8'));
    written += b.out.join('').length; // the batch, as one string
    b.out.length = 0;
  }
  const ns = Number(process.hrtime.bigint() - t0) / (READS * PER_READ);
  if (b.stanzas - stanzas !== READS * PER_READ || b.lines - lines !== READS * PER_READ) throw new Error(`${dirs[i]}: ${b.stanzas - stanzas} stanzas, ${b.lines - lines} lines`);
  best[i] = Math.min(best[i], ns);
}
dirs.forEach((d, i) => console.log(`${d}: ${best[i].toFixed(0)} ns per stanza (min of ${RUNS} runs of ${READS * PER_READ})`));
if (written === 0) throw new Error('nothing written');

#!/usr/bin/env node
// A/B of the core's XMPP -> IRC path between builds, in one process (issue 11 §2): gwbench's
// xmpp2irc stanza (50 users, each alone in its channel with one IRC user, a 64-character
// body) parsed afresh for each run by @xmpp/xml's parser (on ltx, as the link's), so its
// attribute strings are new as off the socket, then fed to GatewayCore.onStanza; the time per stanza is the minimum over runs
// of 2,000 stanzas, the builds taking turns, so a shared machine's load hits both alike.
// Core only: no sockets, no XML serialisation of the effects.
//   node bench/core-ab.mjs <dir with a built copy> [<another> ...]   (each: npm run build done there)
import { createRequire } from 'node:module';
import { body64, buildDirs, turns } from './ab-turns.mjs';

const dirs = buildDirs('core-ab.mjs');
const parse = createRequire(import.meta.url)('@xmpp/xml/lib/parse.js');
const worlds = [];
for (const d of dirs) {
  const { populate } = await import(`${d}/dist/bench/world.js`);
  worlds.push(populate(50, 2));
}
const N = 2000;
const RUNS = 150;
const batch = (w, seq0) =>
  Array.from({ length: N }, (_, i) => {
    const m = w.members[i % 50];
    const n = seq0 + i;
    return parse(`<message from='${m.resources[0]}' to='${m.room}' type='groupchat' id='g${n}'><body>${body64(n)}</body></message>`);
  });
const best = dirs.map(() => Infinity);
let seq = 0;
for (const i of turns(RUNS, worlds.length)) {
  const stanzas = batch(worlds[i], seq);
  seq += N;
  const t0 = process.hrtime.bigint();
  for (const st of stanzas) worlds[i].core.onStanza(st);
  best[i] = Math.min(best[i], Number(process.hrtime.bigint() - t0) / N);
}
dirs.forEach((d, i) => console.log(`${d}: ${best[i].toFixed(0)} ns per stanza (min of ${RUNS} runs of ${N})`));

#!/usr/bin/env node
// A/B of the core's private-message paths between builds, in one process (issue 11 §2, gwbench
// `pm`): IRC -> XMPP, a PRIVMSG from a bot to each of 50 users as a fresh line string (as off
// the socket) to GatewayCore.onIrcLine, its stanza serialised as the link writes it
// (`wireText`); XMPP -> IRC, a `chat` message from each user to the bot, parsed afresh by
// @xmpp/xml's parser, to GatewayCore.onStanza. Time per message: the minimum over runs of
// 2,000 messages, the builds taking turns, so a shared machine's load hits both alike.
//   node bench/pm-core-ab.mjs <dir with a built copy> [<another> ...]   (each: npm run build done there)
import { createRequire } from 'node:module';
import { body64 as body, buildDirs, turns } from './ab-turns.mjs';

const dirs = buildDirs('pm-core-ab.mjs');
const parse = createRequire(import.meta.url)('@xmpp/xml/lib/parse.js');
const builds = [];
for (const d of dirs) {
  const { populate, GW, NET } = await import(`${d}/dist/bench/world.js`);
  const { wireText } = await import(`${d}/dist/src/core/stanza.js`);
  builds.push({ world: populate(50, 2), wireText, GW, NET });
}
const N = 2000;
const RUNS = 150;
const i2x = (b, seq0) =>
  Array.from({ length: N }, (_, i) => {
    const m = b.world.members[i % 50];
    return [m.key, `:bot0!bot@bench.bot PRIVMSG ${m.nick} :${body(seq0 + i)}`.split('').join('')];
  });
const x2i = (b, seq0) =>
  Array.from({ length: N }, (_, i) => {
    const m = b.world.members[i % 50];
    return parse(`<message from='${m.resources[0]}' to='bot0%${b.NET}@${b.GW}' type='chat' id='c${seq0 + i}'><body>${body(seq0 + i)}</body></message>`);
  });
const best = builds.map(() => ({ i2x: Infinity, x2i: Infinity }));
let seq = 0;
let sink = 0;
for (const i of turns(RUNS, builds.length)) {
  const b = builds[i];
  const lines = i2x(b, seq);
  const stanzas = x2i(b, seq);
  seq += N;
  let t0 = process.hrtime.bigint();
  for (const [key, line] of lines) {
    for (const e of b.world.core.onIrcLine(key, line)) if (e.kind === 'send-stanza') sink += b.wireText(e.stanza).length;
  }
  let t1 = process.hrtime.bigint();
  best[i].i2x = Math.min(best[i].i2x, Number(t1 - t0) / N / 1000);
  t0 = process.hrtime.bigint();
  for (const st of stanzas) sink += b.world.core.onStanza(st).length;
  t1 = process.hrtime.bigint();
  best[i].x2i = Math.min(best[i].x2i, Number(t1 - t0) / N / 1000);
}
if (sink === 0) console.error('nothing was sent: the world is not what this bench expects');
for (let k = 0; k < dirs.length; k++) {
  console.log(`${dirs[k]}: IRC -> XMPP ${best[k].i2x.toFixed(2)} µs, XMPP -> IRC ${best[k].x2i.toFixed(2)} µs a message (min of ${RUNS} runs of ${N})`);
}

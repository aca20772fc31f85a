#!/usr/bin/env node
// Whether an attribute value the XML parser cut from a socket read keeps the read alive when a
// long-lived map keeps it (src/core/bounded-cache.ts `detached`): 2,000 reads of ~55 kB, each
// with one stanza from a new sender, the sender kept as parsed or detached; heap after a full GC.
//   node --expose-gc bench/pinned-reads.mjs [detach]
import { createRequire } from 'node:module';
const Parser = createRequire(import.meta.url)('@xmpp/xml/lib/Parser.js');
const mode = process.argv[2];
const filler = `<message from='a@x' to='b@y' type='chat'><body>${'z'.repeat(900)}</body></message>`.repeat(60); // ~60 kB a read
const keep = new Map();
const p = new Parser();
p.on('element', (el) => { const f = el.attrs.from; if (f.startsWith('user')) keep.set(mode === 'detach' ? (' ' + f).slice(1) : f, 1); });
p.write("<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>");
global.gc(); const h0 = process.memoryUsage();
for (let i = 0; i < 2000; i++) p.write(filler + `<message from='user${i}@example.org/phone-${i}' to='#c%irc@gw' type='groupchat'><body>hi</body></message>`);
global.gc(); const h1 = process.memoryUsage();
console.log(mode ?? 'as parsed', 'heap +', ((h1.heapUsed - h0.heapUsed) / 1048576).toFixed(1), 'MB, external +', ((h1.external - h0.external) / 1048576).toFixed(1), 'MB for', keep.size, 'keys');

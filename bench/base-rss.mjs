#!/usr/bin/env node
// What the base RSS is made of (issue 11 §3: base RSS <= 50 MB): each of Jabirc's runtime
// dependencies loaded alone into a fresh node, set up as Jabirc sets it up, then RSS, the
// node binary's own file pages, anonymous memory and the V8 heap 3 s later; median of RUNS.
//   node bench/base-rss.mjs [RUNS=3]
// A child per measure: `node bench/base-rss.mjs --one NAME`.
// The CommonJS packages that the gateway loads with require() (src/cjs-require.ts) are loaded
// here the same way; `ipaddr.js by import` shows what an import of one costs instead.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

const LOADS = {
  'bare node': async () => undefined,
  // What any program that runs hot code pays once: TurboFan's own code pages and zone memory.
  'bare node, one function optimised by TurboFan': async () => {
    const hot = (n) => { let h = 0; for (let i = 0; i < n; i++) h = (h * 31 + i) | 0; return h; };
    let x = 0;
    for (let i = 0; i < 20_000; i++) x ^= hot(100);
    return x;
  },
  pino: async () => require('pino').pino(),
  zod: async () => import('zod'),
  'better-sqlite3': async () => new (await import('better-sqlite3')).default(':memory:').exec('create table t (a)'),
  '@xmpp/component-core + @xmpp/xml': async () => [await import('@xmpp/component-core'), await import('@xmpp/xml')],
  'irc-framework client': async () => require('irc-framework/src/client.js'),
  'smol-toml': async () => import('smol-toml'),
  'ipaddr.js': async () => require('ipaddr.js'),
  'ipaddr.js by import': async () => import('ipaddr.js'),
  'prom-client (only with [metrics])': async () => import('prom-client'),
  'all of the above but prom-client': async () => {
    for (const name of ['pino', 'zod', 'better-sqlite3', '@xmpp/component-core + @xmpp/xml', 'irc-framework client', 'smol-toml', 'ipaddr.js']) await LOADS[name]();
  },
};

function sample() {
  const kB = (text, re) => Number(re.exec(text)?.[1] ?? 0);
  const smaps = readFileSync('/proc/self/smaps', 'utf8');
  let nodeFile = 0;
  let mapping = '';
  for (const line of smaps.split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) mapping = m[1];
    else if (mapping === process.execPath && line.startsWith('Rss:')) nodeFile += kB(line, /(\d+)/);
  }
  const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
  return { rss: kB(rollup, /^Rss:\s+(\d+)/m), nodeFile, anon: kB(rollup, /^Anonymous:\s+(\d+)/m), heapUsed: Math.round(process.memoryUsage().heapUsed / 1024) };
}

if (process.argv[2] === '--one') {
  const keep = await LOADS[process.argv[3]]();
  setTimeout(() => {
    console.log(JSON.stringify(sample()), typeof keep);
    process.exit(0);
  }, 3000);
} else {
  const runs = Number(process.argv[2] ?? 3);
  const self = fileURLToPath(import.meta.url);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log('| loaded | RSS MB | node binary pages MB | anonymous MB | V8 heap used MB |\n| --- | ---: | ---: | ---: | ---: |');
  for (const name of Object.keys(LOADS)) {
    const s = Array.from({ length: runs }, () => JSON.parse(execFileSync(process.execPath, [self, '--one', name], { encoding: 'utf8' }).split(' ')[0]));
    const mb = (k) => (median(s.map((x) => x[k])) / 1024).toFixed(1);
    console.log(`| ${name} | ${mb('rss')} | ${mb('nodeFile')} | ${mb('anon')} | ${mb('heapUsed')} |`);
  }
}

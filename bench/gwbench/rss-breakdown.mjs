#!/usr/bin/env node
// What a running process's RSS is made of (issue 11 §3, base RSS), from /proc/PID/smaps:
// the node binary's own file pages, V8 heap pages (V8 commits its heap in 256 kB anonymous
// mappings), the main malloc arena ([heap]), other anonymous memory (thread arenas and
// stacks, V8's code pages, zone memory), shared libraries and other files. Run it on the
// gateway's PID (gwbench's work dir, or `pgrep -f dist/src/main.js`):
//   node bench/gwbench/rss-breakdown.mjs PID
import { readFileSync } from 'node:fs';

const pid = process.argv[2];
if (!pid) {
  console.error('usage: rss-breakdown.mjs PID');
  process.exit(2);
}
const exe = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
const V8_PAGE_KB = 256;
const kinds = new Map();
let mapping;
for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
  const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
  if (m) {
    const sizeKb = (parseInt(m[2], 16) - parseInt(m[1], 16)) / 1024;
    const name = m[4];
    let kind;
    if (name === '[heap]') kind = 'main malloc arena ([heap])';
    else if (name === '[stack]') kind = 'main thread stack';
    else if (name.startsWith('[')) kind = `kernel ${name}`;
    else if (name === '') kind = sizeKb === V8_PAGE_KB && m[3] === 'rw-p' ? 'V8 heap pages (256 kB mappings)' : `other anonymous (${m[3]})`;
    else if (name.endsWith('/node') || name === exe) kind = 'node binary (file pages, shared)';
    else if (/\.so(\.|$)|\.node$/.test(name)) kind = `library ${name.replace(/^.*\//, '')}`;
    else kind = `file ${name}`;
    mapping = kind;
    continue;
  }
  const rss = /^Rss:\s+(\d+)/.exec(line);
  if (rss && mapping) kinds.set(mapping, (kinds.get(mapping) ?? 0) + Number(rss[1]));
}
const total = [...kinds.values()].reduce((a, b) => a + b, 0);
console.log(`| PID ${pid} | RSS MB |\n| --- | ---: |`);
for (const [kind, kb] of [...kinds].sort((a, b) => b[1] - a[1])) if (kb >= 100) console.log(`| ${kind} | ${(kb / 1024).toFixed(1)} |`);
console.log(`| total | ${(total / 1024).toFixed(1)} |`);

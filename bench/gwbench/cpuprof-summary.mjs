#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time,
// as a share of the busy (non-idle) samples, and the same grouped by package or file.
//   node bench/gwbench/cpuprof-summary.mjs FILE.cpuprofile [TOP=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: cpuprof-summary.mjs FILE.cpuprofile [TOP]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const counts = new Map();
for (const id of prof.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
const total = prof.samples.length;
const self = new Map();
const byModule = new Map();
let idle = 0;
const shortUrl = (url) =>
  url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/dist\//, 'dist/');
const moduleOf = (url) => {
  const u = shortUrl(url);
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (m) return m[1];
  return u || '(native / gc)';
};
for (const [id, c] of counts) {
  const { callFrame: f } = byId.get(id);
  if (f.functionName === '(idle)') {
    idle += c;
    continue;
  }
  const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'}\t${where}`;
  self.set(key, (self.get(key) ?? 0) + c);
  const mod = moduleOf(f.url);
  byModule.set(mod, (byModule.get(mod) ?? 0) + c);
}
const busy = total - idle;
const pct = (c) => ((100 * c) / busy).toFixed(1);
console.log(`samples ${total}, idle ${((100 * idle) / total).toFixed(1)} %, busy ${busy}\n`);
console.log('| self % | function | where |\n| ---: | --- | --- |');
for (const [key, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  const [fn, where] = key.split('\t');
  console.log(`| ${pct(c)} | ${fn} | ${where} |`);
}
console.log('\n| self % | package or file |\n| ---: | --- |');
for (const [mod, c] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`| ${pct(c)} | ${mod} |`);

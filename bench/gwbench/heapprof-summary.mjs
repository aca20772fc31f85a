#!/usr/bin/env node
// Summarises a sampling heap profile (bench/gwbench/heapprof.cjs): allocation sites by estimated
// bytes, each with its last DEPTH frames (innermost first).
//   node bench/gwbench/heapprof-summary.mjs FILE.heapprofile [TOP=30] [DEPTH=4]
import { readFileSync } from 'node:fs';

const [file, topArg, depthArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: heapprof-summary.mjs FILE.heapprofile [TOP] [DEPTH]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const depth = Number(depthArg ?? 4);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const frame = (f) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/dist\//, 'dist/')}:${f.lineNumber + 1}`;
const sites = new Map();
let total = 0;
const walk = (node, stack) => {
  const here = [...stack, frame(node.callFrame)];
  if (node.selfSize > 0) {
    total += node.selfSize;
    const key = here.slice(-depth).reverse().join(' < ');
    sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
  }
  for (const child of node.children) walk(child, here);
};
walk(prof.head, []);
console.log(`${(total / 1e6).toFixed(2)} MB sampled\n\n| MB | share | site (innermost first) |\n| ---: | ---: | --- |`);
for (const [k, v] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`| ${(v / 1e6).toFixed(2)} | ${((100 * v) / total).toFixed(1)} % | ${k} |`);
}

#!/usr/bin/env node
// Summarises a V8 .heapsnapshot: self size and count by node type and name (constructor,
// or "(string)", "(closure) name", …), largest first; divide by the connection count to
// see what one connection holds.
//   node bench/gwbench/heap-summary.mjs FILE.heapsnapshot [TOP=40] [PER=1]
import { readFileSync } from 'node:fs';

const [file, topArg, perArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: heap-summary.mjs FILE.heapsnapshot [TOP] [PER]');
  process.exit(2);
}
const top = Number(topArg ?? 40);
const per = Number(perArg ?? 1);
const snap = JSON.parse(readFileSync(file, 'utf8'));
const { node_fields: fields, node_types: [types] } = snap.snapshot.meta;
const width = fields.length;
const iType = fields.indexOf('type');
const iName = fields.indexOf('name');
const iSize = fields.indexOf('self_size');
const nodes = snap.nodes;
const strings = snap.strings;
const groups = new Map();
let total = 0;
for (let i = 0; i < nodes.length; i += width) {
  const type = types[nodes[i + iType]];
  const size = nodes[i + iSize];
  total += size;
  let name = strings[nodes[i + iName]];
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = `(${type})`;
  else if (type === 'closure') name = `(closure) ${name}`;
  else if (type === 'array') name = `(array) ${name}`;
  else if (type === 'code') name = '(code)';
  else if (type === 'hidden' || type === 'object shape') name = `(${type}) ${name.slice(0, 40)}`;
  else name = `${name.slice(0, 60)}`;
  const key = `${type}\t${name}`;
  const g = groups.get(key) ?? { count: 0, size: 0 };
  g.count++;
  g.size += size;
  groups.set(key, g);
}
console.log(`total self size ${(total / 1048576).toFixed(1)} MiB; per ${per}: ${(total / per / 1024).toFixed(1)} kB\n`);
console.log('| kB per | count per | type | name |\n| ---: | ---: | --- | --- |');
for (const [key, g] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
  const [type, name] = key.split('\t');
  console.log(`| ${(g.size / per / 1024).toFixed(2)} | ${(g.count / per).toFixed(1)} | ${type} | ${name.replace(/\|/g, '\\|')} |`);
}

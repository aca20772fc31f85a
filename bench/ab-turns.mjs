// What the in-process A/B benches share (core-ab, pm-core-ab, xmpp2irc-ab; issue 11 §2): the
// built copies named on the command line, gwbench's 64-character body, and the order in which
// the builds take turns, each run starting one build further on so a shared machine's load
// drifts over all of them alike.

import { resolve } from 'node:path';

/** The directories named on the command line (each with `npm run build` done), or exit with usage. */
export function buildDirs(script) {
  const dirs = process.argv.slice(2).map((d) => resolve(d));
  if (dirs.length === 0) {
    console.error(`usage: ${script} DIR [DIR ...]`);
    process.exit(2);
  }
  return dirs;
}

/** Message `n`'s body as gwbench sends it: 64 characters, its number first. */
export const body64 = (n) => `${String(n).padStart(10, '0')} ${1733000000000000 + n} ${'abcdefghijklmnopqrstuvwxyz'.repeat(2)}`.slice(0, 64);

/** The build indexes in the order they run: `runs` rounds over `count` builds, each round rotated by one. */
export function* turns(runs, count) {
  for (let r = 0; r < runs; r++) for (let k = 0; k < count; k++) yield (k + r) % count;
}

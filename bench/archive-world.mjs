// The event loop's CPU per line in the bench's world (bench/archive-ab.mjs), one built copy, several
// gateways side by side: `off` (no archive), `on`, `stub` (archive on, record() a no-op: what
// the bridge spends around it). Per-thread CPU from /proc/self/task/*/schedstat, 16 windows
// alternating.   node --expose-gc bench/archive-world.mjs <built dir> [one|five] [lines] [off,on,stub]
// Also what bench/archive-perf.sh runs under perf (issue 10 §7).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
const st = (t) => Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]);
const tasks = () => { let main = 0, other = 0; for (const t of readdirSync('/proc/self/task')) { try { if (t === String(process.pid)) main += st(t); else other += st(t); } catch {} } return { main, other }; };
const dir = process.argv[2]; const MODE = process.argv[3] ?? 'one'; const LINES = Number(process.argv[4] ?? 200000);
const kinds = (process.argv[5] ?? 'off,on,stub').split(',');
const { archiveFromConfig } = await import(join(dir, 'dist/src/store/archive-store.js'));
const { openDatabase } = await import(join(dir, 'dist/src/store/database.js'));
const { NET, populate, stanzaCount } = await import(join(dir, 'dist/bench/world.js'));
async function setup(kind, tag) {
  const store = openDatabase(join(mkdtempSync(join(tmpdir(), 'archive-world-')), 'j.sqlite'));
  const archive = kind === 'off' ? undefined : archiveFromConfig(store.db, { enabled: true, retention_days: 30, max_messages_per_channel: 1000000, on_join: 20 });
  if (kind === 'stub') archive.record = (u, l) => l.id ?? 'x';
  const w = populate(1000, 20, archive ? { archive } : {}); const m = w.members[1];
  if (MODE === 'five') for (let k = 1; k < 5; k++) w.addResource(m);
  const from = m.others[0]; let n = 0;
  return (lines) => { const t0 = tasks(); for (let i = 0; i < lines; i++) stanzaCount(w.core.onIrcLine(m.key, `@msgid=${tag}${++n} :${from}!${from}@irc.host PRIVMSG ${m.channel} :hello there, an IRC message of an ordinary length with a few words`)); if (kind !== 'stub') archive?.newest(NET, m.channel); const t1 = tasks(); return { main: (t1.main - t0.main) / 1000 / lines, other: (t1.other - t0.other) / 1000 / lines }; };
}
const sides = []; for (const [i, k] of kinds.entries()) { const run = await setup(k, 't' + i); run(LINES / 10); sides.push({ k, run, rs: [] }); }
const REPS = 16; for (let r = 0; r < REPS; r++) for (const s of (r % 2 ? [...sides].reverse() : sides)) s.rs.push(s.run(LINES / REPS));
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
for (const s of sides) console.log(s.k.padEnd(6), 'main', med(s.rs.map((x) => x.main)).toFixed(2), 'other', med(s.rs.map((x) => x.other)).toFixed(2), `main-${sides[0].k}`, med(s.rs.map((x, i) => x.main - sides[0].rs[i].main)).toFixed(2));
process.exit(0);

// The archive's cost in two builds side by side in one process, both with history on, as
// CPU per line of each thread kind: the event loop (the main thread) and the others (the
// archive's writer thread, the GC's helpers), from Linux's /proc/self/task/*/schedstat.
//   npm run build && node --expose-gc bench/archive-ab.mjs <dir A> <dir B> [lines] [one|five|fan]
// Each dir holds a built copy (dist/). `one` / `five`: one user's channel, 1 or 5 resources,
// each line with its own server msgid (npm run bench §5 rows 1 and 2); `fan`: 50 users in
// one channel, each line without msgid fed to every user's connection (row 3). 20 windows
// alternating A and B; B/A is the median of the paired ratios. OFF=a (or b) gives that side
// no archive: on/off of one build. Why: on 2 shared cores throughput windows also measure
// other processes' bursts; per-thread CPU in one process is steadier (issue 10 §7).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os'; import { join } from 'node:path';
const [da, db] = process.argv.slice(2, 4); const LINES = Number(process.argv[4] ?? 200000); const MODE = process.argv[5] ?? 'one';
const st = (t) => Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]);
const tasks = () => { let main = 0, other = 0; for (const t of readdirSync('/proc/self/task')) { try { if (t === String(process.pid)) main += st(t); else other += st(t); } catch {} } return { main, other }; };
let n = 0;
async function setup(dir, tag) {
  const { archiveFromConfig } = await import(join(dir, 'dist/src/store/archive-store.js'));
  const { openDatabase } = await import(join(dir, 'dist/src/store/database.js'));
  const { NET, populate, stanzaCount } = await import(join(dir, 'dist/bench/world.js'));
  const store = openDatabase(join(mkdtempSync(join(tmpdir(), 'hist6-ab-')), 'j.sqlite'));
  const archive = process.env.OFF === tag ? undefined : archiveFromConfig(store.db, { enabled: true, retention_days: 30, max_messages_per_channel: 1000000, on_join: 20 });
  const w = populate(1000, 20, archive ? { archive } : {});
  const m = w.members[1];
  if (MODE === 'five') for (let k = 1; k < 5; k++) w.addResource(m);
  const fan = MODE === 'fan' ? Array.from({ length: 50 }, (_, k) => w.addMember(1000 + k, 20, '#fan')) : [];
  const from = m.others[0];
  const op = MODE === 'fan'
    ? () => { const line = `:${fan[0].others[0]}!x@irc.host PRIVMSG #fan :${tag} ${++n} hello there, an IRC message of an ordinary length`; for (const f of fan) stanzaCount(w.core.onIrcLine(f.key, line)); }
    : () => stanzaCount(w.core.onIrcLine(m.key, `@msgid=${tag}${++n} :${from}!${from}@irc.host PRIVMSG ${m.channel} :hello there, an IRC message of an ordinary length with a few words`));
  return (lines) => {
    const t0 = tasks(); const w0 = performance.now();
    for (let i = 0; i < lines; i++) op();
    const wall = performance.now() - w0;
    archive?.newest(NET, m.channel);
    const t1 = tasks();
    return { wall: wall * 1000 / lines, main: (t1.main - t0.main) / 1000 / lines, other: (t1.other - t0.other) / 1000 / lines };
  };
}
const A = await setup(da, 'a'), B = await setup(db, 'b');
const per = MODE === 'fan' ? LINES / 50 : LINES;
A(per / 10); B(per / 10);
const ra = [], rb = []; const REPS = 20;
for (let r = 0; r < REPS; r++) { if (r % 2) { rb.push(B(per / REPS)); ra.push(A(per / REPS)); } else { ra.push(A(per / REPS)); rb.push(B(per / REPS)); } }
const med = (xs, k) => { const s = xs.map((x) => x[k]).sort((a, b) => a - b); return s[s.length >> 1]; };
const pr = (xs, k) => xs.map((x, i) => rb[i][k] / ra[i][k]).sort((a, b) => a - b)[REPS >> 1];
for (const [nm, xs] of [['A', ra], ['B', rb]]) console.log(`${nm}: µs/line wall ${med(xs, 'wall').toFixed(2)} main ${med(xs, 'main').toFixed(2)} other ${med(xs, 'other').toFixed(2)}`);
console.log(`B/A paired medians: wall ${pr(ra,'wall').toFixed(3)} main ${pr(ra,'main').toFixed(3)} other ${pr(ra,'other').toFixed(3)}`);
process.exit(0);

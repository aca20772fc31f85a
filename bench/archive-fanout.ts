/**
 * The archive's cost on a busy channel alone, steadier than `npm run bench` §5 on shared
 * cores: 50 users in one channel, each line without a server msgid fed to every user's
 * connection (as a server relays it), history off and on, 12 alternating runs of 2,000
 * lines; process CPU per line (the writer thread included), median and minimum. Run with
 * `npm run build && node dist/bench/archive-fanout.js` (issue 10 §7).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveFromConfig } from '../src/store/archive-store.js';
import { openDatabase } from '../src/store/database.js';
import { NET, populate, stanzaCount, type Member, type World } from './world.js';

const USERS = 50;
const store = openDatabase(join(mkdtempSync(join(tmpdir(), 'jabirc-fanab-')), 'jabirc.sqlite'));
const archive = archiveFromConfig(store.db, { enabled: true, retention_days: 30, max_messages_per_channel: 1_000_000, on_join: 20 });

function channel(opts: Parameters<typeof populate>[2]): { w: World; members: Member[] } {
  const w = populate(1000, 20, opts);
  const first = w.members.length;
  return { w, members: Array.from({ length: USERS }, (_, k) => w.addMember(first + k, 20, '#fan')) };
}

const off = channel({});
const on = channel({ archive: archive! });
let n = 0;

/** CPU µs per line over `lines` lines, the writer waited for. */
function run({ w, members }: { w: World; members: Member[] }, lines: number): number {
  const from = members[0]!.others[0]!;
  const c = process.cpuUsage();
  for (let i = 0; i < lines; i++) {
    const line = `:${from}!${from}@irc.host PRIVMSG #fan :x ${++n} hello there, an IRC message of an ordinary length`;
    for (const m of members) stanzaCount(w.core.onIrcLine(m.key, line));
  }
  archive!.newest(NET, '#fan');
  const u = process.cpuUsage(c);
  return (u.user + u.system) / lines;
}

run(off, 500);
run(on, 500);
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < 12; r++) {
  a.push(run(off, 2000));
  b.push(run(on, 2000));
}
const med = (x: number[]): number => [...x].sort((p, q) => p - q)[x.length >> 1]!;
const min = (x: number[]): number => Math.min(...x);
console.log(
  `CPU µs per line (${USERS} copies): off median ${med(a).toFixed(1)} min ${min(a).toFixed(1)}; ` +
    `on median ${med(b).toFixed(1)} min ${min(b).toFixed(1)}; on/off median ${(med(b) / med(a)).toFixed(2)}, min ${(min(b) / min(a)).toFixed(2)}`,
);
archive!.close();
process.exit(0);

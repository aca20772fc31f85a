// The README's side-by-side table from one gwbench run: `node bench/gwbench/readme-table.mjs
// gwbench-results/<stamp>/results.jsonl [--n 5000]`. Each cell is the median over the run's
// repetitions of one (gateway, mode) pair, with the count when it is not 3; then the goals of
// issue 11 as ratios, computed from the same medians. gwbench's own `table` prints every
// metric per scenario; this keeps the ones the issue names, one row each.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args[0];
const nAt = args.indexOf('--n');
const connectN = nAt >= 0 ? Number(args[nAt + 1]) : 5000;
if (!file) {
  console.error('usage: readme-table.mjs results.jsonl [--n 5000]');
  process.exit(2);
}
const runs = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l))
  .filter((r) => !r.error);

const ROWS = [
  ['connect', 'join_all_s', `${connectN.toLocaleString('en')} users join: all joined (s)`],
  ['connect', 'idle_cpu_pct', `idle CPU holding ${connectN.toLocaleString('en')} IRC connections (%)`],
  ['connect', 'rss_per_conn_kb', `RSS per IRC connection at ${connectN.toLocaleString('en')} (kB)`],
  ['connect', 'rss_base_kb', 'RSS before any connection (MB)', (v) => v / 1024],
  ['fanout', 'stanzas_per_s', 'fan-out IRC → XMPP, 50 users: stanzas/s'],
  ['fanout', 'cpu_ms_per_1k', 'fan-out: CPU ms per 1,000 stanzas'],
  ['fanout', 'lat_p99_ms', 'fan-out: latency p99, 16 lines in flight (ms)'],
  ['xmpp2irc', 'privmsg_per_s', 'XMPP → IRC, 50 users: PRIVMSG/s'],
  ['xmpp2irc', 'cpu_ms_per_1k', 'XMPP → IRC: CPU ms per 1,000'],
  ['pm', 'i2x_cpu_ms_per_1k', 'PM IRC → XMPP at 2,000/s: CPU ms per 1,000'],
  ['pm', 'i2x_p99_ms', 'PM IRC → XMPP: latency p99 (ms)'],
  ['pm', 'x2i_cpu_ms_per_1k', 'PM XMPP → IRC at 2,000/s: CPU ms per 1,000'],
  ['pm', 'x2i_p99_ms', 'PM XMPP → IRC: latency p99 (ms)'],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (v) => (v >= 1000 ? Math.round(v).toLocaleString('en') : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));

const pairs = [];
for (const r of runs) {
  const k = `${r.gateway} ${r.mode}`;
  if (!pairs.includes(k)) pairs.push(k);
}
const value = (pair, scenario, field, map = (v) => v) => {
  const xs = runs
    .filter((r) => `${r.gateway} ${r.mode}` === pair && r.scenario === scenario && (scenario !== 'connect' || r.n === connectN))
    .map((r) => r[field])
    .filter((v) => typeof v === 'number')
    .map(map);
  return xs.length === 0 ? undefined : { v: median(xs), n: xs.length };
};

console.log(`| figure | ${pairs.join(' | ')} |`);
console.log(`| --- | ${pairs.map(() => '---:').join(' | ')} |`);
for (const [sc, field, label, map] of ROWS) {
  const cells = pairs.map((p) => {
    const x = value(p, sc, field, map);
    if (!x) return '–';
    return x.n === 3 ? fmt(x.v) : `${fmt(x.v)} (n=${x.n})`;
  });
  if (cells.every((c) => c === '–')) continue;
  console.log(`| ${label} | ${cells.join(' | ')} |`);
}

// The goals (issue 11), from the same medians, for the Jabirc profile named "jabirc".
const get = (pair, sc, field) => value(pair, sc, field)?.v;
const ours = pairs.filter((p) => p.startsWith('jabirc '));
const ratio = (a, b) => (a === undefined || b === undefined ? '–' : `${(a / b).toFixed(2)}×`);
if (ours.length > 0) {
  console.log('\n| goal | measured |');
  console.log('| --- | ---: |');
  const J = (m) => `jabirc ${m}`;
  const goals = [
    ['joins ≤ 0.3× biboumi (stock)', ratio(get(J('stock'), 'connect', 'join_all_s'), get('biboumi stock', 'connect', 'join_all_s'))],
    ['joins ≤ 0.3× biboumi (tuned)', ratio(get(J('tuned'), 'connect', 'join_all_s'), get('biboumi tuned', 'connect', 'join_all_s'))],
    ['RSS per connection ≤ 2.5× biboumi (tuned)', ratio(get(J('tuned'), 'connect', 'rss_per_conn_kb'), get('biboumi tuned', 'connect', 'rss_per_conn_kb'))],
    ['fan-out tuned ≥ 2× biboumi tuned', ratio(get(J('tuned'), 'fanout', 'stanzas_per_s'), get('biboumi tuned', 'fanout', 'stanzas_per_s'))],
    ['fan-out stock ≥ 20× biboumi stock', ratio(get(J('stock'), 'fanout', 'stanzas_per_s'), get('biboumi stock', 'fanout', 'stanzas_per_s'))],
    ['fan-out CPU ≤ 0.7× biboumi tuned', ratio(get(J('tuned'), 'fanout', 'cpu_ms_per_1k'), get('biboumi tuned', 'fanout', 'cpu_ms_per_1k'))],
    ['XMPP → IRC tuned ≥ 2× biboumi tuned', ratio(get(J('tuned'), 'xmpp2irc', 'privmsg_per_s'), get('biboumi tuned', 'xmpp2irc', 'privmsg_per_s'))],
    ['PM IRC → XMPP CPU ≤ 0.7× biboumi (tuned)', ratio(get(J('tuned'), 'pm', 'i2x_cpu_ms_per_1k'), get('biboumi tuned', 'pm', 'i2x_cpu_ms_per_1k'))],
    ['PM IRC → XMPP CPU ≤ 0.7× biboumi (stock)', ratio(get(J('stock'), 'pm', 'i2x_cpu_ms_per_1k'), get('biboumi stock', 'pm', 'i2x_cpu_ms_per_1k'))],
    ['PM IRC → XMPP p99 ≤ 1.5× null floor (tuned)', ratio(get(J('tuned'), 'pm', 'i2x_p99_ms'), get('null floor', 'pm', 'i2x_p99_ms'))],
    ['PM XMPP → IRC p99 ≤ 1.5× null floor (tuned)', ratio(get(J('tuned'), 'pm', 'x2i_p99_ms'), get('null floor', 'pm', 'x2i_p99_ms'))],
  ];
  for (const [g, m] of goals) console.log(`| ${g} | ${m} |`);
  // Against the floor of a Node relay (bench/gwbench/node-null.sh), when the run has it: what
  // is left to Jabirc's own work, and where a goal is below what Node itself costs here.
  const N = 'node-null floor';
  if (pairs.includes(N)) {
    console.log('\n| against the Node relay floor (node-null) | Jabirc tuned / node-null | node-null / null |');
    console.log('| --- | ---: | ---: |');
    const floors = [
      ['connect', 'rss_base_kb', 'RSS before any connection'],
      ['connect', 'rss_per_conn_kb', 'RSS per connection'],
      ['xmpp2irc', 'cpu_ms_per_1k', 'XMPP → IRC CPU per 1,000'],
      ['pm', 'i2x_cpu_ms_per_1k', 'PM IRC → XMPP CPU per 1,000'],
      ['pm', 'x2i_cpu_ms_per_1k', 'PM XMPP → IRC CPU per 1,000'],
      ['pm', 'i2x_p99_ms', 'PM IRC → XMPP p99'],
      ['pm', 'x2i_p99_ms', 'PM XMPP → IRC p99'],
    ];
    for (const [sc, field, label] of floors) {
      console.log(`| ${label} | ${ratio(get(J('tuned'), sc, field), get(N, sc, field))} | ${ratio(get(N, sc, field), get('null floor', sc, field))} |`);
    }
  }
}

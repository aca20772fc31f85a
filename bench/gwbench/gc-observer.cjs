// Preload for jabirc-cpuprof.sh (issue 11 §5): every GC pause, one line each
// (`<start, epoch µs> <duration µs> <kind: 1 scavenge, 2 mark-compact, 4 incremental, 8 weak callbacks>`),
// written at exit to GWB_GCDUMP (default $WORKDIR/gc.txt), to lay pauses beside per-message latencies.
//   CPU_PROF=0 GWB_NODE_ARGS="--require $PWD/bench/gwbench/gc-observer.cjs" ../shared/gwbench/run.sh ...
const { PerformanceObserver, performance } = require('node:perf_hooks');
const fs = require('node:fs');
const path = require('node:path');
const lines = [];
const origin = performance.timeOrigin * 1000;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) lines.push(`${Math.round(origin + e.startTime * 1000)} ${Math.round(e.duration * 1000)} ${e.detail?.kind ?? ''}`);
}).observe({ entryTypes: ['gc'] });
process.on('exit', () => fs.writeFileSync(process.env.GWB_GCDUMP || path.join(process.env.WORKDIR || '.', 'gc.txt'), `${lines.join('\n')}\n`));

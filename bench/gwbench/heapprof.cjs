// Preload for jabirc-cpuprof.sh (issue 11 §5): V8's sampling heap profiler from start to exit,
// written to GWB_HEAPPROF (a .heapprofile; default $WORKDIR/jabirc.heapprofile). With
// GWB_HEAPPROF_MODE=survivors (the default) it keeps only objects that survived a scavenge
// (still alive, or collected later by a full GC): what makes scavenges long. =all keeps every
// allocation (bytes per message by site). GWB_HEAPPROF_INTERVAL: mean bytes between samples (8192).
//   CPU_PROF=0 GWB_NODE_ARGS="--require $PWD/bench/gwbench/heapprof.cjs" ../shared/gwbench/run.sh \
//     --gateway bench/gwbench/jabirc-cpuprof.sh --mode tuned --scenario pm --reps 1
//   node bench/gwbench/heapprof-summary.mjs <file.heapprofile>
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const session = new inspector.Session();
session.connect();
const all = process.env.GWB_HEAPPROF_MODE === 'all';
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', {
  samplingInterval: Number(process.env.GWB_HEAPPROF_INTERVAL || 8192),
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: all,
});
process.on('exit', () => {
  // The inspector answers a session of the same thread synchronously, so this runs before exit.
  session.post('HeapProfiler.stopSampling', (err, r) => {
    if (err) return;
    const out = process.env.GWB_HEAPPROF || path.join(process.env.WORKDIR || '.', 'jabirc.heapprofile');
    fs.writeFileSync(out, JSON.stringify(r.profile));
  });
});

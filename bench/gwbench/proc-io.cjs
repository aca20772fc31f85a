// Preload for jabirc-cpuprof.sh (issue 11: joins): at exit, the process's system-call counts
// and bytes (/proc/self/io: syscr, syscw, rchar, wchar) and process.resourceUsage() (user and
// system CPU µs, context switches), as one JSON object in GWB_IODUMP (default $WORKDIR/io.json).
// Counts of system calls do not move with the load of a shared machine as CPU figures do.
//   CPU_PROF=0 GWB_NODE_ARGS="--require $PWD/bench/gwbench/proc-io.cjs" ../shared/gwbench/run.sh ...
const fs = require('node:fs');
const path = require('node:path');
process.on('exit', () => {
  const out = process.env.GWB_IODUMP || path.join(process.env.WORKDIR || '.', 'io.json');
  let io = {};
  try {
    for (const line of fs.readFileSync('/proc/self/io', 'utf8').trim().split('\n')) {
      const [k, v] = line.split(': ');
      io[k] = Number(v);
    }
  } catch (err) {
    io = { error: String(err) };
  }
  fs.writeFileSync(out, `${JSON.stringify({ io, usage: process.resourceUsage() })}\n`);
});

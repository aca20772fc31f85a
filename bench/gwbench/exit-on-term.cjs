// Preloaded by jabirc-cpuprof.sh: SIGTERM exits at once, so node writes the CPU profile
// before gwbench's SIGKILL 4 s later (a graceful shutdown of many links can take longer).
process.once('SIGTERM', () => process.exit(0));

#!/bin/bash
# The event loop's CPU in the archive's hand-off, from `perf record` (CPU samples, not the
# wall-time samples of --cpu-prof, which charge preemption by the woken writer thread to
# postMessage): the bench's world of bench/archive-ab.mjs, history on, 300,000 lines.
#   npm run build && bench/archive-perf.sh <built dir> [one|five] [tag]
# Prints the main thread's samples (0.67 ms each at -F 1500): all, under
# node::worker::Message::Serialize (the part's text copied flat), in String::WriteToFlat,
# and under archive-store.js / archive-writer.js outside the setup (populate). Run two builds alternately and compare
# (issue 10 §7; see the commit that added CHUNK_LINES). Needs perf and root.
set -euo pipefail
dir=$(cd "$1" && pwd); mode=${2:-one}; tag=${3:-$(basename "$dir")}
here=$(cd "$(dirname "$0")" && pwd); data=$(mktemp -d)/perf-$tag.data
# In the temporary directory: --perf-basic-prof leaves isolate-*-v8.log files in the working one.
(cd "$(dirname "$data")" && perf record -g -F 1500 -o "$data" -- node --perf-basic-prof --expose-gc "$here/archive-world.mjs" "$dir" "$mode" 300000 on > /dev/null 2>&1)
tid=$(perf report -i "$data" --no-children --sort pid --stdio 2>/dev/null | grep -o '[0-9]*:node' | head -1 | cut -d: -f1)
perf script -i "$data" --tid "$tid" 2>/dev/null | python3 -c '
import sys
tot = ser = flat = arch = 0
for s in sys.stdin.read().split("\n\n"):
    L = s.strip().split("\n")
    if len(L) < 2: continue
    tot += 1; st = "\n".join(L[1:])
    ser += "Message::Serialize" in st
    flat += "WriteToFlat" in L[1]
    arch += ("archive-writer.js" in st or "archive-store.js" in st) and "populate" not in st and "addMember" not in st
print(f"'"$tag"' {sys.argv[1]}: main-thread samples {tot}, Message::Serialize {ser}, WriteToFlat (self) {flat}, under archive js {arch}")
' "$mode"
rm -rf "$(dirname "$data")" "/tmp/perf-$tid.map"

#!/usr/bin/env bash
# gwbench profile: node-null.mjs, gwbench's trivial relay done in Node (the floor of a Node
# gateway on this bench; see that file). NODE_NULL_READ / NODE_NULL_FLUSH choose how it reads
# and writes (pass them with run.sh --env).
#   node-null.sh run     run in the foreground (exec node)
#   node-null.sh modes   configurations run.sh runs by default
set -eu
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "${1:-run}" in
  run) exec node "$here/node-null.mjs" ;;
  modes) echo "floor" ;;
  *) echo "usage: $0 run|modes" >&2; exit 2 ;;
esac

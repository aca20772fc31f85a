#!/usr/bin/env bash
# gwbench profile: a copy of ../shared/gwbench/profiles/jabirc.sh whose last line runs
# `node --cpu-prof` (node refuses it in NODE_OPTIONS); the profile is written at exit to
# $WORKDIR/cpuprof/ (summarise it with bench/gwbench/cpuprof-summary.mjs). Sampling
# costs CPU: compare its figures only with each other. CPU_PROF=0 turns it off;
# GWB_NODE_ARGS adds node options (a heap snapshot on a signal, say).
# Gateway profile: Jabirc, built from the project checkout (JABIRC_DIR, default: the current
# directory; run `npm ci && npm run build` there first).
#   jabirc.sh run     write a config and run Jabirc in the foreground (exec node, no npx wrapper)
#   jabirc.sh modes   configurations run.sh runs by default
# Knobs: GW_FLOOD_CONTROL=off writes `[irc.flood] enabled = false`, GW_HISTORY=off writes
#        `[history] enabled = false`, each only when the configuration reference
#        (`jabirc config-docs`) has that key; otherwise the knob is ignored and Jabirc runs as
#        it ships. `modes` offers "stock tuned" once both keys exist, else "stock".
set -eu
src="${JABIRC_DIR:-$PWD}"
docs=$(cd "$src" && node dist/src/main.js config-docs 2>/dev/null || true)
has_flood=0; has_history=0
case "$docs" in *'`irc.flood.enabled`'*) has_flood=1 ;; esac
case "$docs" in *'`history.enabled`'*) has_history=1 ;; esac
case "${1:-run}" in
  run) ;;
  modes) if [ $has_flood = 1 ] && [ $has_history = 1 ]; then echo "stock tuned"; else echo "stock"; fi; exit 0 ;;
  *) echo "usage: $0 run|modes" >&2; exit 2 ;;
esac
: "${GW_DOMAIN:?}" "${GW_SECRET:?}" "${XMPP_HOST:?}" "${XMPP_COMPONENT_PORT:?}" "${IRC_HOST:?}" "${IRC_PORT:?}" "${WORKDIR:?}"
dir="$WORKDIR/jabirc"; mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
extra=""
if [ $has_flood = 1 ]; then
  if [ "${GW_FLOOD_CONTROL:-on}" = off ]; then extra="$extra
[irc.flood]
enabled = false"; fi
fi
if [ $has_history = 1 ]; then
  if [ "${GW_HISTORY:-on}" = off ]; then extra="$extra
[history]
enabled = false"; fi
fi
cat >"$dir/config.toml" <<CFG
[component]
jid = "$GW_DOMAIN"
secret = "$GW_SECRET"
host = "$XMPP_HOST"
port = $XMPP_COMPONENT_PORT

[database]
path = "$dir/jabirc.sqlite"

[log]
level = "${GW_LOG_LEVEL:-info}"

[access]
domains = ["localhost"]

[irc]
allow_unlisted = true
allow_private_addresses = true
port = $IRC_PORT
tls = false
max_connections_per_user = 10
$extra
CFG
echo "jabirc profile: flood=${GW_FLOOD_CONTROL:-on} history=${GW_HISTORY:-on} (schema has flood key: $has_flood, history key: $has_history)" >&2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$src"
prof=(--cpu-prof --cpu-prof-dir="$WORKDIR/cpuprof" --cpu-prof-interval="${CPU_PROF_INTERVAL_US:-500}")
[ "${CPU_PROF:-1}" = 0 ] && prof=()
# GWB_NODE_ARGS: more node options, e.g. "--heapsnapshot-signal=SIGUSR2" (snapshots go to $WORKDIR).
# shellcheck disable=SC2086
exec node --require "$here/exit-on-term.cjs" "${prof[@]}" --diagnostic-dir="$WORKDIR" ${GWB_NODE_ARGS:-} "$src/dist/src/main.js" --config "$dir/config.toml"

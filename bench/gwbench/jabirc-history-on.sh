#!/usr/bin/env bash
# gwbench profile: the shared profiles/jabirc.sh with `[history]` on whatever the mode says
# (GW_HISTORY=on), so that `--mode tuned` beside plain `jabirc` is an A/B of the archive alone:
# the same build, flood control off on both sides, only `[history] enabled` differs (issue 10 §7).
#   ../shared/gwbench/run.sh --gateway jabirc,bench/gwbench/jabirc-history-on.sh --mode tuned --scenario fanout --reps 5
# Runs the build in the current directory (or JABIRC_DIR), as profiles/jabirc.sh does.
export GW_HISTORY=on
exec bash "${GWBENCH_DIR:-/work/shared/gwbench}/profiles/jabirc.sh" "$@"

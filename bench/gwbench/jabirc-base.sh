#!/usr/bin/env bash
# gwbench profile: the shared profiles/jabirc.sh run on a second build, JABIRC_BASE_DIR
# (default /tmp/jabirc-base: `git archive <commit> | tar -x`, node_modules linked,
# `npm run build`), so a before/after comparison is one gwbench run.
export JABIRC_DIR="${JABIRC_BASE_DIR:-/tmp/jabirc-base}"
exec bash "${GWBENCH_DIR:-/work/shared/gwbench}/profiles/jabirc.sh" "$@"

#!/usr/bin/env bash
# gwbench profile: the shared profiles/jabirc.sh run on a second build, GWB_BASE_DIR or
# JABIRC_BASE_DIR (default /tmp/jabirc-base: `git archive <commit> | tar -x`, node_modules
# linked, `npm run build`), so a before/after comparison is one gwbench run. It changes into
# that directory rather than setting JABIRC_DIR, and unsets JABIRC_BASE_DIR before Jabirc
# starts: Jabirc refuses unknown JABIRC_* variables. Prefer GWB_BASE_DIR: run.sh hands the
# environment to every profile of the run, and the other Jabirc refuses JABIRC_BASE_DIR too.
base="${GWB_BASE_DIR:-${JABIRC_BASE_DIR:-/tmp/jabirc-base}}"
unset JABIRC_BASE_DIR
cd "$base" || exit 1
exec bash "${GWBENCH_DIR:-/work/shared/gwbench}/profiles/jabirc.sh" "$@"

#!/usr/bin/env bash
# gwbench profile: the shared profiles/jabirc.sh run on a second build, JABIRC_BASE_DIR
# (default /tmp/jabirc-base: `git archive <commit> | tar -x`, node_modules linked,
# `npm run build`), so a before/after comparison is one gwbench run. It changes into that
# directory rather than setting JABIRC_DIR: Jabirc refuses unknown JABIRC_* variables.
cd "${JABIRC_BASE_DIR:-/tmp/jabirc-base}" || exit 1
exec bash "${GWBENCH_DIR:-/work/shared/gwbench}/profiles/jabirc.sh" "$@"

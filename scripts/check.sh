#!/usr/bin/env bash
# `npm run check`: the type check (`npm run typecheck`) and the lint (`npm run lint`) side by side.
# Each is one single-threaded Node process, and before vitest starts nothing else uses the second
# core, so together they take about as long as the longer of the two. Each one's output is printed
# whole when both have ended, then one line with each one's time and the time of both together
# (so a CI log shows what running them side by side saves); the exit status is the type check's
# failure, else the lint's.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
started=$SECONDS
timed() { local name=$1 start=$SECONDS; shift; "$@" || return; echo $((SECONDS - start)) >"$out/$name.seconds"; }
timed typecheck npm run -s typecheck >"$out/typecheck" 2>&1 </dev/null &
typecheck=$!
timed lint npm run -s lint >"$out/lint" 2>&1 </dev/null &
lint=$!
typecheck_status=0 lint_status=0
wait "$typecheck" || typecheck_status=$?
wait "$lint" || lint_status=$?
cat "$out/typecheck" "$out/lint"
echo "check: typecheck $(cat "$out/typecheck.seconds" 2>/dev/null || echo '?') s, lint $(cat "$out/lint.seconds" 2>/dev/null || echo '?') s, both $((SECONDS - started)) s"
((typecheck_status == 0)) || { echo "check: typecheck failed (exit $typecheck_status)" >&2; exit "$typecheck_status"; }
((lint_status == 0)) || { echo "check: lint failed (exit $lint_status)" >&2; exit "$lint_status"; }

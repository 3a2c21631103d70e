#!/usr/bin/env bash
# The quick start under contention (issue 15 §1): `make demo` N times in a row while a test suite
# runs beside it, over and over, for each of the two suites (contract, then keeper). Every demo and
# every suite run must pass. Usage: tools/stress/quickstart_under_load.sh [N=5] [OUT=reports/stress]
# One line per run goes to the terminal and to OUT/summary.txt; every run's log stays in OUT.
set -uo pipefail
cd "$(dirname "$0")/../.."
N="${1:-5}"
OUT="${2:-reports/stress}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
make --no-print-directory build >/dev/null
say() { echo "$(date -u +%H:%M:%S) $*" | tee -a "$SUMMARY"; }

run_beside() {  # $1: suite name, $2...: the suite's command
  local suite="$1"; shift
  local stop="$OUT/$suite.stop"; rm -f "$stop"
  (  # the suite, again and again until the demos are done
    k=0
    while [ ! -e "$stop" ]; do
      k=$((k + 1)); start=$(date +%s)
      if "$@" >"$OUT/$suite-suite-$k.log" 2>&1; then r=pass; else r=FAIL; fi
      say "$suite suite run $k: $r in $(( $(date +%s) - start )) s ($(tail -1 "$OUT/$suite-suite-$k.log"))"
    done
  ) &
  local beside=$!
  for i in $(seq 1 "$N"); do
    start=$(date +%s)
    if make --no-print-directory demo DEMO_BLOCKS=5 >"$OUT/demo-beside-$suite-$i.log" 2>&1; then r=pass; else r=FAIL; fi
    say "demo $i beside the $suite suite: $r in $(( $(date +%s) - start )) s," \
        "$(grep -c '│ pass' "$OUT/demo-beside-$suite-$i.log") checks pass"
  done
  touch "$stop"
  wait "$beside"
}

run_beside contract .venv/bin/ape test tests/contracts -q
run_beside keeper .venv/bin/pytest tests/keepers -q -p no:ape_test
failed=$(grep -c ": FAIL" "$SUMMARY" || true)
say "runs failed: $failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# The README's quick start on a fresh machine (issue 31 §1): clone COMMIT into a new folder, and
# with an empty HOME run the README's two commands in its order, twice: `make demo`, `make test`,
# `make demo`, `make test`. Every step must pass.
#
# What a fresh machine differs in, and how this varies it:
# - directory order: --layout tmpfs clones onto a tmpfs mounted for the run (tmpfs lists a
#   folder's entries newest first, the opposite of creation order; ext4 lists them in the order of
#   a hash seeded per filesystem), --layout crowded onto the disk in a folder whose parent was first
#   filled with 5,000 files (a deeper ext4 htree), --layout disk as it comes;
# - caches: HOME is a new empty folder (no ~/.ape, no pip or npm cache of ours), the clone has no
#   .venv, node_modules, .build or .ape-dependencies;
# - idle cores: --busy keeps one core spinning for the whole run.
#
# Usage: tools/stress/fresh_machine.sh [--layout disk|tmpfs|crowded] [--busy] [--steps "demo test demo test"] [COMMIT=HEAD]
# One line per step to the terminal and to OUT/summary.txt (OUT: reports/fresh-machine/<layout>);
# each step's log stays in OUT. Exits non-zero if any step failed.
set -uo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
LAYOUT=disk BUSY=0 STEPS="demo test demo test" COMMIT=HEAD
while [ $# -gt 0 ]; do
  case "$1" in
    --layout) LAYOUT="$2"; shift 2 ;;
    --busy) BUSY=1; shift ;;
    --steps) STEPS="$2"; shift 2 ;;
    *) COMMIT="$1"; shift ;;
  esac
done
COMMIT="$(git -C "$REPO" rev-parse "$COMMIT")"
OUT="$REPO/reports/fresh-machine/$LAYOUT$([ "$BUSY" = 1 ] && echo -busy)"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
say() { echo "$(date -u +%H:%M:%S) $*" | tee -a "$SUMMARY"; }

WORK="$(mktemp -d /tmp/quantera-fresh.XXXXXX)"
cleanup() {
  [ -n "${SPIN:-}" ] && kill "$SPIN" 2>/dev/null
  [ "$LAYOUT" = tmpfs ] && umount "$WORK" 2>/dev/null
}
trap cleanup EXIT
case "$LAYOUT" in
  tmpfs) mount -t tmpfs -o size=12g tmpfs "$WORK" || { say "cannot mount a tmpfs (root needed)"; exit 2; } ;;
  crowded) mkdir -p "$WORK/crowd" && (cd "$WORK/crowd" && seq 1 5000 | xargs touch) ;;
  disk) ;;
  *) say "unknown layout $LAYOUT"; exit 2 ;;
esac
git clone -q "$REPO" "$WORK/quantera" && git -C "$WORK/quantera" checkout -q "$COMMIT"
mkdir -p "$WORK/home"
say "fresh clone of $COMMIT in $WORK/quantera ($LAYOUT$([ "$BUSY" = 1 ] && echo ', one core busy')), HOME=$WORK/home"

if [ "$BUSY" = 1 ]; then
  (while :; do :; done) &
  SPIN=$!
fi

i=0
for step in $STEPS; do
  i=$((i + 1)); start=$(date +%s); log="$OUT/$i-$step.log"
  if (cd "$WORK/quantera" && HOME="$WORK/home" make "$step") >"$log" 2>&1; then r=pass; else r=FAIL; fi
  say "step $i make $step: $r in $(( $(date +%s) - start )) s ($(grep -E 'passed|failed|checks|demo failed|Error' "$log" | tail -1))"
done
failed=$(grep -c ": FAIL" "$SUMMARY" || true)
say "steps failed: $failed"
[ "$failed" -eq 0 ]

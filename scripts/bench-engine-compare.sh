#!/usr/bin/env bash
# Engine decisions before and after a change, on the same fleets in one run:
# the `bench` example built from BASE (a git revision, default HEAD) and from
# the working tree, replayed on fleets of several shapes (the default 36-printer
# fleets, small sites, busy sites, a supplier catalogue, 15-minute polls, a
# 10-day lead time, seeds the engine was and was not developed on).
#   bash scripts/bench-engine-compare.sh [BASE]
# Prints, per fleet set and build: stockouts, unused spares, express lines and
# shipments per replacement. Decisions are deterministic: no timing is compared.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-HEAD}"
rev="$(git rev-parse --verify "$base^{commit}")"

work="$(mktemp -d)"
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/base" "$rev" >/dev/null 2>&1
# The base builds in its own target directory, kept between runs.
CARGO_TARGET_DIR="$PWD/target/bench-base" cargo build --quiet --release \
  --manifest-path "$work/base/Cargo.toml" -p asr-engine-bench --example bench
cp target/bench-base/release/examples/bench "$work/bench-base"
cargo build --quiet --release -p asr-engine-bench --example bench
cp target/release/examples/bench "$work/bench-work"

# The value in the engine column of the line that starts with $1.
field() { grep -m1 "^$1" | sed "s/^$1//" | awk '{print $1}'; }

run() {
  local label="$1"; shift
  for build in base work; do
    out="$("$work/bench-$build" "$@" 2>&1)"
    rep="$(echo "$out" | field "replacements scored")"
    so="$(echo "$out" | field "stockouts per replacement")"
    un="$(echo "$out" | field "spares never used (of cartridges ordered)")"
    ex="$(echo "$out" | field "express lines (of order lines)")"
    sh="$(echo "$out" | field "shipments per replacement")"
    n="$(awk -v r="$so" -v n="$rep" 'BEGIN { sub("%", "", r); printf "%.0f", r * n / 100 }')"
    printf "%-26s %-4s stockouts %4s/%-5s unused %7s  express/lines %9s  shipments/replacement %s\n" \
      "$label" "$build" "$n" "$rep" "$un" "$ex" "$sh"
  done
}

echo "base: $(git log -1 --format='%h %s' "$rev" | cut -c1-70); work: the working tree"
seen="1 2 3 4 5 6 7 8 9 10 11 12"
unseen="101 102 103 104 105 106 107 108 109 110 111 112"
run "36 printers, 1-3" 1 2 3
run "36 printers, 101-103" 101 102 103
run "36 printers, lead 10 d" --lead 10 101 102 103
run "6 printers, 1-12" --printers 6 $seen
run "6, rated catalogue" --printers 6 --catalog 1 $seen
run "6, busy (x2.5)" --printers 6 --usage 2.5 $seen
run "6, busy, rated" --printers 6 --usage 2.5 --catalog 1 $seen
run "6 printers, 101-112" --printers 6 $unseen
run "6, 101-112, rated" --printers 6 --catalog 1 $unseen
run "6, 101-112, 15 min" --printers 6 --poll-minutes 15 $unseen
run "6, 101-112, 15 min, rated" --printers 6 --poll-minutes 15 --catalog 1 $unseen

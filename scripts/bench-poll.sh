#!/usr/bin/env bash
# The polling benchmark (see docs/benchmarks.md).
#
#   scripts/bench-poll.sh [PRINTERS]        # default 200
#
# It builds the release binary, serves PRINTERS simulated printers from a
# separate process (`asr-gateway bench sim-fleet`), polls them with the
# gateway's poller (`asr-gateway bench poll`), then walks the same agents for
# the same OIDs with a sequential loop of net-snmp `snmpbulkwalk` (one walk per
# subtree of the gateway's fetch plan, one `snmpget` for its scalars), and
# prints both side by side with their ratios. A second run polls
# BENCH_BIG_FLEET printers (default 1000) for the peak RSS figure.
#
# Environment:
#   BENCH_PROFILE=synthetic|recordings  what the printers look like (synthetic)
#   BENCH_RECORDINGS=DIR                recordings to repeat (shared fixtures)
#   BENCH_BIG_FLEET=N                   printers of the RSS run; 0 skips it (1000)
#   BENCH_ROUNDS=N                      gateway polls of the fleet (3)
#   BENCH_CONCURRENCY=N                 gateway polls in flight (16)
#   BENCH_BASE_IP / BENCH_PORT          where the fleet lives (127.0.1.1 / 16161)
#   BENCH_WALK_DEADLINE=SECONDS         the walk loop stops after this (900)
#   ASR_GATEWAY_BIN=PATH                use this binary instead of building one
#
# Everything stays on loopback and stops by itself: the simulator is given a
# lifetime and is stopped on exit, every net-snmp call has a timeout, and the
# walk loop has a deadline. The figures are printed, not asserted: wall-clock
# numbers depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

printers=${1:-200}
big=${BENCH_BIG_FLEET:-1000}
profile=${BENCH_PROFILE:-synthetic}
rounds=${BENCH_ROUNDS:-3}
concurrency=${BENCH_CONCURRENCY:-16}
base_ip=${BENCH_BASE_IP:-127.0.1.1}
port=${BENCH_PORT:-16161}
walk_deadline=${BENCH_WALK_DEADLINE:-900}
recordings=${BENCH_RECORDINGS:-../shared/fixtures/printers/snmprec}

case "$printers$big$rounds$concurrency$port$walk_deadline" in
  *[!0-9]*) echo "bench-poll.sh: counts, port and deadline must be whole numbers" >&2; exit 2 ;;
esac
if [ "$printers" -lt 1 ]; then
  echo "bench-poll.sh: at least one printer" >&2
  exit 2
fi
case "$base_ip" in
  127.*) ;;
  *) echo "bench-poll.sh: BENCH_BASE_IP must be a loopback address (127.x.y.z)" >&2; exit 2 ;;
esac
sim_profile=()
case "$profile" in
  synthetic) ;;
  recordings) sim_profile=(--recordings "$recordings") ;;
  *) echo "bench-poll.sh: BENCH_PROFILE is synthetic or recordings" >&2; exit 2 ;;
esac

if ! command -v snmpbulkwalk >/dev/null 2>&1; then
  echo "bench-poll.sh: installing net-snmp's command-line tools (Debian package snmp)" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends snmp >/dev/null
fi

if [ -n "${ASR_GATEWAY_BIN:-}" ]; then
  bin=$ASR_GATEWAY_BIN
else
  cargo build --release -p asr-gateway >&2
  bin=${CARGO_TARGET_DIR:-target}/release/asr-gateway
fi
[ -x "$bin" ] || { echo "bench-poll.sh: no binary at $bin" >&2; exit 1; }

work=$(mktemp -d)
sim_pid=""
stop_sim() {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    sim_pid=""
  fi
}
trap 'stop_sim; rm -rf "$work"' EXIT

# No MIB files are needed (numeric OIDs only); don't let net-snmp look for them.
export MIBS="" MIBDIRS=""

ip_of() { # ip_of INDEX: base_ip + INDEX
  local a b c d n
  IFS=. read -r a b c d <<<"$base_ip"
  n=$(((a << 24) + (b << 16) + (c << 8) + d + $1))
  echo "$(((n >> 24) & 255)).$(((n >> 16) & 255)).$(((n >> 8) & 255)).$((n & 255))"
}

start_sim() { # start_sim COUNT
  local count=$1 waited=0
  : >"$work/sim.log"
  # Its own lifetime bounds it even if this script is killed with SIGKILL.
  "$bin" bench sim-fleet --printers "$count" --base-ip "$base_ip" --port "$port" \
    --duration 1800 "${sim_profile[@]}" >"$work/sim.log" 2>&1 &
  sim_pid=$!
  until grep -q '^ready:' "$work/sim.log"; do
    if ! kill -0 "$sim_pid" 2>/dev/null; then
      echo "bench-poll.sh: the simulator stopped:" >&2
      cat "$work/sim.log" >&2
      sim_pid=""
      exit 1
    fi
    if [ "$waited" -ge 1200 ]; then
      echo "bench-poll.sh: the simulator was not ready after 120 s" >&2
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

gateway_poll() { # gateway_poll COUNT ROUNDS OUTFILE
  "$bin" bench poll --printers "$1" --rounds "$2" --concurrency "$concurrency" \
    --base-ip "$base_ip" --port "$port" | tee "$3" >&2 ||
    echo "bench-poll.sh: some gateway polls failed (see above)" >&2
}

field() { # field FILE KEY: a value of the `summary:` line
  sed -n 's/^summary: //p' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

"$bin" bench poll-plan >"$work/plan.txt"
mapfile -t scalars < <(sed -n 's/^scalar //p' "$work/plan.txt")
mapfile -t subtrees < <(sed -n 's/^subtree //p' "$work/plan.txt")

# The baseline: what a shell script polling printers with net-snmp does.
walk_one() { # walk_one HOST [extra net-snmp options]
  local host=$1 s ok=0
  shift
  snmpget -v2c -c public -On -t 2 -r 1 "$@" "$host:$port" "${scalars[@]}" || ok=1
  for s in "${subtrees[@]}"; do
    snmpbulkwalk -v2c -c public -On -Cr20 -t 2 -r 1 "$@" "$host:$port" "$s" || ok=1
  done
  return "$ok"
}

echo "== $printers $profile printers, gateway poller (concurrency $concurrency, $rounds rounds)" >&2
start_sim "$printers"
gateway_poll "$printers" "$rounds" "$work/gateway.txt"

echo "== the same agents, sequential snmpget + snmpbulkwalk loop (${#subtrees[@]} walks + 1 get per printer)" >&2
walk_fail=0
walked=0
deadline=$((SECONDS + walk_deadline))
TIMEFORMAT='%R %U %S'
{ time {
  for ((i = 0; i < printers; i++)); do
    if [ "$SECONDS" -ge "$deadline" ]; then
      break
    fi
    walk_one "$(ip_of "$i")" >>"$work/walk.out" 2>>"$work/walk.err" || walk_fail=$((walk_fail + 1))
    walked=$((walked + 1))
  done
}; } 2>"$work/walk.time"
read -r walk_real walk_user walk_sys < <(tail -n 1 "$work/walk.time")
if [ "$walked" -lt "$printers" ]; then
  echo "bench-poll.sh: walk loop deadline reached after $walked printers; figures are scaled" >&2
fi
walk_lines=$(wc -l <"$work/walk.out")

# Round trips of the walk loop, counted on a sample with packet dumps (kept
# out of the timed loop: dumping costs time).
sample=$((printers < 10 ? printers : 10))
walk_rt=0
for ((i = 0; i < sample; i++)); do
  n=$(walk_one "$(ip_of "$i")" -d 2>&1 | grep -c '^Received' || true)
  walk_rt=$((walk_rt + n))
done
stop_sim

big_rss=""
if [ "$big" -gt 0 ]; then
  echo "== $big $profile printers, gateway poller (peak RSS)" >&2
  start_sim "$big"
  gateway_poll "$big" 1 "$work/big.txt"
  stop_sim
  big_rss=$(field "$work/big.txt" peak_rss_kib)
  big_errors=$(field "$work/big.txt" errors)
fi

g_wall=$(field "$work/gateway.txt" wall_first_ms)
g_best=$(field "$work/gateway.txt" wall_best_ms)
g_cpu=$(field "$work/gateway.txt" cpu_ms_per_printer)
g_rt=$(field "$work/gateway.txt" round_trips_per_printer)
g_rss=$(field "$work/gateway.txt" peak_rss_kib)
g_errors=$(field "$work/gateway.txt" errors)
if [ -z "$g_wall" ]; then
  echo "bench-poll.sh: the gateway benchmark printed no summary" >&2
  exit 1
fi

awk -v n="$printers" -v walked="$walked" -v gw="$g_wall" -v gb="$g_best" -v gcpu="$g_cpu" \
  -v grt="$g_rt" -v grss="$g_rss" -v gerr="$g_errors" \
  -v wreal="$walk_real" -v wuser="$walk_user" -v wsys="$walk_sys" -v wfail="$walk_fail" \
  -v wrt="$walk_rt" -v sample="$sample" -v wlines="$walk_lines" \
  -v big="$big" -v brss="$big_rss" -v berr="${big_errors:-}" -v profile="$profile" '
function verdict(ok) { return ok ? "met" : "MISSED" }
BEGIN {
  wwall = wreal * 1000 * n / (walked > 0 ? walked : 1)
  wcpu = (wuser + wsys) * 1000 / (walked > 0 ? walked : 1)
  wrtp = sample > 0 ? wrt / sample : 0
  printf "\nPolling benchmark, %d %s printers (simulator in its own process)\n\n", n, profile
  printf "%-30s %14s %18s %10s\n", "", "gateway", "snmpbulkwalk loop", "ratio"
  printf "%-30s %11.0f ms %15.0f ms %9.1fx\n", "wall time, whole fleet", gw, wwall, wwall / gw
  printf "%-30s %11.0f ms %18s %10s\n", "  (gateway best round)", gb, "", ""
  printf "%-30s %14.2f %18.1f %9.1fx\n", "round trips per printer", grt, wrtp, (grt > 0 ? wrtp / grt : 0)
  printf "%-30s %11.3f ms %15.2f ms %9.1fx\n", "CPU time per printer", gcpu, wcpu, (gcpu > 0 ? wcpu / gcpu : 0)
  printf "%-30s %10.1f MiB %18s %10s\n", "peak RSS", grss / 1024, "-", ""
  if (big > 0) printf "%-30s %10.1f MiB %18s %10s\n", "peak RSS, " big " printers", brss / 1024, "-", ""
  printf "%-30s %14d %18d\n", "failed printers/polls", gerr, wfail
  printf "\nwalk loop: %d of %d printers walked, %d lines of output; its round trips counted on %d printers\n", walked, n, wlines, sample
  printf "\ntargets: <= 3 round trips/printer: %s; >= 10x less wall time than the walk loop: %s", verdict(grt <= 3), verdict(wwall / gw >= 10)
  if (big > 0) printf "; <= 30 MB RSS for %d printers: %s", big, verdict(brss * 1024 <= 30 * 1000 * 1000)
  printf "\n"
  if (big > 0 && berr > 0) printf "warning: %d polls of the %d-printer run failed\n", berr, big
}'

#!/usr/bin/env bash
# The soak benchmark (see docs/benchmarks.md): weeks without a restart,
# compressed. Runs `asr-gateway demo` at full speed (a simulated day per
# real second: the poll interval is at its 250 ms floor) for MINUTES real
# minutes with PRINTERS simulated printers and its embedded broker, and
# samples the gateway process once a minute:
#
#   RSS, open file descriptors, database size (file + WAL), CPU time,
#   polls answered (from /metrics), outbox depth (from /metrics).
#
#   scripts/soak.sh [MINUTES] [PRINTERS]      # default 30 minutes, 60 printers
#
# It prints the samples, then the first measured window (minutes 2-5, after
# warm-up) against the last one (the last 3 minutes) with their ratios: flat
# is a ratio near 1. CPU is reported per poll, so a slower or faster machine
# does not change the verdict. Nothing is asserted: the figures are the
# result. Samples go to target/soak/samples.csv.
#
# Environment:
#   ASR_GATEWAY_BIN=PATH      use this binary instead of building one
#   SOAK_HTTP / SOAK_MQTT     ports of the page and the broker (18480 / 18483)
#   SOAK_SNMP / SOAK_IPP      ports of the simulated printers (18161 / 18631)
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-30}
printers=${2:-60}
http_port=${SOAK_HTTP:-18480}
mqtt_port=${SOAK_MQTT:-18483}
snmp_port=${SOAK_SNMP:-18161}
ipp_port=${SOAK_IPP:-18631}
password="soak benchmark password"

if [[ -n "${ASR_GATEWAY_BIN:-}" ]]; then
    bin=$ASR_GATEWAY_BIN
else
    cargo build --release --quiet -p asr-gateway
    bin=target/release/asr-gateway
fi
out=target/soak
mkdir -p "$out"
data=$(mktemp -d)
jar=$(mktemp)
pid=""
cleanup() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -INT "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$data" "$jar"
}
trap cleanup EXIT

duration=$(( minutes * 60 + 30 ))
ASR_DEMO_ADMIN_PASSWORD=$password RUST_LOG=${RUST_LOG:-warn} "$bin" demo \
    --printers "$printers" --speed 86400 --duration "$duration" \
    --data-dir "$data" --http "127.0.0.1:$http_port" --mqtt-port "$mqtt_port" \
    --snmp-port "$snmp_port" --ipp-port "$ipp_port" --fleet-ip 127.0.2.10 \
    > "$out/demo.log" 2>&1 &
pid=$!

base="http://127.0.0.1:$http_port"
for _ in $(seq 1 120); do
    curl -fs -o /dev/null "$base/healthz" && break
    sleep 0.5
done
csrf=$(curl -fs -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//; s/"$//')
curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "password=$password" \
    --data-urlencode "csrf=$csrf" "$base/login"

ticks=$(getconf CLK_TCK)
metric() { awk -v name="$1" '$1 == name { print $2; exit }' <<<"$2"; }
sample() {
    local minute=$1 rss fds db cpu metrics polls depth
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    db=$(cat "$data"/gateway.db "$data"/gateway.db-wal 2>/dev/null | wc -c)
    cpu=$(awk -v t="$ticks" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$pid/stat")
    metrics=$(curl -fs -b "$jar" "$base/metrics" || true)
    polls=$(metric 'asr_polls_total{result="ok"}' "$metrics")
    depth=$(metric asr_outbox_depth "$metrics")
    echo "$minute,$rss,$fds,$db,$cpu,${polls:-0},${depth:-0}"
}

echo "minute,rss_kib,fds,db_bytes,cpu_s,polls_ok,outbox_depth" | tee "$out/samples.csv"
for minute in $(seq 0 "$minutes"); do
    (( minute > 0 )) && sleep 60
    kill -0 "$pid" 2>/dev/null || { echo "the demo stopped early (see $out/demo.log)" >&2; exit 1; }
    sample "$minute" | tee -a "$out/samples.csv"
done

# First window: minutes 2..5; last: the last 3 minutes.
awk -F, -v last="$minutes" '
    NR == 1 { next }
    { m = $1; rss[m] = $2; fds[m] = $3; db[m] = $4; cpu[m] = $5; polls[m] = $6; depth[m] = $7 }
    END {
        a = 2; b = 5; c = last - 3; d = last
        cpp1 = (polls[b] > polls[a]) ? 1000 * (cpu[b] - cpu[a]) / (polls[b] - polls[a]) : 0
        cpp2 = (polls[d] > polls[c]) ? 1000 * (cpu[d] - cpu[c]) / (polls[d] - polls[c]) : 0
        maxdepth = 0
        for (m = 1; m <= last; m++) if (depth[m] > maxdepth) maxdepth = depth[m]
        printf "\n%-28s %14s %14s %8s\n", "figure", "minute " b, "minute " d, "ratio"
        printf "%-28s %14d %14d %8.2f\n", "RSS (KiB)", rss[b], rss[d], rss[d] / rss[b]
        printf "%-28s %14d %14d %8.2f\n", "open file descriptors", fds[b], fds[d], fds[d] / fds[b]
        printf "%-28s %14d %14d %8.2f\n", "database + WAL (bytes)", db[b], db[d], db[d] / db[b]
        printf "%-28s %14.3f %14.3f %8.2f\n", "CPU ms per poll (window)", cpp1, cpp2, (cpp1 > 0) ? cpp2 / cpp1 : 0
        printf "%-28s %14d %14d\n", "polls answered (total)", polls[b], polls[d]
        printf "%-28s %14d %14d   (max over the run: %d)\n", "outbox depth", depth[b], depth[d], maxdepth
        printf "\nsimulated time: %.1f years\n", last * 60 * 86400 / 86400 / 365
    }' "$out/samples.csv" | tee "$out/summary.txt"

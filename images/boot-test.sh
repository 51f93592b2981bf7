#!/usr/bin/env bash
# Boots the Raspberry Pi image under qemu-system-aarch64 (`-M virt`) the way
# a technician uses a card: a provisioning file dropped on its boot
# partition, pointing at a broker (a Mosquitto on this machine's loopback,
# 10.0.2.2 from the guest). Exit 0 when all holds:
#   - first boot provisions the gateway (the file leaves the FAT partition),
#   - asr-gateway.service is started (serial console),
#   - /healthz answers on the forwarded port,
#   - the gateway's retained status (online) arrives at the broker,
#   - a remote `update` command (the image's own package repacked as the
#     next Debian revision, signed with target/images/update-signing.key,
#     served over HTTPS from this machine) is installed by the updater and
#     answered `successful` on its result topic.
# The image is never written: the "card" is a sparse copy with the file
# dropped in, under a qcow2 overlay. Prints the boot-to-healthy time.
#
#   images/boot-test.sh [target/images/asr-gateway-pi.img]
set -euo pipefail
cd "$(dirname "$0")/.."
image="${1:-target/images/asr-gateway-pi.img}"
[ -f "$image" ] || { echo "boot-test: no image $image (images/build-image.sh makes it)" >&2; exit 2; }
timeout_s="${BOOT_TIMEOUT:-600}"

need=()
command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
command -v qemu-img >/dev/null || need+=(qemu-utils)
command -v mcopy >/dev/null || need+=(mtools)
command -v mosquitto >/dev/null || need+=(mosquitto)
command -v mosquitto_sub >/dev/null || need+=(mosquitto-clients)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "boot-test: installing ${need[*]}" >&2
  # bookworm's qemu-system-arm conflicts with the newer qemu-utils of
  # bookworm-backports: take it from there, from the mirror already in use.
  if [[ " ${need[*]} " == *" qemu-system-arm "* ]] && ! apt-cache policy 2>/dev/null | grep -q bookworm-backports; then
    uri=$(grep -rhoE '^deb(822)? +(\[[^]]*\] +)?[a-z]+://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $NF}' | head -1)
    [ -n "$uri" ] || uri=$(grep -rh '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -1)
    echo "deb $uri bookworm-backports main" > /etc/apt/sources.list.d/asr-boot-test-backports.list
  fi
  apt-get update -qq
  extra=()
  apt-cache policy 2>/dev/null | grep -q bookworm-backports && extra=(-t bookworm-backports)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${extra[@]}" "${need[@]}" >/dev/null
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/qemu.pid" ] && kill "$(cat "$work/qemu.pid")" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "boot-test: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mqtt_port=$(free_port)
http_port=$(free_port)

# The broker on the loopback (the guest's 10.0.2.2).
cat > "$work/mosquitto.conf" <<EOF
listener $mqtt_port 127.0.0.1
allow_anonymous true
persistence false
EOF
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)

# The card: a sparse copy of the image with the provisioning file dropped
# on its FAT partition (4 MiB in), kernel and initrd read from the same place.
cp --sparse=always "$image" "$work/card.img"
hash=$(printf 'boot test password' | target/release/asr-gateway hash-password 2>/dev/null || true)

# The update: the image's package as the next revision, signed, on HTTPS
# with a certificate for 10.0.2.2 the guest trusts through [update] ca_pem.
signing_key=target/images/update-signing.key
arm_deb=$(ls target/debian/asr-gateway_*_arm64.deb 2>/dev/null | head -1 || true)
update_section=""
if [ -f "$signing_key" ] && [ -n "$arm_deb" ] && [ -x target/release/asr-gateway ]; then
  dpkg-deb -R "$arm_deb" "$work/pkg"
  old_version=$(sed -n 's/^Version: //p' "$work/pkg/DEBIAN/control")
  new_version="${old_version%-*}-$(( ${old_version##*-} + 1 ))"
  sed -i "s/^Version: .*/Version: $new_version/" "$work/pkg/DEBIAN/control"
  mkdir -p "$work/www"
  dpkg-deb --root-owner-group -Zxz -b "$work/pkg" "$work/www/update.deb" >/dev/null
  signature=$(target/release/asr-gateway update-key sign --key "$signing_key" "$work/www/update.deb")
  # A private CA (given to the guest) and the server's certificate for
  # 10.0.2.2 signed by it: a CA certificate cannot serve as the server's own.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=asr-boot-test-ca -keyout "$work/ca-key.pem" -out "$work/ca-cert.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=10.0.2.2 \
    -keyout "$work/www-key.pem" -out "$work/www.csr" 2>/dev/null
  printf 'subjectAltName=IP:10.0.2.2\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
    > "$work/www.ext"
  openssl x509 -req -in "$work/www.csr" -CA "$work/ca-cert.pem" -CAkey "$work/ca-key.pem" \
    -CAcreateserial -days 2 -extfile "$work/www.ext" -out "$work/www-cert.pem" 2>/dev/null
  https_port=$(free_port)
  python3 - "$work/www" "$https_port" "$work/www-cert.pem" "$work/www-key.pem" >"$work/https.log" 2>&1 <<'PY' &
import functools, http.server, ssl, sys
root, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
  pids+=($!)
  update_section="[update]
ca_pem = \"\"\"
$(cat "$work/ca-cert.pem")
\"\"\""
else
  echo "boot-test: no $signing_key or arm64 package: the update check is skipped" >&2
fi
cat > "$work/asr-gateway.toml" <<EOF
[gateway]
id = "boot-test"
[mqtt]
url = "mqtt://10.0.2.2:$mqtt_port"
[http]
listen = "0.0.0.0:8080"
${hash:+admin_password_hash = \"$hash\"}
[discovery]
mdns = false
$update_section
EOF
mcopy -i "$work/card.img@@4M" "$work/asr-gateway.toml" ::asr-gateway.toml
kernel=$(mdir -b -i "$work/card.img@@4M" :: | tr -d '\r' | grep -m1 '/vmlinuz-' || true)
initrd=$(mdir -b -i "$work/card.img@@4M" :: | tr -d '\r' | grep -m1 '/initrd.img-' || true)
[ -n "$kernel" ] && [ -n "$initrd" ] || { echo "boot-test: no kernel/initrd on the FAT partition" >&2; exit 1; }
mcopy -i "$work/card.img@@4M" "$kernel" "$work/vmlinuz"
mcopy -i "$work/card.img@@4M" "$initrd" "$work/initrd.img"
qemu-img create -q -f qcow2 -b "$work/card.img" -F raw "$work/overlay.qcow2"

mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -t 'asr/v1/boot-test/status' -C 1 -W "$timeout_s" \
  >"$work/status.json" 2>"$work/sub.log" &
sub_pid=$!
pids+=($sub_pid)

started=$(date +%s)
qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 2 -m 1024 \
  -kernel "$work/vmlinuz" -initrd "$work/initrd.img" \
  -append "root=LABEL=RASPIROOT rw console=ttyAMA0 net.ifnames=0 rootwait" \
  -drive file="$work/overlay.qcow2",format=qcow2,if=virtio \
  -netdev user,id=n0,hostfwd=tcp:127.0.0.1:"$http_port"-:8080 \
  -device virtio-net-pci,netdev=n0,romfile= \
  -serial file:"$work/console.log" -display none -daemonize -pidfile "$work/qemu.pid"

healthy=""
while [ $(( $(date +%s) - started )) -lt "$timeout_s" ]; do
  if curl -fsS --max-time 3 "http://127.0.0.1:$http_port/healthz" >/dev/null 2>&1; then
    healthy=$(( $(date +%s) - started ))
    break
  fi
  sleep 2
done
fail() {
  echo "boot-test: $*" >&2
  echo "--- last console lines ---" >&2
  tail -n 40 "$work/console.log" >&2 || true
  exit 1
}
[ -n "$healthy" ] || fail "/healthz did not answer within ${timeout_s}s"
wait "$sub_pid" || fail "no retained status from the gateway at the broker"
grep -q '"online":true' "$work/status.json" || fail "the status says offline: $(cat "$work/status.json")"
# systemd colours and shortens unit names on the console ("asr-gateway.servic…").
sed 's/\x1b\[[0-9;]*m//g' "$work/console.log" > "$work/console.txt"
grep -q 'Started asr-gateway\.servic' "$work/console.txt" \
  || fail "asr-gateway.service was not started"
grep -q 'Finished asr-gateway-provi' "$work/console.txt" \
  || fail "the provisioning unit did not run"

updated=""
if [ -n "$update_section" ]; then
  update_started=$(date +%s)
  mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -t 'asr/v1/boot-test/cmd/update/boot1/res' -W 1200 \
    >"$work/update-res.json" 2>>"$work/sub.log" &
  res_pid=$!
  pids+=($res_pid)
  sleep 1
  mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -q 1 -t 'asr/v1/boot-test/cmd/update/boot1' \
    -m "{\"url\":\"https://10.0.2.2:$https_port/update.deb\",\"version\":\"$new_version\",\"signature\":\"$signature\",\"health_timeout_seconds\":600}"
  while kill -0 "$res_pid" 2>/dev/null; do
    if grep -q '"status":"successful"\|"status":"failed"' "$work/update-res.json" 2>/dev/null; then break; fi
    [ $(( $(date +%s) - update_started )) -lt 1200 ] || break
    sleep 2
  done
  kill "$res_pid" 2>/dev/null || true
  grep -q '"status":"successful"' "$work/update-res.json" \
    || fail "the update was not successful: $(tail -n 1 "$work/update-res.json" 2>/dev/null)"
  updated=$(( $(date +%s) - update_started ))
fi
kill "$(cat "$work/qemu.pid")" 2>/dev/null || true
sleep 3
# What the guest left on its card: the provisioning file gone from the FAT.
qemu-img convert -O raw "$work/overlay.qcow2" "$work/after.img"
if mdir -b -i "$work/after.img@@4M" :: | tr -d '\r' | grep -q '/asr-gateway.toml$'; then
  fail "the provisioning file is still on the boot partition"
fi
echo "boot-test: ok — healthy ${healthy}s after power-on; status: $(cat "$work/status.json" | head -c 200)"
if [ -n "$updated" ]; then
  echo "boot-test: update $old_version -> $new_version successful in ${updated}s: $(tail -n 1 "$work/update-res.json" | head -c 300)"
fi

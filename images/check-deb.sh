#!/usr/bin/env bash
# Checks a built asr-gateway package without installing it: its contents and
# conffile, the systemd unit (`systemd-analyze verify` against the package's
# own files, and the `systemd-analyze security` exposure, which must stay at
# or below MAX_EXPOSURE), the packaged default configuration, and, when the
# package is for this machine, that its binary runs.
#
#   images/check-deb.sh target/debian/asr-gateway_<version>_amd64.deb
set -euo pipefail
deb="${1:?usage: $0 PACKAGE.deb}"
MAX_EXPOSURE="${MAX_EXPOSURE:-2.0}"

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
control="$root/DEBIAN"
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$control"

fail() { echo "check-deb: $*" >&2; exit 1; }
for f in usr/bin/asr-gateway usr/lib/systemd/system/asr-gateway.service \
         usr/lib/systemd/system/asr-gateway-provision.service \
         usr/lib/systemd/system/asr-gateway-update.service usr/lib/systemd/system/asr-gateway-update.path \
         etc/asr-gateway/gateway.toml \
         usr/lib/sysusers.d/asr-gateway.conf usr/share/doc/asr-gateway/gateway.example.toml; do
  [ -e "$root/$f" ] || fail "missing /$f"
done
grep -qx /etc/asr-gateway/gateway.toml "$control/conffiles" || fail "gateway.toml is not a conffile"
grep -q "^Type=notify" "$root/usr/lib/systemd/system/asr-gateway.service" || fail "the unit is not Type=notify"
grep -q 'systemd-sysusers\|adduser' "$control/postinst" || fail "postinst makes no system user"
grep -q 'deb-systemd-helper' "$control/postinst" || fail "postinst does not enable the unit"
sh -n "$control/postinst" || fail "postinst is not valid shell"
# The updater runs dpkg: on an upgrade, the package's own scripts must never
# stop or restart it (that would kill the update half-way); on removal they may.
for script in prerm postinst postrm; do
  [ -f "$control/$script" ] || continue
  awk '
    { block = block "\n" $0 }
    /# End automatically added section/ || /^exit 0/ {
      if (block ~ /asr-gateway-update\.service/ && block ~ /(stop|restart)/ && block !~ /"\$1" = remove/) bad = 1
      block = ""
    }
    END { exit bad }' "$control/$script" \
    || fail "$script stops or restarts asr-gateway-update.service on upgrade"
done
# Every file systemd-sysusers is given is one the package installs (a bare
# name is looked up in sysusers.d): a wrong name fails the configure step.
for f in $(grep -o 'systemd-sysusers[^;&|]*' "$control/postinst" | tr ' ' '\n' | grep '\.conf$'); do
  [ -f "$root/usr/lib/sysusers.d/$(basename "$f")" ] || fail "postinst runs systemd-sysusers on $f, not installed"
done
perm=$(stat -c %a "$root/etc/asr-gateway/gateway.toml")
[ "$perm" = 640 ] || fail "gateway.toml is mode $perm, not 640"

# `verify` resolves the unit's dependencies and its ExecStart against a root:
# the package's files plus the system's own units.
mkdir -p "$root/lib/systemd/system"
cp -rn /lib/systemd/system/. "$root/lib/systemd/system/" 2>/dev/null || true
systemd-analyze verify --root="$root" /usr/lib/systemd/system/asr-gateway.service \
  /usr/lib/systemd/system/asr-gateway-provision.service \
  /usr/lib/systemd/system/asr-gateway-update.service /usr/lib/systemd/system/asr-gateway-update.path \
  || fail "systemd-analyze verify refused a unit"
exposure=$(systemd-analyze security --offline=true --root="$root" asr-gateway.service 2>/dev/null \
  | sed -n 's/.*Overall exposure level for asr-gateway.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "systemd-analyze security gave no score"
awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }' \
  || fail "exposure $exposure is above $MAX_EXPOSURE"

arch=$(dpkg-deb -f "$deb" Architecture)
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
  "$root/usr/bin/asr-gateway" --version >/dev/null || fail "the packaged binary does not run"
  "$root/usr/bin/asr-gateway" check-config --config "$root/etc/asr-gateway/gateway.toml" >/dev/null \
    || fail "the packaged configuration does not pass check-config"
  "$root/usr/bin/asr-gateway" provision --help >/dev/null || fail "the packaged binary cannot provision"
  "$root/usr/bin/asr-gateway" apply-update --help >/dev/null || fail "the packaged binary cannot update"
fi
echo "check-deb: $(basename "$deb") ok ($arch, $(du -k "$deb" | cut -f1) KiB, systemd-analyze security exposure $exposure)"

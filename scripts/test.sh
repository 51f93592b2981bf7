#!/usr/bin/env bash
# The project's one test command (see README.md). It installs the real peers
# the tests talk to when they are missing, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto mosquitto-clients)
command -v snmpsimd >/dev/null 2>&1 || missing+=(snmpsim)
command -v snmpbulkwalk >/dev/null 2>&1 || missing+=(snmp)
/usr/bin/python3 -c "import zeroconf" >/dev/null 2>&1 || missing+=(python3-zeroconf)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg-dev)
command -v ippeveprinter >/dev/null 2>&1 || missing+=(cups-ipp-utils)
command -v avahi-daemon >/dev/null 2>&1 || missing+=(avahi-daemon)
command -v dbus-daemon >/dev/null 2>&1 || missing+=(dbus)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A CI machine builds once: incremental caches would only take disk (gigabytes).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
cargo test --workspace --all-targets

# The Debian package: built (release, amd64), then its contents, conffile and
# systemd unit checked (`systemd-analyze verify` and `security`).
deb="$(bash images/build-deb.sh amd64 | tail -1)"
bash images/check-deb.sh "$deb"

# What the build left on disk: a CI machine's disk is not large (see Cargo.toml's
# profile.dev).
du -sh target 2>/dev/null || true

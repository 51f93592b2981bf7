#!/usr/bin/env bash
# Builds the asr-gateway Debian package for amd64 or arm64 into target/debian/.
#
#   images/build-deb.sh amd64   # native release build
#   images/build-deb.sh arm64   # cross build with Debian's rustc-web (Raspberry Pi 3/4/5, Zero 2 W)
#
# Installs what is missing (cargo-deb; for arm64 the cross toolchain: rustc-web,
# libstd-rust-web-dev:arm64, gcc-aarch64-linux-gnu) and prints the package's path.
set -euo pipefail
cd "$(dirname "$0")/.."

arch="${1:-}"
case "$arch" in
  amd64|arm64) ;;
  *) echo "usage: $0 amd64|arm64" >&2; exit 2 ;;
esac

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
apt_install() {
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! cargo deb --version >/dev/null 2>&1; then
  echo "build-deb: installing cargo-deb" >&2
  cargo install cargo-deb --locked --quiet
fi

mkdir -p target/debian
case "$arch" in
  amd64)
    cargo build --release --locked -p asr-gateway
    cargo deb -p asr-gateway --no-build --output target/debian/ --quiet
    ;;
  arm64)
    triple=aarch64-unknown-linux-gnu
    if ! dpkg -s libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu >/dev/null 2>&1; then
      echo "build-deb: installing the arm64 cross toolchain" >&2
      dpkg --print-foreign-architectures | grep -qx arm64 || "${sudo_cmd[@]}" dpkg --add-architecture arm64
      apt_install rustc-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
    fi
    # rustup's cargo drives Debian's rustc, which has the arm64 std; its own
    # target directory keeps the two compilers' artefacts apart.
    export RUSTC=/usr/bin/rustc
    export CARGO_TARGET_DIR=target/pi
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
    export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
    export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
    cargo build --release --locked -p asr-gateway --target "$triple"
    aarch64-linux-gnu-strip "target/pi/$triple/release/asr-gateway"
    cargo deb -p asr-gateway --no-build --no-strip --target "$triple" --output target/debian/ --quiet
    ;;
esac
ls -1t target/debian/asr-gateway_*_"$arch".deb | head -1

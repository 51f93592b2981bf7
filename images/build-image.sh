#!/usr/bin/env bash
# Builds the Raspberry Pi image of the gateway from Debian packages only:
#   target/images/asr-gateway-pi.img       (raw, write it to a card with dd or any imager)
#   target/images/asr-gateway-pi.img.zst   (the same, compressed)
#
# Layout of Debian's own Raspberry Pi images: an MBR with a FAT partition
# labelled RASPIFIRM (firmware, kernel, initrd, cmdline.txt, and where a
# technician drops asr-gateway.toml) and an ext4 root labelled RASPIROOT.
# Built without loop devices or mounts: mmdebstrap makes the arm64 root
# (through qemu-user-static/binfmt), mkfs.vfat + mtools and `mke2fs -d` make
# the two filesystems as files, sfdisk writes the partition table on the
# image file. About 15–20 minutes on 2 cores; run as root (mmdebstrap's root
# mode). Not part of .ci/run: a separate, documented command.
#
# Remote updates must be signed with the private key of the public key
# baked in (/etc/asr-gateway/update-key.pub): give it with --update-key, or
# a pair is made once in target/images/update-signing.key (+ .pub) — keep
# the private one, every update for these images needs it.
#
#   images/build-image.sh [--suite bookworm] [--size 2G] [--update-key PUBLIC_KEY_FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

suite=bookworm
image_size=2G
update_key=""
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite="$2"; shift 2 ;;
    --size) image_size="$2"; shift 2 ;;
    --update-key) update_key="$2"; shift 2 ;;
    *) echo "usage: $0 [--suite SUITE] [--size SIZE] [--update-key PUBLIC_KEY_FILE]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "build-image: run as root (mmdebstrap --mode=root)" >&2; exit 2; }

started=$(date +%s)
step() { echo "build-image: [$(( $(date +%s) - started ))s] $*" >&2; }

need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v arch-test >/dev/null || need+=(arch-test)
[ -e /usr/bin/qemu-aarch64-static ] || need+=(qemu-user-static binfmt-support)
command -v mkfs.vfat >/dev/null || need+=(dosfstools)
command -v mcopy >/dev/null || need+=(mtools)
command -v mke2fs >/dev/null || need+=(e2fsprogs)
command -v sfdisk >/dev/null || need+=(fdisk)
command -v zstd >/dev/null || need+=(zstd)
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Where PID 1 is not systemd, binfmt_misc may not be mounted: arm64
# programs in the new root then cannot run.
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
fi
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "build-image: qemu-aarch64 binfmt is not registered" >&2; exit 1; }

step "building the arm64 package"
deb="$(bash images/build-deb.sh arm64 | tail -1)"

out=target/images
work="$out/work"
# A build killed half-way can leave mmdebstrap's /proc, /sys and /dev
# mounts behind in the old root: unmount them before deleting it, and
# never let the delete cross into another filesystem.
if [ -d "$work" ]; then
  real_work="$(realpath "$work")"
  awk -v w="$real_work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m"; done
fi
rm -rf --one-file-system "$work"
mkdir -p "$work"
rootfs="$work/rootfs"
cp "$deb" "$work/asr-gateway.deb"

if [ -z "$update_key" ]; then
  update_key="$out/update-signing.key.pub"
  if [ ! -f "$out/update-signing.key" ]; then
    step "making the update signing key pair (target/images/update-signing.key: keep it)"
    # The package's own binary, run through qemu-user.
    dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/asr-gateway > "$work/asr-gateway-arm64"
    chmod +x "$work/asr-gateway-arm64"
    "$work/asr-gateway-arm64" update-key generate --private "$out/update-signing.key" --public "$update_key"
  fi
fi
[ -s "$update_key" ] || { echo "build-image: no update key at $update_key" >&2; exit 2; }
cp "$update_key" "$work/update-key.pub"

step "making the arm64 root filesystem (mmdebstrap, $suite)"
# Every change to the root is in images/rootfs/ (copied in) or in the
# customize script, so what the image holds is read in one place.
mmdebstrap --mode=root --arch=arm64 --variant=minbase \
  --components="main non-free-firmware" \
  --include=systemd-sysv,udev,dbus,kmod,initramfs-tools,linux-image-arm64,raspi-firmware,firmware-brcm80211,systemd-timesyncd,systemd-resolved,fake-hwclock,ca-certificates,cloud-guest-utils,e2fsprogs,openssh-server,iproute2,netbase \
  --customize-hook='copy-in target/images/work/asr-gateway.deb target/images/work/update-key.pub /tmp' \
  --customize-hook='copy-in images/rootfs/etc images/rootfs/usr /' \
  --customize-hook='chroot "$1" sh -s < images/customize-rootfs.sh' \
  "$suite" "$rootfs"

step "assembling the disk image"
# The firmware partition: what raspi-firmware put in /boot/firmware.
boot_mib=256
rm -f "$work/boot.vfat"
mkfs.vfat -F 32 -n RASPIFIRM -C "$work/boot.vfat" $((boot_mib * 1024)) >/dev/null
mcopy -s -i "$work/boot.vfat" "$rootfs"/boot/firmware/* ::
mv "$rootfs/boot/firmware" "$work/firmware"
mkdir -p "$rootfs/boot/firmware"

# The root: its content plus room to start; it grows to the card on first boot.
total_mib=$(( $(numfmt --from=iec "$image_size") / 1048576 ))
root_mib=$(( total_mib - 4 - boot_mib ))
used_mib=$(( $(du -sm "$rootfs" | cut -f1) ))
[ "$root_mib" -gt $(( used_mib * 5 / 4 )) ] || { echo "build-image: --size too small for ${used_mib} MiB of root" >&2; exit 1; }
rm -f "$work/root.ext4"
mke2fs -q -t ext4 -L RASPIROOT -E root_owner=0:0 -d "$rootfs" "$work/root.ext4" "${root_mib}M"

img="$out/asr-gateway-pi.img"
rm -f "$img" "$img.zst"
truncate -s "${total_mib}M" "$img"
sfdisk --quiet "$img" <<EOF
label: dos
start=4MiB, size=${boot_mib}MiB, type=c, bootable
start=$((4 + boot_mib))MiB, type=83
EOF
dd if="$work/boot.vfat" of="$img" bs=1M seek=4 conv=notrunc status=none
dd if="$work/root.ext4" of="$img" bs=1M seek=$((4 + boot_mib)) conv=notrunc status=none

step "compressing"
zstd -q -10 -T0 "$img" -o "$img.zst"
rm -rf --one-file-system "$work"
step "done: $img ($(du -m "$img" | cut -f1) MiB), $img.zst ($(du -m "$img.zst" | cut -f1) MiB), $(( $(date +%s) - started )) s"

# Runs inside the new arm64 root (through qemu-user) at the end of
# mmdebstrap: installs the gateway and sets the image's defaults.
set -eu
export DEBIAN_FRONTEND=noninteractive

# The gateway, from the package built for this image.
apt-get install -y -qq --no-install-recommends /tmp/asr-gateway.deb
# Remote updates: the key packages must be signed with, and a copy of the
# installed package for the updater to roll back to.
install -m 0644 -o root -g root /tmp/update-key.pub /etc/asr-gateway/update-key.pub
install -d -m 0700 /var/lib/asr-gateway-update
install -m 0600 /tmp/asr-gateway.deb /var/lib/asr-gateway-update/installed.deb
rm -f /tmp/asr-gateway.deb /tmp/update-key.pub

# Network by systemd-networkd (DHCP), names by systemd-resolved, time by
# timesyncd; without a hardware clock, fake-hwclock keeps time across reboots.
systemctl enable systemd-networkd.service systemd-resolved.service systemd-timesyncd.service
systemctl enable fake-hwclock.service asr-grow-root.service
ln -sf /run/systemd/resolve/stub-resolv.conf /etc/resolv.conf

# SSH is installed but off: the supplier manages the box over MQTT.
systemctl disable ssh.service ssh.socket 2>/dev/null || true
rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub
# No password logs in on the console either.
passwd -l root >/dev/null

# The kernel finds its root by label, as the fstab does.
if [ -f /boot/firmware/cmdline.txt ]; then
  sed -i 's|root=[^ ]*|root=LABEL=RASPIROOT|' /boot/firmware/cmdline.txt
  grep -q 'root=LABEL=RASPIROOT' /boot/firmware/cmdline.txt
fi
if [ -f /etc/default/raspi-firmware ]; then
  sed -i 's|^#\?ROOTPART=.*|ROOTPART=LABEL=RASPIROOT|' /etc/default/raspi-firmware
fi

# Small and without caches.
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log

#!/bin/sh
# PID 1 of a test container's new PID, mount and UTS namespaces, before it becomes the init:
# names the machine, mounts /proc (with the container's own boot id file over the kernel's),
# a fresh /run, the host's /dev and the local archive (read-only), then enters the root.
# Usage: enter ROOT MIRROR HOSTNAME ADDRESS
set -eu
root="$1" mirror="$2" name="$3" address="$4"
hostname "$name"
mount -t proc proc "$root/proc"
mount --bind "$root/var/lib/container-init/boot_id" "$root/proc/sys/kernel/random/boot_id"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
mount --rbind /dev "$root/dev"
mount --bind "$mirror" "$root/srv/mirror"
mount -o remount,bind,ro "$root/srv/mirror"
exec chroot "$root" /usr/local/sbin/container-init "$address"

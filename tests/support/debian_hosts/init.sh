#!/bin/sh
# The init (PID 1) of a test container: runs sshd on ADDRESS:22, and "reboots" when
# `systemctl reboot` sends it SIGUSR1: every other process is killed, /run is emptied (so
# /run/reboot-required is gone), a fresh boot id is written, and sshd starts again.
# Usage: container-init ADDRESS
set -u
address="$1"
boot_id=/var/lib/container-init/boot_id
reboot_requested=0
trap 'reboot_requested=1' USR1
trap 'exit 0' TERM INT

boot() {
    cat /proc/sys/kernel/random/uuid > "$boot_id"
    mkdir -p /run/sshd
    /usr/sbin/sshd -D -e -o "ListenAddress=$address:22" &
    sshd=$!
}

reboot() {
    # Let `systemctl reboot` return to its caller first, as a real machine's does.
    sleep 0.5
    kill -KILL -1 2>/dev/null
    wait 2>/dev/null
    find /run -mindepth 1 -delete
    sleep 0.5
    boot
}

boot
while :; do
    wait "$sshd"
    if [ "$reboot_requested" = 1 ]; then
        reboot_requested=0
        reboot
    elif ! kill -0 "$sshd" 2>/dev/null; then
        echo "container-init: sshd exited" >&2
        exit 1
    fi
done

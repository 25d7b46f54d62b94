#!/bin/sh
# systemctl of a test container (first on sudo's secure_path): `systemctl reboot` asks the
# container's init to reboot the container; nothing else is supported.
case "${1:-}" in
    reboot) kill -USR1 1 ;;
    *) echo "systemctl: this container only supports 'systemctl reboot'" >&2; exit 1 ;;
esac

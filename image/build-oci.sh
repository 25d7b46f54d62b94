#!/usr/bin/env bash
# Builds the patchwarden OCI image without a Docker daemon: the same layout as the Dockerfile's
# final stage (the binary at /usr/local/bin/patchwarden, the shared libraries it links, CA
# certificates, a passwd with the nonroot user 65532; no shell), written with umoci (Debian's
# `umoci` package) into an OCI image layout.
#
#   image/build-oci.sh BINARY LAYOUT_DIR [TAG]
#
# BINARY is built by cargo on the build machine first (`cargo build --release -p patchwarden`).
# Building it inside the image, as the Dockerfile's builder stage does, needs the crates from
# the network inside the container and a base image from a registry; CI reaches neither, so
# the binary built outside is copied in, with the libraries `ldd` names from the same machine.
set -euo pipefail

binary=${1:?usage: build-oci.sh BINARY LAYOUT_DIR [TAG]}
layout=${2:?usage: build-oci.sh BINARY LAYOUT_DIR [TAG]}
tag=${3:-latest}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs="$work/stage"

install -D -m 0755 "$binary" "$rootfs/usr/local/bin/patchwarden"
# The dynamic loader and every library the binary links, at the same paths.
ldd "$binary" | awk '/=> \//{print $3} /^[ \t]*\//{print $1}' | while read -r lib; do
    install -D -m 0644 "$(readlink -f "$lib")" "$rootfs$lib"
done
chmod 0755 "$rootfs"/lib*/ld-linux* 2>/dev/null || true
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
    > "$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$rootfs/etc/group"
install -d -m 1777 "$rootfs/tmp"
install -d -m 0700 "$rootfs/home/nonroot"

rm -rf "$layout"
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci unpack --image "$layout:$tag" "$work/bundle"
cp -a "$rootfs/." "$work/bundle/rootfs/"
chown -R 65532:65532 "$work/bundle/rootfs/home/nonroot"
umoci repack --image "$layout:$tag" "$work/bundle"
umoci config --image "$layout:$tag" \
    --config.user 65532:65532 \
    --config.entrypoint /usr/local/bin/patchwarden \
    --config.cmd operator \
    --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
umoci gc --layout "$layout"
echo "built $layout:$tag"

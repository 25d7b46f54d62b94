# The patchwarden image: the one `patchwarden` binary on a distroless base (glibc, CA
# certificates, /etc/passwd with the `nonroot` user 65532), nothing else: no shell, no package
# manager. One image runs every command: `operator` (the chart's Deployment), `agent` (the
# chart's DaemonSet), `apiserver`, `validate`, `plan`.
#
#   docker build -t patchwarden .          # or: buildah bud -t patchwarden .
#
# CI builds the same image without a Docker daemon and without network inside the build:
# image/build-oci.sh (umoci, from Debian) puts a binary built by cargo on the CI machine and
# the shared libraries it links into an OCI layout. See that script for why.

FROM docker.io/library/rust:1-bookworm AS builder
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p patchwarden \
    && install -D -m 0755 target/release/patchwarden /out/patchwarden

# distroless/cc carries glibc and libgcc; libssl and zlib come from the builder's Debian 12.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib/x86_64-linux-gnu/libz.so.1 /usr/lib/x86_64-linux-gnu/
COPY --from=builder /out/patchwarden /usr/local/bin/patchwarden
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/patchwarden"]
CMD ["operator"]

# Tessera's container image: the `tessera` binary on Debian bookworm, run as a non-root user,
# with the data dir as a volume. docs/deployment.md ("Containers and systemd") explains it:
#
#   docker build -t tessera .      # or: podman build --format docker -t tessera . (OCI images
#                                  #     have no HEALTHCHECK)
#   docker run -d -p 8080:8080 -v tessera-data:/var/lib/tessera \
#       -e TESSERA_SERVER__ISSUER=http://localhost:8080 tessera

ARG RUST_VERSION=1.95

# --- build: the release binary, exactly as Cargo.lock pins it --------------------------------
FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
COPY . .
# The cache mounts keep the registry and the target dir between builds (BuildKit, buildah);
# the binary is copied out of the cached target dir in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p tessera \
 && install -D -m 0755 target/release/tessera /out/tessera

# --- run: the binary and CA certificates -------------------------------------------------------
# bookworm-slim rather than distroless: the same glibc as the builder, and a shell for the
# HEALTHCHECK below and for `docker exec … tessera user add` sessions.
FROM docker.io/library/debian:bookworm-slim
# CA certificates: outbound https (client JWKS URLs, back-channel logout, webhooks, `tessera
# doctor`) verifies servers against the system's roots.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tessera \
 && useradd --system --uid 10001 --gid tessera --home-dir /var/lib/tessera \
        --no-create-home --shell /usr/sbin/nologin tessera \
 && install -d -o tessera -g tessera -m 0700 /var/lib/tessera
COPY --from=builder /out/tessera /usr/local/bin/tessera

USER tessera:tessera
# The data dir (database, master.key) is the volume. Listening on all addresses of the
# container needs server.allow_plain_http (TLS ends at the ingress or proxy in front) or
# TESSERA_SERVER__TLS_CERT / TESSERA_SERVER__TLS_KEY; server.issuer must be set at run time
# (the public URL): the server refuses to start without it.
ENV TESSERA_DATA_DIR=/var/lib/tessera \
    TESSERA_SERVER__LISTEN=0.0.0.0:8080 \
    TESSERA_SERVER__ALLOW_PLAIN_HTTP=true
VOLUME ["/var/lib/tessera"]
EXPOSE 8080

# The image has no curl: `tessera doctor --healthz URL` fetches /healthz with the binary's own
# HTTP client (nothing more to install, patch or scan). It exits 2 when the check fails, a code
# Docker reserves for health checks, hence `|| exit 1`. With TLS in the container, replace
# this check (docker run --health-cmd): the certificate is not issued for 127.0.0.1.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD tessera doctor --healthz http://127.0.0.1:8080/healthz || exit 1

ENTRYPOINT ["tessera"]
CMD ["serve"]

# The Tern image: tern-server, the four single-service binaries and the `tern` CLI on a slim
# Debian, run as uid 1000 by deploy/docker/entrypoint.sh (see deploy/docker/README.md).
#
#   docker build -t tern .                           # compiles in the builder stage (~30 min, 2 cores)
#   docker build --build-arg BINARIES=prebuilt ...   # takes deploy/docker/bin/ from the context,
#                                                    # staged by scripts/stage-binaries (CI, tests)
# BINARIES=prebuilt needs BuildKit (DOCKER_BUILDKIT=1), which skips the unused builder stage.
ARG BASE_IMAGE=debian:bookworm-slim
ARG BUILDER_IMAGE=debian:bookworm
ARG BINARIES=builder

FROM ${BUILDER_IMAGE} AS builder
# Behind a TLS-inspecting proxy, the proxy's CA (PEM) lets npm fetch the pinned protos:
#   docker build --build-arg EXTRA_CA_CERTS="$(cat proxy-ca.pem)" .
ARG EXTRA_CA_CERTS=
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
COPY . .
RUN mkdir -p /usr/local/share/ca-certificates \
 && if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" >/usr/local/share/ca-certificates/extra.crt; fi \
 && apt-get update \
 && scripts/install-deps build \
 && TERN_BUILD_DIR=/build scripts/stage-binaries /out \
 && rm -rf /var/lib/apt/lists/*

FROM scratch AS prebuilt
COPY deploy/docker/bin/ /out/bin/

FROM ${BINARIES} AS binaries

FROM ${BASE_IMAGE}
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive
# Only the shared libraries the binaries link (apt brings their own dependencies), and the zone
# data schedules read (IANA time zones).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
      libabsl20220623 libcurl4 libgrpc++1.51 libpqxx-6.4 libprometheus-cpp-core1.0 \
      libprometheus-cpp-pull1.0 libprotobuf32 libspdlog1.10 libyaml-cpp0.7 libssl3 libjemalloc2 \
      libnghttp2-14 zlib1g libdeflate0 \
 && rm -rf /var/lib/apt/lists/* \
 && echo 'tern:x:1000:' >>/etc/group \
 && echo 'tern:x:1000:1000:Tern:/home/tern:/usr/sbin/nologin' >>/etc/passwd \
 && mkdir -p /etc/tern /home/tern && chown tern:tern /etc/tern /home/tern
COPY --from=binaries /out/bin/ /usr/local/bin/
COPY deploy/docker/entrypoint.sh /usr/local/bin/tern-entrypoint
USER 1000:1000
WORKDIR /home/tern
EXPOSE 7233 7234 7235 7239 9090
ENTRYPOINT ["tern-entrypoint"]

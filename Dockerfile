# syntax=docker/dockerfile:1
# hddnn in a container: one node per pod (`hddnn serve`) or the coordinator (`hddnn run`), as the
# manifests `hddnn export kserve` writes run it (docs/deployment.md). For amd64 and arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/hddnn/hddnn:latest .
# Checked offline by `make test` (DeploymentTests): hadolint, and every shared library the binary
# loads comes from a package the run stage installs.

# Build: the Swift 6.3 toolchain, the Swift runtime linked in (--static-swift-stdlib), so the run
# stage needs only Debian's libraries.
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libopenblas-dev zlib1g-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product hddnn --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/hddnn" /out/hddnn

# Run: slim Debian 12 with the libraries `ldd hddnn` names (OpenBLAS, SQLite, zlib, the C++
# runtime), Fashion-MNIST for the coordinator's jobs, curl for the health check. Not root.
FROM debian:12-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libopenblas0-pthread libsqlite3-0 zlib1g libstdc++6 libgcc-s1 \
       dataset-fashion-mnist ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin hddnn
COPY --from=build /out/hddnn /usr/local/bin/hddnn
USER 10001
WORKDIR /tmp
ENV HDDNN_PORT=8080
EXPOSE 8080
# Ready means the model is loaded and benchmarked; -k: the node's certificate is the project CA's.
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
    CMD ["sh", "-c", "curl -fsk https://127.0.0.1:${HDDNN_PORT}/v2/health/ready || curl -fs http://127.0.0.1:${HDDNN_PORT}/v2/health/ready"]
ENTRYPOINT ["hddnn"]
CMD ["--help"]

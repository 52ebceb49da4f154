# The Lovage worker image: `lovage worker` where Dify's compose file runs its Celery worker
# (MODE=worker) and its beat (MODE=beat). See docs/deploy.md.
#
# Never built on the machines Lovage is developed on (they cannot run a container engine); what is
# checked there: the release build command below links with the same toolchain version on Debian 12
# (the static FoundationNetworking that FlyingFox pulls in needs libcurl4-openssl-dev to link), and
# interop/test_container.py compares the runtime stage's package list with what the binary names.

# Builder: the official Swift image on Debian 12 (bookworm), the toolchain version Lovage is built
# and tested with (6.3.1), and the same Debian release as the runtime stage, so the -dev packages
# the binary is linked against are the ones the runtime packages provide.
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
FROM ${SWIFT_IMAGE} AS build
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get -q update \
 && apt-get -q install -y --no-install-recommends libhiredis-dev libjemalloc-dev zlib1g-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest names the test targets too, so SwiftPM wants Tests/ present to load it.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# --static-swift-stdlib: the Swift runtime and Foundation are linked in, so the runtime stage needs
# no toolchain, only the C libraries below.
RUN swift build -c release --product lovage --static-swift-stdlib \
 && install -D -s -m 0755 "$(swift build -c release --show-bin-path)/lovage" /out/lovage

# Runtime: Debian 12 slim with the packages of the shared libraries the binary names beyond glibc
# (apt brings what they depend on), and nothing else (the entrypoint waits for Redis with bash's
# /dev/tcp, so no redis-tools). libcurl4 is there because the metrics server, FlyingFox, imports
# FoundationNetworking, which links libcurl; Lovage itself makes no HTTP requests.
FROM debian:bookworm-slim
# One package per line between the two markers: interop/test_container.py reads this list.
# runtime-packages:begin
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get -q update \
 && apt-get -q install -y --no-install-recommends \
      libhiredis0.14 \
      libjemalloc2 \
      zlib1g \
      libstdc++6 \
      libgcc-s1 \
      libcurl4 \
 && rm -rf /var/lib/apt/lists/*
# runtime-packages:end
COPY --from=build /out/lovage /usr/local/bin/lovage
COPY docker/entrypoint.sh /usr/local/bin/lovage-entrypoint
COPY docker/beat-schedule.yaml /etc/lovage/beat-schedule.yaml
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin lovage
USER lovage
ENV MODE=worker
# The worker's metrics port (docs/deploy.md), when LOVAGE_METRICS_PORT is set.
EXPOSE 9808
ENTRYPOINT ["/usr/local/bin/lovage-entrypoint"]

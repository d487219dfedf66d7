# syntax=docker/dockerfile:1
# The JCode Watcher image: the agent (`jcode-watcher run`, the chart's DaemonSet) and the Analytics API bridge
# (the bundled Collector's sidecar). Two stages: build the CO-RE eBPF object and its loader with clang, bpftool
# and libbpf; then the Node.js 24 runtime running the TypeScript sources with tsx.
#
#   docker build -t registry.example.edu/jcode/jcode-watcher:0.1.0 .
#
# The build host needs kernel BTF (/sys/kernel/btf/vmlinux, readable from build containers): bpftool dumps it
# into vmlinux.h. CO-RE relocates against the target kernel at load time, so the image runs on any node kernel
# with BTF. Images are not built in CI (no registry access there); this file is kept to the plain steps
# bpf/build.sh and scripts/setup.sh run.

FROM debian:trixie-slim AS bpf
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src/bpf
COPY bpf/Makefile bpf/jcw_exec.bpf.c bpf/jcw_exec.h bpf/jcw_exec_loader.c ./
RUN make BPFTOOL=/usr/sbin/bpftool OUT=/out /out/jcw-exec

FROM node:24-trixie-slim
# The loader links libbpf statically; it needs libelf and zlib at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libelf1t64 zlib1g \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the image's Node is 24 already (the `node` package is only for older machines), and the
# native parts (@parcel/watcher, esbuild) come as prebuilt optional packages.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY bin/ bin/
COPY cli/ cli/
COPY config/ config/
COPY core/ core/
COPY exporters/ exporters/
COPY extensions/ extensions/
COPY processors/ processors/
COPY receiver/ receiver/
COPY telemetry/ telemetry/
COPY --from=bpf /out/jcw-exec bpf/build/jcw-exec
# tsx compiles into the OS temp directory: the chart mounts an emptyDir at /tmp (read-only root filesystem).
ENV NODE_ENV=production
EXPOSE 9464
ENTRYPOINT ["node", "/app/bin/jcode-watcher.mjs"]
CMD ["run"]

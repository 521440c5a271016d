# syntax=docker/dockerfile:1
# nomad-operator container image: `nomad-operator run` (reconcile loop, Nomad /v1 API, ops endpoints).
#
# Three stages, the same layout as `npm run build` in a checkout:
#   wasm    Go builds the HCL2 jobspec parser with the project's own script → build/jobspec.wasm,
#           build/wasm_exec.js
#   dist    Node 24 + all dependencies type-check src/ with tsc and bundle it, dependencies included,
#           into dist/ with esbuild (scripts/build.ts: why a bundle)
#   runtime Node 24 LTS slim: dist/ build/ crds/ package.json, and nothing to install (the bundle
#           holds every runtime dependency)
# The jobspec parser's loader (in a dist/ chunk) finds build/ by walking up to the package.json named
# nomad-operator, so /app/package.json and /app/build/ must stay side by side; package.json also
# makes dist/'s .js files ES modules.
#
# Runtime decisions:
# * Non-root numeric user 65532 (no passwd entry needed; Kubernetes' runAsNonRoot can verify a
#   numeric UID). Every file is root-owned and read-only to it.
# * Read-only root filesystem: the process writes nothing but logs to stdout/stderr. HOME and
#   TMPDIR point at /tmp (the chart mounts an emptyDir there) for any library that wants a home.
# * PID 1 without tini: `node` runs directly (never through npm or a shell), so SIGTERM/SIGINT reach
#   it; src/cli/run.ts installs handlers for both (stop taking work, finish in-flight reconciles,
#   release the Lease, close listeners, exit 0), which is what PID 1 needs since the kernel applies
#   no default signal action to it. The operator starts no child processes, so there are no zombies
#   to reap.
# * In a container 127.0.0.1 is unreachable from outside, so the listen addresses default to every
#   interface here (flags still win; the Helm chart passes them explicitly).

ARG GO_IMAGE=golang:1.26-bookworm
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${GO_IMAGE} AS wasm
ENV GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
# Modules first: a layer that survives source edits.
WORKDIR /src/src/nomad/hcl/wasm
COPY src/nomad/hcl/wasm/go.mod src/nomad/hcl/wasm/go.sum ./
RUN go mod download
WORKDIR /src
COPY scripts/build-jobspec-wasm.sh ./scripts/
COPY src/nomad/hcl/wasm ./src/nomad/hcl/wasm
RUN bash scripts/build-jobspec-wasm.sh

FROM ${NODE_IMAGE} AS dist
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no install hooks run (the `node` devDependency's binary download is not needed:
# tsc runs on this image's Node 24).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json --noEmit \
    && node scripts/build.ts dist

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="nomad-operator" \
      org.opencontainers.image.description="Run HashiCorp Nomad jobs as Kubernetes workloads" \
      org.opencontainers.image.licenses="MPL-2.0" \
      org.opencontainers.image.version="${VERSION}"
# MALLOC_ARENA_MAX=2: glibc's per-thread malloc arenas kept about 150 MiB resident after converging
# 500 jobs (391 MiB instead of 240 MiB, docs/performance.md).
# MALLOC_MMAP_THRESHOLD_=65536: blocks of 64 KiB and more (V8's parser and compiler zones, socket
# read buffers) are mapped and given back when freed; glibc's default threshold rises to the largest
# block freed so far, after which such blocks stay in the heap, resident, once V8 lets them go (with
# the bundle's two modules of about 1 MB to parse: 4.5 MiB at 500 jobs; docs/performance.md,
# "Memory").
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=65536 \
    HOME=/tmp \
    TMPDIR=/tmp \
    NOMAD_OPERATOR_LISTEN=0.0.0.0:4646 \
    NOMAD_OPERATOR_METRICS_LISTEN=0.0.0.0:9464
WORKDIR /app
COPY package.json ./
COPY --from=wasm /src/build/jobspec.wasm /src/build/wasm_exec.js ./build/
COPY --from=dist /src/dist ./dist
COPY crds ./crds
USER 65532:65532
# 4646: Nomad /v1 HTTP API (--listen). 9464: /metrics, /healthz, /readyz (--metrics-listen).
EXPOSE 4646 9464
# V8 flags for a small resident set (docs/performance.md, "Memory"):
# --max-semi-space-size=2 (MiB): the young generation would otherwise grow to 64 MiB of resident
#   memory, more than the operator's data at 2,000 jobs; scavenges stay cheap.
# --optimize-for-size: the old generation grows by small steps and gives pages back, instead of
#   reserving about twice what it holds after the burst of a startup or a rollout.
# --max-opt=1: bytecode and baseline (Sparkplug) code only, no Maglev or TurboFan: their compilers'
#   code pages and compile zones cost 10-15 MiB of resident memory at 500 jobs, and the operator's
#   time goes to waiting on the apiserver and to JSON (native either way), not to hot JavaScript.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--optimize-for-size", "--max-opt=1", "dist/cli/main.js", "run"]

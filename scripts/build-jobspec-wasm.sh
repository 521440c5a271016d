#!/usr/bin/env bash
# Builds the HCL2 jobspec parser (src/nomad/hcl/wasm, Go) as WebAssembly for Node:
#   build/jobspec.wasm  and  build/wasm_exec.js (Go's JS glue, copied from the Go installation).
# Does nothing when the wasm is newer than every Go source, go.mod and go.sum.
# Needs Go (see src/nomad/hcl/wasm/go.mod); modules come from the Go module proxy.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/src/nomad/hcl/wasm"
out="$root/build"
wasm="$out/jobspec.wasm"
glue="$out/wasm_exec.js"

if ! command -v go >/dev/null 2>&1; then
  echo "build-jobspec-wasm: 'go' is not on PATH; install Go $(sed -n 's/^go //p' "$src/go.mod") or newer" >&2
  exit 1
fi
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

if [[ -f "$wasm" && -f "$glue" ]]; then
  newer="$(find "$src" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$wasm" -print -quit)"
  if [[ -z "$newer" ]]; then
    echo "build-jobspec-wasm: build/jobspec.wasm is up to date"
    exit 0
  fi
  echo "build-jobspec-wasm: rebuilding, ${newer#"$root/"} changed"
else
  echo "build-jobspec-wasm: building build/jobspec.wasm"
fi

mkdir -p "$out"
tmp="$wasm.tmp.$$"
trap 'rm -f "$tmp"' EXIT
start=$SECONDS
(cd "$src" && GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$tmp" .)
mv -f "$tmp" "$wasm"
cp -f "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$glue"
echo "build-jobspec-wasm: wrote build/jobspec.wasm ($(( $(stat -c %s "$wasm") / 1024 )) KiB) and build/wasm_exec.js in $(( SECONDS - start ))s"

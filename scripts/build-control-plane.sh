#!/usr/bin/env bash
# Builds the local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok, helm) from the Go wrapper modules in tools/, into a versioned cache
# outside the repository. Skips the build when every binary is already there.
#
# Prints the bin directory as its last line. Set NOMAD_OPERATOR_CACHE to move the cache.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
K8S_VERSION=v1.37.2
KWOK_VERSION=v0.8.0
HELM_VERSION=v3.22.0
cache=${NOMAD_OPERATOR_CACHE:-$HOME/.cache/nomad-operator}
bin="$cache/k8s-$K8S_VERSION-kwok-$KWOK_VERSION-helm-$HELM_VERSION/bin"
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok helm)

stages="$bin/../kwok-stages"
missing=()
for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || missing+=("$b"); done
[ -f "$stages/pod-complete.yaml" ] || missing+=(kwok-stages)
if [ ${#missing[@]} -eq 0 ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-control-plane: Go is required (go 1.26+) to build ${missing[*]}" >&2; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
mkdir -p "$bin"
tmp="$bin.partial.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)

# Version stamps: without them /version reports v0.0.0 and helm/kubectl version checks misbehave.
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=2026-01-01T00:00:00Z"
done

build() { # module-dir output-name ldflags package
  local dir=$1 out=$2 ldflags=$3 pkg=$4
  [ -x "$bin/$out" ] && return 0
  echo "build-control-plane: building $out ($pkg)" >&2
  if ! (cd "$here/tools/$dir" && go build -trimpath -ldflags "$ldflags" -o "$tmp/$out" "$pkg") >"$tmp/$out.log" 2>&1; then
    echo "build-control-plane: FAILED to build $out; last lines of the build log:" >&2
    tail -n 30 "$tmp/$out.log" >&2
    exit 1
  fi
  mv "$tmp/$out" "$bin/$out"
}

build k8s kube-apiserver "$k8s_ldflags" k8s.io/kubernetes/cmd/kube-apiserver
build k8s kube-controller-manager "$k8s_ldflags" k8s.io/kubernetes/cmd/kube-controller-manager
build k8s kube-scheduler "$k8s_ldflags" k8s.io/kubernetes/cmd/kube-scheduler
build k8s kubectl "$k8s_ldflags" k8s.io/kubernetes/cmd/kubectl
build k8s etcd "-s -w" go.etcd.io/etcd/server/v3
build kwok kwok "-s -w" sigs.k8s.io/kwok/cmd/kwok
build helm helm "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor" helm.sh/helm/v3/cmd/helm

# kwok simulates nothing without Stage objects. Its own stage definitions ship in the kwok module;
# copy the ones the local cluster uses next to the binaries (never into the repository).
if [ ! -f "$stages/pod-complete.yaml" ]; then
  kwok_dir=$(cd "$here/tools/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  mkdir -p "$stages"
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
           pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    cp "$kwok_dir/kustomize/stage/$f.yaml" "$stages/$(basename "$f").yaml"
  done
  chmod u+w "$stages"/*.yaml
fi

echo "build-control-plane: built ${missing[*]} in $(( $(date +%s) - start ))s" >&2
echo "$bin"

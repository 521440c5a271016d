#!/usr/bin/env bash
# Prepares the Nomad client compatibility suites that test/integration/compat.test.ts runs:
#   test/compat/go      the official Go client (github.com/hashicorp/nomad/api): downloads the modules,
#                       then vets and compiles the tests once;
#   test/compat/python  python-nomad: a venv in .local/compat-venv with requirements.txt installed
#                       (reinstalled only when requirements.txt changes).
# Idempotent: a second run only re-checks. Needs Go (see test/compat/go/go.mod) and Python ≥ 3.9 with venv.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

for tool in go python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "setup-compat: '$tool' is not on PATH" >&2
    exit 1
  fi
done

start=$SECONDS
echo "setup-compat: Go suite (test/compat/go)"
(
  cd "$root/test/compat/go"
  go mod download
  go vet ./...
  go test -c -o /dev/null .
)

venv="$root/.local/compat-venv"
requirements="$root/test/compat/python/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "setup-compat: creating $venv"
  mkdir -p "$root/.local"
  python3 -m venv "$venv"
fi
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "setup-compat: installing test/compat/python/requirements.txt"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
  echo "$want" >"$stamp"
else
  echo "setup-compat: Python venv is up to date"
fi
# Collect the tests once: an import or syntax error shows here, not in the middle of the integration run.
NOMAD_ADDR="${NOMAD_ADDR:-http://127.0.0.1:4646}" \
  "$venv/bin/python" -m pytest --collect-only -q -p no:cacheprovider "$root/test/compat/python" >/dev/null
echo "setup-compat: ready in $(( SECONDS - start ))s"

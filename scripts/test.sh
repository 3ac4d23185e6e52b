#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (Debian packages for the
# fault-injection tests, npm packages), then typechecks, lints and runs every mocha test.
# Ends with one line: "tests: N passed, N failed" (mocha's own counts).
set -uo pipefail
cd "$(dirname "$0")/.."
CACHE="${GRAPEVINE_CACHE:-$HOME/.cache/grapevine}"
mkdir -p "$CACHE"
step() { echo "==> [$(date +%H:%M:%S)] $*"; }
failed_steps=()

# nftables + iproute2: network-namespace fault tests; chromium: the demo's browser test;
# prometheus: promtool validates the metrics exposition, and the Helm end-to-end test scrapes with it;
# serf: the side-by-side benchmark and its test.
need_pkgs=()
command -v nft >/dev/null 2>&1 || need_pkgs+=(nftables)
command -v ip >/dev/null 2>&1 || need_pkgs+=(iproute2)
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus)
command -v serf >/dev/null 2>&1 || need_pkgs+=(serf)
# buildah + debootstrap: the container-image test builds the Dockerfile with a real buildah.
command -v buildah >/dev/null 2>&1 || need_pkgs+=(buildah)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    step "installing Debian packages: ${need_pkgs[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "warning: ${need_pkgs[*]} missing and not root: the tests that need them will say why they cannot run"
  fi
fi

step "npm ci (cache: $CACHE/npm)"
npm ci --no-audit --no-fund --prefer-offline --cache "$CACHE/npm" --loglevel=error || { echo "npm ci failed"; exit 1; }

step "Kubernetes test binaries: kube-apiserver, kube-controller-manager, etcd (built once from Go modules, cached)"
bash scripts/build-testbin.sh || { echo "building the Kubernetes test binaries failed"; exit 1; }

step "helm (built once from Go modules, cached)"
bash scripts/build-helm.sh || { echo "building helm failed"; exit 1; }

if [ "$(id -u)" = 0 ] && command -v buildah >/dev/null 2>&1; then
  step "container base image for buildah (debootstrap + Node.js from npm, cached)"
  bash scripts/build-image-base.sh || failed_steps+=(image-base)
fi

step "typecheck (tsc --noEmit)"
npx tsc --noEmit -p . || failed_steps+=(typecheck)

step "lint (biome)"
npx biome check . || failed_steps+=(lint)

step "mocha"
log=$(mktemp)
npx mocha 'test/**/*.test.ts' 2>&1 | tee "$log"
mocha_status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ +[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -1)
failed=$(grep -Eo '^ +[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -1)
rm -f "$log"
[ "$mocha_status" = 0 ] || failed_steps+=(mocha)
[ ${#failed_steps[@]} -eq 0 ] || echo "failed steps: ${failed_steps[*]}"
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
[ ${#failed_steps[@]} -eq 0 ]

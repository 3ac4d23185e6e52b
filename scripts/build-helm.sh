#!/usr/bin/env bash
# Builds the real `helm` CLI the chart tests run (lint, template, install, upgrade, test, uninstall).
# No prebuilt download works on our machines, so it is compiled from Go modules through the Go module
# proxy and cached OUTSIDE the repo, next to the Kubernetes test binaries:
#   ${GRAPEVINE_CACHE:-$HOME/.cache/grapevine}/testbin/helm-v3.22.0/helm
# Idempotent: an existing binary is not rebuilt. HELM_BIN pointing at a helm binary skips the build
# (the tests use that binary). A cold build takes about 2 minutes on 2 cores.
set -euo pipefail

HELM_VERSION=v3.22.0
# helm's Makefile stamps the Kubernetes version it was built against (client-go v0.37 -> 1.37); without
# it `helm template`/`lint` assume Kubernetes 1.20 (.Capabilities.KubeVersion, kubeVersion checks).
K8S_MAJOR=1
K8S_MINOR=37
CACHE_ROOT="${GRAPEVINE_CACHE:-$HOME/.cache/grapevine}"
OUT_DIR="$CACHE_ROOT/testbin/helm-$HELM_VERSION"

say() { printf 'build-helm: %s\n' "$*"; }
die() {
	printf 'build-helm: error: %s\n' "$*" >&2
	exit 1
}

if [[ -n "${HELM_BIN:-}" ]]; then
	[[ -x "$HELM_BIN" ]] || die "HELM_BIN=$HELM_BIN is not an executable file"
	say "HELM_BIN=$HELM_BIN given; nothing to build"
	exit 0
fi
if [[ -x "$OUT_DIR/helm" ]]; then
	say "up to date: $OUT_DIR/helm"
	exit 0
fi

command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= 1.24 to compile helm $HELM_VERSION)"
mkdir -p "$OUT_DIR"
exec 9>"$OUT_DIR/.lock"
flock 9 || die "cannot lock $OUT_DIR/.lock"
if [[ -x "$OUT_DIR/helm" ]]; then
	say "up to date (built by a concurrent run): $OUT_DIR/helm"
	exit 0
fi

export GOFLAGS="${GOFLAGS:--buildvcs=false}"
start=$SECONDS
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
say "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION (cold: about 2 minutes on 2 cores)..."
# -X stamps the versions as helm's own Makefile does, so `helm version` reports the release.
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
	ldflags+=" -X $p.k8sVersionMajor=$K8S_MAJOR -X $p.k8sVersionMinor=$K8S_MINOR"
done
GOBIN="$tmp" go install -trimpath -ldflags "$ldflags" \
	"helm.sh/helm/v3/cmd/helm@$HELM_VERSION" || die "go install of helm failed (see the go output above)"
mv -f "$tmp/helm" "$OUT_DIR/helm"
"$OUT_DIR/helm" version --short >/dev/null 2>&1 || die "$OUT_DIR/helm does not run"
say "built in $((SECONDS - start))s: $("$OUT_DIR/helm" version --short) -> $OUT_DIR/helm"

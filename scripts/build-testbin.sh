#!/usr/bin/env bash
# Builds the real Kubernetes control-plane binaries the operator tests run against:
# kube-apiserver, kube-controller-manager (for its garbage collector) and a matching etcd.
# No prebuilt download works on our machines, so they are compiled from Go modules through
# the Go module proxy and cached OUTSIDE the repo:
#   ${GRAPEVINE_CACHE:-$HOME/.cache/grapevine}/testbin/v1.31.4/{kube-apiserver,kube-controller-manager,etcd}
# Idempotent: binaries already present are not rebuilt. If KUBEBUILDER_ASSETS points at a
# directory holding all three, nothing is built (the tests use that directory).
# Needs Go >= 1.22. A cold build takes several minutes per binary on 2 cores.
set -euo pipefail

K8S_VERSION=v1.31.4
STAGING_VERSION=v0.31.4 # k8s.io/<staging> modules are tagged v0.<minor>.<patch>
# k8s.io/kubernetes v1.31.4 requires go.etcd.io/etcd/client/v3 v3.5.14: run the same server.
ETCD_VERSION=v3.5.14
BINARIES=(kube-apiserver kube-controller-manager etcd)

CACHE_ROOT="${GRAPEVINE_CACHE:-$HOME/.cache/grapevine}"
OUT_DIR="$CACHE_ROOT/testbin/$K8S_VERSION"
BUILD_DIR="$CACHE_ROOT/testbin/build-$K8S_VERSION"

say() { printf 'build-testbin: %s\n' "$*"; }
die() {
	printf 'build-testbin: error: %s\n' "$*" >&2
	exit 1
}

has_all() {
	local dir="$1" b
	for b in "${BINARIES[@]}"; do
		[[ -x "$dir/$b" ]] || return 1
	done
}

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
	if has_all "$KUBEBUILDER_ASSETS"; then
		say "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS already holds ${BINARIES[*]}; nothing to build"
		exit 0
	fi
	say "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks some of ${BINARIES[*]}; building into $OUT_DIR instead"
	say "(unset KUBEBUILDER_ASSETS, or point it at $OUT_DIR, so the tests find them)"
fi

if has_all "$OUT_DIR"; then
	say "up to date: ${BINARIES[*]} in $OUT_DIR"
	exit 0
fi

command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= 1.22 to compile Kubernetes $K8S_VERSION)"
go_minor="$(go env GOVERSION | sed -nE 's/^go1\.([0-9]+).*/\1/p')"
[[ -n "$go_minor" && "$go_minor" -ge 22 ]] || die "need Go >= 1.22, found $(go env GOVERSION)"

mkdir -p "$OUT_DIR" "$BUILD_DIR"
# Two concurrent runs (e.g. parallel CI jobs on one cache) would race on go.mod and the outputs.
exec 9>"$BUILD_DIR/.lock"
flock 9 || die "cannot lock $BUILD_DIR/.lock"
if has_all "$OUT_DIR"; then
	say "up to date (built by a concurrent run): ${BINARIES[*]} in $OUT_DIR"
	exit 0
fi

export GOFLAGS="${GOFLAGS:--buildvcs=false}"
# A go.mod newer than the local Go must fail loudly, not download a toolchain behind our back.
export GOTOOLCHAIN=local

elapsed() { echo "$((SECONDS - $1))s"; }

# Writes a module at $BUILD_DIR/k8s that requires k8s.io/kubernetes and replaces each of its
# ./staging/ modules by the published version (k8s.io/kubernetes's own replace lines point at
# ./staging/..., which does not exist outside its repository).
prepare_k8s_module() {
	local dir="$BUILD_DIR/k8s" gomod staging
	if [[ -f "$dir/.ready-$K8S_VERSION" ]]; then
		return 0
	fi
	say "preparing module for k8s.io/kubernetes $K8S_VERSION in $dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	local info
	# -json reports a failure inside the JSON ("Error"), so keep it to show.
	info="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" 2>&1)" || true
	gomod="$(sed -nE 's/^\s*"GoMod": "(.*)",?$/\1/p' <<<"$info")"
	[[ -n "$gomod" && -f "$gomod" ]] ||
		die "could not download k8s.io/kubernetes@$K8S_VERSION through the Go module proxy (GOPROXY=$(go env GOPROXY)): $(sed -nE 's/^\s*"Error": "(.*)",?$/\1/p' <<<"$info" | head -1)"
	mapfile -t staging < <(sed -nE 's#^\s*(k8s\.io/[^ ]+) => \./staging/.*#\1#p' "$gomod" | sort -u)
	((${#staging[@]} >= 20)) || die "found only ${#staging[@]} staging modules in $gomod; its format changed?"
	say "  ${#staging[@]} staging modules -> $STAGING_VERSION"
	(
		cd "$dir"
		go mod init testbinbuild >/dev/null 2>&1
		go mod edit -require "k8s.io/kubernetes@$K8S_VERSION"
		for m in "${staging[@]}"; do
			go mod edit -replace "$m=$m@$STAGING_VERSION"
		done
		cat >tools.go <<'EOF'
//go:build tools

// Package tools pins the commands built from this module so `go mod tidy` keeps their deps.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
EOF
		say "  go mod tidy (downloads the dependency graph on first run)"
		go mod tidy
	) || die "preparing the k8s.io/kubernetes module failed (see the go output above)"
	touch "$dir/.ready-$K8S_VERSION"
}

prepare_etcd_module() {
	local dir="$BUILD_DIR/etcd"
	if [[ -f "$dir/.ready-$ETCD_VERSION" ]]; then
		return 0
	fi
	say "preparing module for etcd $ETCD_VERSION in $dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	(
		cd "$dir"
		go mod init testbinetcd >/dev/null 2>&1
		go mod edit -require "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
		cat >main.go <<'EOF'
// Command etcd is the stock etcd server, built from Go modules at the version Kubernetes uses.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
		go mod tidy
	) || die "preparing the etcd module failed (see the go output above)"
	touch "$dir/.ready-$ETCD_VERSION"
}

# Version stamps so `kube-apiserver --version` and /version report the real release rather
# than v0.0.0-master.
k8s_ldflags() {
	local minor
	minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
	local p
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		printf -- '-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
			"$p" "$K8S_VERSION" "$p" "$p" "$minor" "$p"
	done
	printf -- '-s -w'
}

build_one() {
	local name="$1" pkg="$2" moddir="$3" ldflags="$4" start=$SECONDS
	if [[ -x "$OUT_DIR/$name" ]]; then
		say "$name: already built"
		return 0
	fi
	say "$name: go build $pkg (cold: several minutes on 2 cores)..."
	# Build to a temp name and rename, so an interrupted build never leaves a half-written binary
	# that a later run would take as done.
	(cd "$moddir" && go build -trimpath -ldflags "$ldflags" -o "$OUT_DIR/.$name.tmp" "$pkg") ||
		die "go build of $name failed (see the go output above)"
	mv -f "$OUT_DIR/.$name.tmp" "$OUT_DIR/$name"
	say "$name: built in $(elapsed "$start") -> $OUT_DIR/$name"
}

total_start=$SECONDS
if [[ ! -x "$OUT_DIR/kube-apiserver" || ! -x "$OUT_DIR/kube-controller-manager" ]]; then
	prepare_k8s_module
	build_one kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$BUILD_DIR/k8s" "$(k8s_ldflags)"
	build_one kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$BUILD_DIR/k8s" "$(k8s_ldflags)"
fi
if [[ ! -x "$OUT_DIR/etcd" ]]; then
	prepare_etcd_module
	build_one etcd . "$BUILD_DIR/etcd" "-s -w"
fi

"$OUT_DIR/kube-apiserver" --version >/dev/null 2>&1 || die "$OUT_DIR/kube-apiserver does not run"
"$OUT_DIR/etcd" --version >/dev/null 2>&1 || die "$OUT_DIR/etcd does not run"
say "done in $(elapsed "$total_start"): $("$OUT_DIR/kube-apiserver" --version), etcd $("$OUT_DIR/etcd" --version | sed -n 's/^etcd Version: //p')"
say "binaries in $OUT_DIR (the tests find them there; or export KUBEBUILDER_ASSETS=$OUT_DIR)"

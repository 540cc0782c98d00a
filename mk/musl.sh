#!/bin/sh
# Builds musl's libc.a for nfos images: Debian's musl source (apt-get source,
# fetched once into a cache outside the repo), our patches from
# lib/musl/patches applied, configured static-only and installed into
#   $NFOS_CACHE/musl-<debian version>-<patch hash>/{include,lib}
# ($NFOS_CACHE defaults to ~/.cache/nfos). One build per patch set; a lock
# keeps concurrent builds (kvm and linuxu, several worktrees) from racing.
# Prints the install folder on success.
# Usage: musl.sh [--dir] NFOS_ROOT  (--dir: only print the folder's name)
set -eu
[ "$1" = --dir ] && { only_dir=1; shift; } || only_dir=0
root=$1
cache=${NFOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nfos}
patches=$(ls "$root"/lib/musl/patches/*.patch)
# The folder's name follows the patches and the recipe below (bump it when
# the configure or make steps change); the Debian version is recorded inside.
recipe=1
hash=$( (cat $patches; echo "recipe $recipe") | sha256sum | cut -c1-12)
out="$cache/musl-$hash"
if [ $only_dir = 1 ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache/src"
exec 9>"$cache/musl.lock"
flock 9

fail() {
	echo "nfos: $1" >&2
	echo "nfos: the musl source comes from Debian: run \`./nfos deps\` (adds a deb-src entry, installs dpkg-dev), then retry; or by hand: cd $cache/src && apt-get source musl" >&2
	exit 1
}

# 1. The source package, once.
dsc=$(ls "$cache"/src/musl_*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$dsc" ]; then
	command -v dpkg-source >/dev/null || fail "dpkg-source (dpkg-dev) is not installed"
	(cd "$cache/src" && apt-get source --download-only musl >"$cache/src/fetch.log" 2>&1) ||
		fail "apt-get source musl failed: $(tail -n 1 "$cache/src/fetch.log")"
	dsc=$(ls "$cache"/src/musl_*.dsc | sort -V | tail -n 1)
fi
ver=$(basename "$dsc" .dsc | sed 's/^musl_//')
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

# 2. A fresh tree, patched, built and installed.
work="$cache/build-musl-$hash"
rm -rf "$work" "$out"
dpkg-source -x "$dsc" "$work" >"$cache/src/extract.log" 2>&1 ||
	fail "dpkg-source -x $dsc failed (log: $cache/src/extract.log)"
for p in $patches; do
	patch -d "$work" -p1 -E -s <"$p" || { echo "nfos: $p does not apply to musl $ver" >&2; exit 1; }
done
echo "  MUSL    building libc.a ($ver + $(echo $patches | wc -w) patches) into $out" >&2
(cd "$work" && ./configure --prefix="$out" --disable-shared CFLAGS="-O2 -g" >build.log 2>&1 &&
	make -j"${NFOS_JOBS:-2}" >>build.log 2>&1 && make install >>build.log 2>&1) ||
	{ tail -n 20 "$work/build.log" >&2; echo "nfos: musl build failed (log: $work/build.log)" >&2; exit 1; }
rm -rf "$work"
echo "$ver" >"$out/debian-version"
touch "$out/.done"
echo "$out"

#!/bin/sh
# Fetches Debian's lua5.4 source package once into the cache lib/musl uses
# ($NFOS_CACHE, default ~/.cache/nfos), extracts it unmodified (Debian's
# own patches applied, none of ours) and points build/src/lua5.4 at it:
# apps/lua compiles Lua's files from there like any of its own.
# Usage: lua.sh NFOS_ROOT   (prints the source folder)
set -eu
root=$1
cache=${NFOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nfos}
mkdir -p "$cache/src" "$root/build/src"
exec 9>"$cache/lua.lock"
flock 9

fail() {
	echo "nfos: $1" >&2
	echo "nfos: the Lua source comes from Debian: run \`./nfos deps\` (adds a deb-src entry, installs dpkg-dev), then retry; or by hand: cd $cache/src && apt-get source --download-only lua5.4" >&2
	exit 1
}

dsc=$(ls "$cache"/src/lua5.4_*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$dsc" ]; then
	command -v dpkg-source >/dev/null || fail "dpkg-source (dpkg-dev) is not installed"
	(cd "$cache/src" && apt-get source --download-only lua5.4 >"$cache/src/fetch-lua.log" 2>&1) ||
		fail "apt-get source lua5.4 failed: $(tail -n 1 "$cache/src/fetch-lua.log")"
	dsc=$(ls "$cache"/src/lua5.4_*.dsc | sort -V | tail -n 1)
fi
ver=$(basename "$dsc" .dsc | sed 's/^lua5.4_//')
out="$cache/lua5.4-$ver"
if [ ! -f "$out/.done" ] || [ ! -f "$out/src/lua.c" ]; then
	rm -rf "$out"
	dpkg-source -x "$dsc" "$out" >"$cache/src/extract-lua.log" 2>&1 ||
		fail "dpkg-source -x $dsc failed (log: $cache/src/extract-lua.log)"
	# Debian's luaconf.h includes a header its debian/rules writes at
	# build time; written here the same way (only C module paths use it).
	echo '#define DEB_HOST_MULTIARCH "x86_64-linux-gnu"' >"$out/src/lua5.4-deb-multiarch.h"
	touch "$out/.done"
fi
ln -sfn "$out" "$root/build/src/lua5.4"
echo "$out"

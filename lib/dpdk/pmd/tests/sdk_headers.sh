#!/bin/sh
# The DPDK headers a PMD compiles against that Debian's libdpdk-dev leaves
# out (the "driver SDK": ethdev_driver.h, ethdev_vdev.h, dev_driver.h,
# bus_vdev_driver.h), taken from Debian's dpdk source of the same version,
# the one mk/dpdk.sh builds images from (fetched once into the same cache).
# Usage: sdk_headers.sh OUT_DIR   (prints nothing; fails with a reason)
set -eu
out=$1
cache=${NFOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nfos}
want=$(pkg-config --modversion libdpdk 2>/dev/null) ||
	{ echo "nfos: net_nfos test: pkg-config finds no libdpdk (install libdpdk-dev: ./nfos deps)" >&2; exit 1; }
mkdir -p "$cache/src"
tarball=$(ls "$cache"/src/dpdk_"$want".orig.tar.* 2>/dev/null | head -n 1 || true)
if [ -z "$tarball" ]; then
	(cd "$cache/src" && apt-get source --download-only dpdk >"$cache/src/fetch-dpdk-sdk.log" 2>&1) ||
		{ echo "nfos: net_nfos test: apt-get source dpdk ($want) failed (./nfos deps adds the deb-src entry): $(tail -n 1 "$cache/src/fetch-dpdk-sdk.log")" >&2; exit 1; }
	tarball=$(ls "$cache"/src/dpdk_"$want".orig.tar.* 2>/dev/null | head -n 1 || true)
	[ -n "$tarball" ] || { echo "nfos: net_nfos test: Debian's dpdk source is not $want, the installed libdpdk-dev's version" >&2; exit 1; }
fi
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
tar -xf "$tarball" -C "$out.tmp" --strip-components=1 --wildcards \
	'*/lib/ethdev/ethdev_driver.h' '*/lib/ethdev/ethdev_vdev.h' \
	'*/lib/eal/include/dev_driver.h' '*/drivers/bus/vdev/bus_vdev_driver.h'
mkdir -p "$out"
find "$out.tmp" -name '*.h' -exec mv {} "$out/" \;
rm -rf "$out.tmp"

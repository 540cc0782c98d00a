#!/bin/sh
# Builds DPDK's libraries for nfos images: Debian's dpdk source (apt-get
# source, fetched once into the cache lib/musl uses: $NFOS_CACHE, default
# ~/.cache/nfos), our patches from lib/dpdk/patches applied, configured by
# meson for nfos (static, platform generic, no PIC, against musl's headers)
# and only the librte_*.a nfos links built, into
#   $NFOS_CACHE/dpdk-<hash>/{src,build,include.flags,libs,drivers}
# The hash covers the patches, this script (the configuration) and musl's
# folder: one build per configuration; a lock keeps concurrent builds
# (several worktrees) from racing. nfos's own make compiles the EAL
# (lib/dpdk/eal), the apps' sources and links the image.
# Prints the folder on success.
# Usage: dpdk.sh [--dir] NFOS_ROOT   (--dir: only print the folder's name)
set -eu
# DPDK's build runs its own Python scripts (buildtools/pmdinfogen.py imports
# coff.py from its folder): ./nfos's PYTHONSAFEPATH, inherited when ./nfos
# starts this build, would keep that folder off their import path.
unset PYTHONSAFEPATH
[ "$1" = --dir ] && { only_dir=1; shift; } || only_dir=0
root=$1
cache=${NFOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nfos}
patches=$(ls "$root"/lib/dpdk/patches/*.patch)
musl=$(sh "$root/mk/musl.sh" --dir "$root")
hash=$( (cat $patches "$0"; echo "$musl") | sha256sum | cut -c1-12)
out="$cache/dpdk-$hash"
if [ $only_dir = 1 ]; then
	echo "$out"
	exit 0
fi

# The libraries a DPDK app in nfos may link (the EAL's own part and what
# testpmd and l2fwd pull in: the study in the issue; bpf is mandatory in
# 22.11 and testpmd then has its bpf commands), and the drivers, which
# register themselves from constructors (linked whole).
LIBS="eal kvargs telemetry ring mempool mbuf net meter ethdev cmdline bpf pci"
DRIVERS="bus_vdev mempool_ring net_null"
# DPDK's own PCI drivers, over lib/dpdk/bus_pci (the OS part of bus/pci,
# patch 0002): linked, whole, only into images with LIBDPDK_BUS_PCI.
PCI_DRIVERS="bus_pci net_virtio"
# Optional libraries, none wanted (22.11 cannot disable the mandatory ones:
# they are configured but, not being ninja targets below, never compiled).
DISABLE_LIBS="bitratestats,cfgfile,compressdev,cryptodev,distributor,efd,eventdev,\
dmadev,gpudev,gro,gso,ip_frag,jobstats,kni,latencystats,lpm,member,pcapng,power,\
rawdev,regexdev,mldev,rib,reorder,sched,security,stack,vhost,ipsec,fib,port,pdump,\
table,pipeline,flow_classify,graph,node,acl,bbdev,metrics,hash,timer,rcu"

mkdir -p "$cache/src"
exec 9>"$cache/dpdk.lock"
flock 9

fail() {
	echo "nfos: $1" >&2
	echo "nfos: the DPDK source comes from Debian: run \`./nfos deps\` (adds a deb-src entry, installs dpkg-dev, meson, ninja-build, python3-pyelftools), then retry; or by hand: cd $cache/src && apt-get source --download-only dpdk" >&2
	exit 1
}

# 1. The source package, once.
dsc=$(ls "$cache"/src/dpdk_22.11*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$dsc" ]; then
	command -v dpkg-source >/dev/null || fail "dpkg-source (dpkg-dev) is not installed"
	(cd "$cache/src" && apt-get source --download-only dpdk >"$cache/src/fetch-dpdk.log" 2>&1) ||
		fail "apt-get source dpdk failed: $(tail -n 1 "$cache/src/fetch-dpdk.log")"
	dsc=$(ls "$cache"/src/dpdk_22.11*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
	[ -n "$dsc" ] || fail "apt-get source dpdk gave no 22.11 source (see $cache/src/fetch-dpdk.log)"
fi
ver=$(basename "$dsc" .dsc | sed 's/^dpdk_//')
# Apps compile DPDK's sources through build/src/dpdk, inside the tree.
done_link() {
	mkdir -p "$root/build/src"
	ln -sfn "$out/src" "$root/build/src/dpdk"
	echo "$out"
	exit 0
}
[ -f "$out/.done" ] && done_link
for tool in meson ninja; do
	command -v $tool >/dev/null || fail "$tool is not installed"
done
/usr/bin/python3 -c 'import elftools' 2>/dev/null || fail "python3-pyelftools is not installed"
[ -f "$musl/.done" ] || sh "$root/mk/musl.sh" "$root" >/dev/null

# 2. A fresh tree, patched.
t0=$(date +%s)
rm -rf "$out"
mkdir -p "$out"
dpkg-source -x "$dsc" "$out/src" >"$cache/src/extract-dpdk.log" 2>&1 ||
	fail "dpkg-source -x $dsc failed (log: $cache/src/extract-dpdk.log)"
for p in $patches; do
	patch -d "$out/src" -p1 -E -s <"$p" || { echo "nfos: $p does not apply to dpdk $ver" >&2; exit 1; }
done

# 3. What musl lacks and DPDK includes: the kernel's uapi headers (build
# time only) and BSD's sys/queue.h (DPDK carries one for Windows).
compat="$out/compat"
mkdir -p "$compat/sys"
ln -s /usr/include/linux "$compat/linux"
ln -s /usr/include/asm-generic "$compat/asm-generic"
ln -s /usr/include/x86_64-linux-gnu/asm "$compat/asm"
ln -s "$out/src/lib/eal/windows/include/sys/queue.h" "$compat/sys/queue.h"
# The compiler's own headers (emmintrin.h) last, by -idirafter: meson drops
# an -isystem naming the compiler's default folder.
# Each -isystem joined to its folder: meson drops repeated '-isystem' words.
cflags="'-nostdinc', '-isystem$musl/include', '-isystem$compat', '-idirafter$(gcc -print-file-name=include)', \
'-fno-pie', '-fno-stack-protector', '-fcf-protection=none', '-ffunction-sections', '-fdata-sections'"
# system 'linux': DPDK's Linux headers and config; lib/dpdk/eal replaces
# the Linux EAL's code (patch 0001). corei7: generic x86-64 with SSE4.2.
cat >"$out/nfos.ini" <<EOF
[binaries]
c = 'gcc'
ar = 'ar'
strip = 'strip'
pkg-config = 'pkg-config'

[built-in options]
c_args = [$cflags]
c_link_args = []
default_library = 'static'
b_staticpic = false
b_pie = false

[properties]
numa = false
max_lcores = 16
max_numa_nodes = 1

[host_machine]
system = 'linux'
cpu_family = 'x86_64'
cpu = 'corei7'
endian = 'little'
EOF

# 4. Configure and build the archives only. meson runs Debian's python3
# (another one on PATH may lack elftools); PKG_CONFIG_LIBDIR empty hides
# the host's libraries (libbsd, jansson, libelf, ...) from the build.
echo "  DPDK    building $ver ($(echo $patches | wc -w) patches) into $out" >&2
targets=""
for l in $LIBS; do targets="$targets lib/librte_$l.a"; done
for d in $DRIVERS $PCI_DRIVERS; do targets="$targets drivers/librte_$d.a"; done
(cd "$out/src" && PATH=/usr/bin:$PATH PKG_CONFIG_LIBDIR= PKG_CONFIG_PATH= \
	meson setup "$out/build" --cross-file "$out/nfos.ini" -Dplatform=generic \
	-Denable_drivers=bus/vdev,mempool/ring,net/null,bus/pci,net/virtio -Ddisable_libs="$DISABLE_LIBS" \
	-Denable_apps=test-pmd -Dexamples=helloworld,l2fwd -Dtests=false -Denable_kmods=false \
	-Denable_docs=false -Dbuildtype=release -Dmax_numa_nodes=1 >"$out/build.log" 2>&1 &&
	PATH=/usr/bin:$PATH ninja -C "$out/build" -j"${NFOS_JOBS:-2}" $targets >>"$out/build.log" 2>&1) ||
	{ tail -n 30 "$out/build.log" >&2; echo "nfos: DPDK build failed (log: $out/build.log)" >&2; exit 1; }

# 5. What nfos's make reads: include flags (as DPDK installs them: the
# build's config, every library's folder, eal's OS and arch headers) and
# the archives.
{
	echo "-include rte_config.h -march=corei7 -I$out/build -I$out/src/config"
	echo "-I$out/src/lib/eal/include -I$out/src/lib/eal/linux/include -I$out/src/lib/eal/x86/include"
	echo "-I$out/src/lib/eal/common -I$out/build/lib/eal/common -I$out/src/lib/eal/unix"
	for l in $LIBS; do [ $l = eal ] || echo "-I$out/src/lib/$l"; done
	echo "-I$out/src/drivers/bus/vdev -I$out/src/drivers/net/null -I$out/src/lib/eal/common"
	echo "-isystem $compat"
} | tr '\n' ' ' >"$out/include.flags"
for l in $LIBS; do echo "$out/build/lib/librte_$l.a"; done >"$out/libs"
for d in $DRIVERS; do echo "$out/build/drivers/librte_$d.a"; done >"$out/drivers"
for d in $PCI_DRIVERS; do echo "$out/build/drivers/librte_$d.a"; done >"$out/drivers.pci"
echo "$ver" >"$out/debian-version"
echo "  DPDK    built in $(($(date +%s) - t0)) s" >&2
touch "$out/.done"
done_link

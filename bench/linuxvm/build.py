"""bench/linuxvm/build.py: the Linux VM peer's kernel and initramfs, built
from Debian packages only; it builds nothing from source and installs no
kernel on the host.

    python3 bench/linuxvm/build.py [--cache DIR] [--force]

  kernel     linux-image-amd64's vmlinuz: `apt-get download` of the package
             it depends on, read with `dpkg-deb --fsys-tarfile` (never installed)
  modules    uio_pci_generic (testpmd modes), virtio_pci and virtio_net
             (memcached mode), each with what its .modinfo says it depends on,
             from the same package
  userland   busybox-static; dpdk-testpmd with exactly the shared libraries
             ldd lists and, as the only PMDs, net_virtio and mempool_ring
             (loaded with -d, outside DPDK's plugin folder so nothing else
             autoloads); memcached with its libraries. Debian's testpmd is
             linked against a few PMD libraries for their private commands
             (net_bnxt, i40e, ice, ixgbe, mlx5, bond, dpaa): ldd lists them,
             so they are in; they register drivers that match no device here.
  /init      init.sh next to this file (busybox sh)

One initramfs per role, each with only what its modes need: "testpmd"
(rxonly, txonly, macswap) and "memcached". Each is a newc cpio written here
(device nodes need no root) and gzip-compressed, both with fixed
timestamps: the same inputs give the same bytes. Output goes to
build/linuxvm/<key>/ (earlier keys are removed; the downloaded package stays
in build/linuxvm/debs/), key = a hash of the kernel package's name and
version, every host file copied (path, size, mtime), build.py and init.sh,
so a second run only checks (about 2 s: apt-cache, ldd).
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CACHE = os.path.join(ROOT, "build", "linuxvm")
KERNEL_META = "linux-image-amd64"
LIBDIR = "/usr/lib/x86_64-linux-gnu"
PMD_DIR = "/usr/lib/nfos-pmds"  # not DPDK's plugin path: only -d loads them
PMDS = ("librte_net_virtio.so", "librte_mempool_ring.so")
# Per role: its program, whether it gets the PMDs, the modules init loads
# (in this order once their dependencies are put first).
ROLES = {
    "testpmd": {"binary": "/usr/bin/dpdk-testpmd", "pmds": True, "modules": ("uio_pci_generic",)},
    "memcached": {"binary": "/usr/bin/memcached", "pmds": False,
                  "modules": ("virtio_pci", "virtio_net")},
}
# Loaded with dlopen, so ldd does not list it: glibc's pthread_cancel (run
# by testpmd as it stops) aborts without it.
DLOPENED = ("libgcc_s.so.1",)
BUSYBOX = "/bin/busybox"
INIT = os.path.join(HERE, "init.sh")


class BuildError(Exception):
    """Stops the build with one line."""


def run(argv, **kw):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kw)
    except FileNotFoundError:
        raise BuildError(f"{argv[0]} is missing (./nfos deps)")
    if r.returncode != 0:
        last = (r.stderr.strip() or r.stdout.strip() or "?").splitlines()[-1]
        raise BuildError(f"{' '.join(argv[:3])}... failed: {last}")
    return r.stdout


# --- what goes in -------------------------------------------------------------

def kernel_package():
    """(name, version) of the kernel package linux-image-amd64 depends on.
    As root, runs apt-get update once when apt does not know it yet (a
    fresh container has no package lists)."""
    try:
        show = run(["apt-cache", "show", "--no-all-versions", KERNEL_META])
    except BuildError:
        show = ""
    if not show and os.geteuid() == 0:
        run(["apt-get", "update"])
        show = run(["apt-cache", "show", "--no-all-versions", KERNEL_META])
    m = re.search(r"^Depends:.*?\b(linux-image-[\w.+-]+)", show, re.M)
    if not m:
        raise BuildError(f"apt-cache knows no {KERNEL_META}: run apt-get update")
    name = m.group(1)
    show = run(["apt-cache", "show", "--no-all-versions", name])
    v = re.search(r"^Version: (\S+)", show, re.M)
    if not v:
        raise BuildError(f"apt-cache shows no version of {name}: run apt-get update")
    return name, v.group(1)


def find_pmds():
    base = os.path.join(LIBDIR, "dpdk")
    dirs = sorted(d for d in os.listdir(base) if d.startswith("pmds-")) if os.path.isdir(base) \
        else []
    if not dirs:
        raise BuildError(f"no DPDK PMD folder under {base} (./nfos deps installs dpdk-dev)")
    out = []
    for p in PMDS:
        names = sorted(f for f in os.listdir(os.path.join(base, dirs[-1]))
                       if f.startswith(p + ".") and f.count(".") == 2)  # lib.so.23
        if not names:
            raise BuildError(f"{p} not found in {base}/{dirs[-1]}")
        out.append(os.path.join(base, dirs[-1], names[0]))
    return out


def needed_libs(path):
    """{soname: host path} of everything ldd says path loads."""
    out = {}
    for line in run(["ldd", path]).splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line) or re.match(r"\s*(/\S+) \(", line)
        if m and m.lastindex == 2:
            out[m.group(1)] = m.group(2)
        elif m:
            out[os.path.basename(m.group(1))] = m.group(1)
        elif "not found" in line:
            raise BuildError(f"{path}: {line.strip()}")
    return out


def host_files(role):
    """[(path in the initramfs, host path)] of a role's userland."""
    binary = ROLES[role]["binary"]
    for b in (binary, BUSYBOX):
        if not os.path.exists(b):
            raise BuildError(f"{b} is missing (./nfos deps)")
    pmds = find_pmds() if ROLES[role]["pmds"] else []
    files = [("/bin/busybox", BUSYBOX)]
    libs = {}
    for b in [binary] + pmds:
        libs.update(needed_libs(b))
    for name in DLOPENED:
        path = os.path.join(LIBDIR, name)
        if not os.path.exists(path):
            raise BuildError(f"{path} is missing")
        libs[name] = path
    files.append((binary, binary))
    files += [(f"{PMD_DIR}/{os.path.basename(p)}", p) for p in pmds]
    files += [(f"{LIBDIR}/{name}", path) for name, path in sorted(libs.items())]
    return files


def cache_key(kpkg, files):
    h = hashlib.sha256(repr(kpkg).encode())
    for dst, src in [f for role in sorted(files) for f in files[role]]:
        st = os.stat(src)
        h.update(f"{dst} {os.path.realpath(src)} {st.st_size} {st.st_mtime_ns}\n".encode())
    for f in sorted(os.listdir(HERE)):
        if f in ("build.py", "init.sh"):
            with open(os.path.join(HERE, f), "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()[:16]


# --- the kernel package -------------------------------------------------------

def download(kpkg, debs):
    name, version = kpkg
    deb = os.path.join(debs, f"{name}_{version.replace(':', '%3a')}_amd64.deb")
    if not os.path.exists(deb):
        os.makedirs(debs, exist_ok=True)
        # As root apt drops to _apt, which may not write here: stay root.
        run(["apt-get", "download", "-o", "APT::Sandbox::User=root", f"{name}={version}"],
            cwd=debs)
        if not os.path.exists(deb):
            raise BuildError(f"apt-get download left no {os.path.basename(deb)} in {debs}")
    return deb


def modinfo_depends(data):
    """The depends= of a module's .modinfo section (ELF64 little-endian)."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    secs = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = secs[shstrndx][4]
    for name, _, _, _, off, size in secs:
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end] == b".modinfo":
            for item in data[off:off + size].split(b"\0"):
                if item.startswith(b"depends="):
                    return [d for d in item[8:].decode().split(",") if d]
            return []
    raise BuildError("a kernel module without a .modinfo section")


def read_kernel(deb, wanted):
    """(vmlinuz bytes, kernel release, {module name: bytes}) for the
    modules wanted and everything they depend on. Streams the package's
    data once per round of new dependencies (usually one)."""
    mods, vmlinuz, release = {}, None, None
    need = set(wanted)
    while need - set(mods):
        missing = need - set(mods)
        p = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
        with tarfile.open(fileobj=p.stdout, mode="r|") as tar:
            for m in tar:
                base = os.path.basename(m.name)
                if re.fullmatch(r"\./boot/vmlinuz-.*", m.name) and m.isfile():
                    vmlinuz = tar.extractfile(m).read()
                    release = base[len("vmlinuz-"):]
                elif base.endswith(".ko") and m.isfile():
                    mod = base[:-3].replace("-", "_")
                    if mod in missing:
                        mods[mod] = tar.extractfile(m).read()
        if p.wait() != 0:
            raise BuildError(f"dpkg-deb --fsys-tarfile {deb} failed")
        if need - set(mods) == missing:
            raise BuildError(f"{os.path.basename(deb)} has no module "
                             f"{', '.join(sorted(missing))}")
        for data in list(mods.values()):
            need.update(modinfo_depends(data))
    if vmlinuz is None:
        raise BuildError(f"{os.path.basename(deb)} has no boot/vmlinuz-*")
    return vmlinuz, release, mods


def load_order(mods, wanted):
    """Dependencies first, each once."""
    order = []

    def visit(m):
        if m not in order:
            for d in modinfo_depends(mods[m]):
                visit(d)
            order.append(m)
    for w in wanted:
        visit(w)
    return order


# --- the initramfs ------------------------------------------------------------

class Cpio:
    """A newc archive: directories, files, symlinks, device nodes; all
    owned by root, time 0."""

    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1
        self.seen = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name = name.lstrip("/")
        hdr = "070701" + "".join(f"{x:08x}" for x in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
            len(name) + 1, 0))
        self.ino += 1
        self.out.write(hdr.encode() + name.encode() + b"\0")
        self.out.write(b"\0" * (-(110 + len(name) + 1) % 4))
        self.out.write(data + b"\0" * (-len(data) % 4))

    def dirs(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(len(parts)):
            d = "/".join(parts[:i + 1])
            if d not in self.seen:
                self.seen.add(d)
                self._entry(d, 0o40755)

    def dir(self, path):
        self.dirs(path + "/x")

    def file(self, path, data, mode=0o644):
        self.dirs(path)
        self._entry(path, 0o100000 | mode, data)

    def symlink(self, path, target):
        self.dirs(path)
        self._entry(path, 0o120777, target.encode())

    def chardev(self, path, major, minor):
        self.dirs(path)
        self._entry(path, 0o20600, rdev=(major, minor))

    def bytes(self):
        self._entry("TRAILER!!!", 0)
        return self.out.getvalue() + b"\0" * (-self.out.tell() % 512)


def busybox_applets():
    out = run([BUSYBOX, "--list-full"])
    return [l.strip() for l in out.splitlines() if l.strip()]


def initramfs(files, release, mods, order):
    c = Cpio()
    c._entry(".", 0o40755)  # the rootfs is world-writable otherwise; DPDK refuses that
    for d in ("dev", "proc", "sys", "tmp", "run", "var/run", "mnt/huge", "root", "etc"):
        c.dir(d)
    c.chardev("/dev/console", 5, 1)
    c.chardev("/dev/null", 1, 3)
    c.symlink("/lib", "usr/lib")
    c.symlink("/lib64/ld-linux-x86-64.so.2", f"..{LIBDIR}/ld-linux-x86-64.so.2")
    for dst, src in files:
        st = os.stat(src)
        with open(src, "rb") as f:
            c.file(dst, f.read(), 0o755 if st.st_mode & 0o111 else 0o644)
    for applet in busybox_applets():
        if applet != "bin/busybox":
            c.symlink("/" + applet, "/bin/busybox")
    mdir = f"/usr/lib/modules/{release}"
    for name in order:
        c.file(f"{mdir}/{name}.ko", mods[name])
    c.file("/etc/linuxvm/modules", "".join(f"{mdir}/{m}.ko\n" for m in order).encode())
    c.file("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    c.file("/etc/group", b"root:x:0:\n")
    with open(INIT, "rb") as f:
        c.file("/init", f.read(), 0o755)
    return gzip.compress(c.bytes(), compresslevel=9, mtime=0)


# --- main ---------------------------------------------------------------------

def build(cache=CACHE, force=False, log=None):
    """Builds (or finds in the cache) the kernel and initramfs. Returns a
    dict: kernel (path), kernel_bytes; roles: {role: {initramfs (path),
    initramfs_bytes, image_bytes (kernel + initramfs: what the VMM loads),
    packages}}; initramfs, initramfs_bytes and image_bytes also at the top
    level for the "testpmd" role (the packet peer); release, cached."""
    kpkg = kernel_package()
    files = {role: host_files(role) for role in ROLES}
    out = os.path.join(cache, cache_key(kpkg, files))
    manifest = os.path.join(out, "manifest.json")
    if os.path.exists(manifest) and not force:
        with open(manifest) as f:
            m = json.load(f)
        m["cached"] = True
        return m
    if log:
        log(f"linuxvm: building {out} from {kpkg[0]} {kpkg[1]}")
    deb = download(kpkg, os.path.join(cache, "debs"))
    wanted = sorted({m for r in ROLES.values() for m in r["modules"]})
    vmlinuz, release, mods = read_kernel(deb, wanted)
    orders = {role: load_order(mods, r["modules"]) for role, r in ROLES.items()}
    tmp = tempfile.mkdtemp(dir=cache, prefix="tmp-")
    try:
        with open(os.path.join(tmp, "vmlinuz"), "wb") as f:
            f.write(vmlinuz)
        m = {"kernel": os.path.join(out, "vmlinuz"), "kernel_bytes": len(vmlinuz),
             "release": release, "kernel_package": f"{kpkg[0]} {kpkg[1]}", "roles": {}}
        for role in ROLES:
            initrd = initramfs(files[role], release, mods, orders[role])
            name = f"initramfs-{role}.cpio.gz"
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(initrd)
            m["roles"][role] = {
                "initramfs": os.path.join(out, name), "initramfs_bytes": len(initrd),
                "image_bytes": len(vmlinuz) + len(initrd), "modules": orders[role],
                "packages": packages_of([src for _, src in files[role]])}
        m.update({k: m["roles"]["testpmd"][k]
                  for k in ("initramfs", "initramfs_bytes", "image_bytes")})
        with open(os.path.join(tmp, "manifest.json"), "w") as f:
            json.dump(m, f, indent=2)
        shutil.rmtree(out, ignore_errors=True)
        os.rename(tmp, out)
        for old in os.listdir(cache):  # earlier builds: only the current one is kept
            if re.fullmatch(r"[0-9a-f]{16}", old) and os.path.join(cache, old) != out:
                shutil.rmtree(os.path.join(cache, old), ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    m["cached"] = False
    return m


def packages_of(paths):
    """{package: version} of the Debian packages the host files come from."""
    pkgs = set()
    r = subprocess.run(["dpkg", "-S"] + [os.path.realpath(p) for p in paths],
                       capture_output=True, text=True)
    for line in r.stdout.splitlines():
        pkgs.update(p.strip().split(":")[0] for p in line.split(": ", 1)[0].split(","))
    if not pkgs:
        return {}
    r = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Version}\n"] + sorted(pkgs),
                       capture_output=True, text=True)
    return dict(l.split(" ", 1) for l in r.stdout.splitlines() if " " in l)


def main(argv):
    ap = argparse.ArgumentParser(prog="bench/linuxvm/build.py",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", default=CACHE, help=f"output folder (default {CACHE})")
    ap.add_argument("--force", action="store_true", help="rebuild even when cached")
    args = ap.parse_args(argv)
    try:
        m = build(os.path.abspath(args.cache), args.force,
                  log=lambda s: print(s, file=sys.stderr))
    except BuildError as e:
        print(f"linuxvm: {e}", file=sys.stderr)
        return 1
    print(f"kernel: {m['kernel']} ({m['kernel_bytes']} bytes, {m['kernel_package']})")
    for role, r in m["roles"].items():
        print(f"initramfs {role}: {r['initramfs']} ({r['initramfs_bytes']} bytes; "
              f"image {r['image_bytes']} bytes)")
    if m["cached"]:
        print("(cached)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""DPDK's memory for the benchmarks' DPDK processes (testpmd, kvgen):
hugepages when there are enough, else --no-huge on a shared memfd; and
the clean-up of what a killed DPDK process leaves behind."""

import math
import os
import shutil
import subprocess
import sys

TESTPMD = "dpdk-testpmd"
DPDK_MEM_MB = 64        # -m for each DPDK process


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0])
    return out


def hugetlbfs_mount():
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype, opts = line.split()[:4]
            if fstype == "hugetlbfs" and ("pagesize=" not in opts or "pagesize=2M" in opts):
                return mnt
    return None


class Memory:
    """DPDK's memory: hugepages when there are enough free (as root we make
    them: a hugetlbfs mount and more pages, both undone at exit), else
    --no-huge. Verified with DPDK 22.11 here: --no-huge backs memory with a
    shared memfd ('EAL: Using memfd for anonymous memory'), which net_vhost
    can map, so virtio_user works without hugepages; --in-memory cannot be
    added (--no-huge implies legacy memory, which --in-memory refuses). With
    hugepages the virtio_user side needs --single-file-segments (one fd for
    the whole memory, vhost-user takes at most 8 regions). prefixes: the
    --file-prefix of each DPDK process, whose leftovers scrub() removes."""

    def __init__(self, no_huge, prefixes):
        self.mode, self.reason, self.dir = "no-huge", "--no-huge asked", None
        self.prefixes = list(prefixes)
        self.restore_nr = None
        self.mounted = None
        if not no_huge:
            self._huge()

    def _huge(self):
        root = os.geteuid() == 0
        page_kb = meminfo().get("Hugepagesize", 2048)
        need = math.ceil(2 * DPDK_MEM_MB * 1024 / page_kb) + 8  # two DPDK processes
        self.dir = hugetlbfs_mount()
        if not self.dir and root:
            os.makedirs("/dev/hugepages", exist_ok=True)
            r = subprocess.run(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"],
                               capture_output=True, text=True, timeout=10)
            if r.returncode == 0:
                self.dir = self.mounted = "/dev/hugepages"
        free = meminfo().get("HugePages_Free", 0)
        if self.dir and free < need and root:
            self._more_pages(need - free)
            free = meminfo().get("HugePages_Free", 0)
        if not self.dir:
            self.reason = "no hugetlbfs mount" + ("" if root else " (not root)")
        elif free < need:
            self.reason = f"{free} free hugepages, {need} needed"
        else:
            self.mode, self.reason = "hugepages", f"{free} free {page_kb} KiB pages at {self.dir}"

    def _more_pages(self, more):
        with open("/proc/sys/vm/nr_hugepages") as f:
            nr = int(f.read())
        try:
            with open("/proc/sys/vm/nr_hugepages", "w") as f:
                f.write(str(nr + more))
            self.restore_nr = nr
        except OSError:
            pass

    def eal(self):
        if self.mode == "hugepages":
            return ["-m", str(DPDK_MEM_MB), "--single-file-segments", f"--huge-dir={self.dir}"]
        return ["--no-huge", "-m", str(DPDK_MEM_MB)]

    def scrub(self):
        """Our prefixes' leftovers after a killed DPDK process: hugepage
        files and run-time folders (nobody else uses these prefixes: the
        benchmark's lock)."""
        for prefix in self.prefixes:
            if self.dir and os.path.isdir(self.dir):
                for f in os.listdir(self.dir):
                    if f.startswith(prefix + "map_"):
                        try:
                            os.unlink(os.path.join(self.dir, f))
                        except OSError:
                            pass
            shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)

    def restore(self):
        if self.restore_nr is not None:
            try:
                with open("/proc/sys/vm/nr_hugepages", "w") as f:
                    f.write(str(self.restore_nr))
            except OSError as e:
                print(f"nfos bench pps: cannot restore nr_hugepages={self.restore_nr}: {e}",
                      file=sys.stderr)
            self.restore_nr = None
        if self.mounted:
            subprocess.run(["umount", self.mounted], capture_output=True, timeout=10)
            self.mounted = None

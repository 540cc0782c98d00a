"""Part of the integration suite under NFOS_VMM=nfvm on a host without
/dev/kvm: the nested-KVM TCG VM of nested_kvm.py boots with the host's
root file system shared read-only over virtio-9p (QEMU's -virtfs), an
overlay with a tmpfs on top makes it writable (build/, /tmp, /run: nothing
reaches the host), and /usr/bin/python3 -m pytest runs the chosen tests in
this worktree, as root, with NFOS_VMM=nfvm: every kvm guest run nfvm can
serve goes through nfvm on the VM's nested /dev/kvm. Correctness only:
everything in the VM is TCG-emulated.

    python3 -m vmm.tests.nested_suite [--timeout S] [--mem SIZE] [--vmm nfvm|qemu]
                                      [--env NAME=VALUE]... PYTEST_ARGS...

--vmm qemu runs the tests as they are, without NFOS_VMM: their kvm guests
then run under QEMU with -accel kvm on the VM's nested /dev/kvm, the way
to see the suite's KVM cases (not only its TCG fallback) pass on a host
without /dev/kvm. --env sets a variable for pytest in the VM (e.g.
NFOS_STORM_FRAMES=20000: test_storm's million frames from a Python sender
under TCG would take hours).

The images the tests use are best built on the host first (make APP=...
PLAT=kvm; make nfvm): the VM's make only finds them up to date."""

import argparse
import os
import re
import shlex
import sys
import time

from vmm.tests import nested_kvm

ROOT = nested_kvm.ROOT
# virtio_pci for QEMU's virtio-9p-pci on the pc machine; overlay for the
# writable layer; kvm_amd and tun as in nested_kvm; bridge for the tests
# that join TAPs on one (test_kvstore_guard's reply loop); veth for the
# tests on veth pairs (test_packets' AF_PACKET cases, test_libvirt's lan).
MODULES = ("kvm_amd", "tun", "virtio_pci", "9pnet_virtio", "9p", "overlay", "bridge", "veth")
TAG = "nfoshost"
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
       "NFOS_VMM": "nfvm", "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "150", "LANG": "C.UTF-8"}
STATUS = re.compile(r"^@@@ pytest (\d+)$", re.M)


def init_script(order, pytest_args, env):
    """/init: modules, the host's root (9p, read-only) under an overlay,
    the kernel's file systems in it, then pytest chrooted there."""
    envs = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(env.items()))
    inner = (f"ip link set lo up; cd {shlex.quote(ROOT)} && exec env -i {envs} "
             "/usr/bin/python3 -m pytest --color=no -v -rs "
             + " ".join(shlex.quote(a) for a in pytest_args))
    lines = ["#!/bin/sh",
             "mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev"]
    lines += [f"insmod /mod/{m}.ko" for m in order]
    lines += [
        "[ -e /dev/kvm ] || echo '@@@ no /dev/kvm in the VM'",
        "mkdir -p /host /rw /new",
        f"mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro {TAG} /host"
        " || echo '@@@ 9p mount failed'",
        "mount -t tmpfs -o size=75% tmpfs /rw && mkdir /rw/u /rw/w",
        "mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/u,workdir=/rw/w /new"
        " || echo '@@@ overlay mount failed'",
        "R=/new",
        "mount -t proc proc $R/proc; mount -t sysfs sys $R/sys; mount -t devtmpfs dev $R/dev",
        "mkdir -p $R/dev/pts $R/dev/shm; mount -t devpts devpts $R/dev/pts",
        "for d in tmp run dev/shm; do mount -t tmpfs tmpfs $R/$d; done",
        "ls $R/proc/self/ns/net >/dev/null || echo '@@@ no procfs in the new root'",
        "grep ' /new' /proc/mounts",
        "echo '@@@ pytest starts'",
        f"chroot $R /bin/sh -c {shlex.quote(inner)}; echo \"@@@ pytest $?\"",
        "poweroff -f"]
    return "\n".join(lines) + "\n"


def initramfs(mods, order, pytest_args, env):
    lv = nested_kvm._linuxvm()
    c = lv.Cpio()
    c.file("/bin/busybox", open(lv.BUSYBOX, "rb").read(), 0o755)
    for a in ("sh", "mount", "insmod", "mkdir", "chroot", "echo", "poweroff", "ls", "grep"):
        c.symlink(f"/bin/{a}", "busybox")
    for m in order:
        c.file(f"/mod/{m}.ko", mods[m])
    for d in ("proc", "sys", "dev"):
        c.dir(f"/{d}")
    c.file("/init", init_script(order, pytest_args, env).encode(), 0o755)
    return c.bytes()


def run(pytest_args, timeout=3600, mem="3G", env=None, vmm="nfvm"):
    """(pytest's status or None when it did not report, the VM's console,
    seconds from QEMU's start to its end)."""
    vmlinuz, mods, order = nested_kvm._kernel(MODULES)
    env = dict(ENV, **(env or {}))
    if vmm == "qemu":
        del env["NFOS_VMM"]
    virtfs = f"local,path=/,mount_tag={TAG},security_model=none,readonly=on,multidevs=remap"
    t = time.monotonic()
    console = nested_kvm._boot(vmlinuz, initramfs(mods, order, pytest_args, env), timeout,
                               mem=mem, extra=["-virtfs", virtfs])
    m = STATUS.search(console)
    return (int(m[1]) if m else None), console, time.monotonic() - t


def outcomes(console):
    """{test id: PASSED/FAILED/SKIPPED/ERROR/XFAIL} from pytest -v's lines."""
    found = re.findall(r"^(tests/\S+::.+?) (PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)\b", console,
                       re.M)
    return dict(found)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--mem", default="3G", help="the VM's RAM (its tmpfs layer takes 75%%)")
    p.add_argument("--vmm", choices=("nfvm", "qemu"), default="nfvm",
                   help="the kvm guests' monitor in the VM (default nfvm: NFOS_VMM=nfvm)")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="a variable for pytest in the VM (repeatable)")
    p.add_argument("pytest_args", nargs="+")
    a = p.parse_args(argv)
    if any("=" not in e or e.startswith("=") for e in a.env):
        p.error("--env: NAME=VALUE")
    env = dict(e.split("=", 1) for e in a.env)
    status, console, secs = run(a.pytest_args, a.timeout, a.mem, env=env, vmm=a.vmm)
    start = console.find("@@@ pytest starts")
    sys.stdout.write(console[start:] if start >= 0 else console)
    print(f"nested_suite: pytest status {status}, {secs:.0f} s wall (TCG VM boot included)")
    return 1 if status is None else status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

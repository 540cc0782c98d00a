"""nfvm's guest runs on a host without /dev/kvm: a Debian kernel under QEMU
TCG with `-cpu max` (TCG emulates AMD SVM) loads kvm_amd, and nfvm runs
inside that VM on nested KVM. For correctness only: every time it shows is
TCG's. The kernel package comes the way bench/linuxvm/build.py gets it
(apt-get download, read with dpkg-deb, cached in build/linuxvm/debs).

    run_cases([(name, [image, ...], nfvm_argv), ...]) -> {name: Result-like}

All cases run in one VM boot, one after the other."""

import base64
import os
import shlex
import socket
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODULES = ("kvm_amd", "tun")
LIBS = ("/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6")


def _linuxvm():
    from bench.linuxvm import build as mod
    return mod


class Result:
    def __init__(self, status, out, err):
        self.status, self.out, self.err = status, out, err

    def __repr__(self):
        return f"Result(status={self.status}, out={self.out!r}, err={self.err!r})"


# guard SECONDS CMD...: runs CMD (its output to /tmp/o, /tmp/e) and returns
# its status; once it has run SECONDS, says so on the console with where
# each nfvm thread waits (its kernel stack), then ends it: SIGTERM to every
# nfvm (nfvm stops its guest and prints --trace), SIGKILL 10 s later.
GUARD = """guard() {
  t=$1; shift
  "$@" >/tmp/o 2>/tmp/e & c=$!
  ( sleep $t
    echo "@@@ guard: still running after $t s"
    for p in $(pidof nfvm); do for d in /proc/$p/task/*; do
      echo "@@@ guard: nfvm $p thread ${d##*/} $(cut -d' ' -f3 $d/stat) $(cat $d/wchan)"
      cat $d/stack 2>/dev/null; done; done
    killall -TERM nfvm; kill -TERM $c; sleep 10; killall -KILL nfvm; kill -KILL $c
  ) 2>/dev/null & w=$!
  wait $c; s=$?
  kill $w 2>/dev/null
  return $s
}"""


def _init_script(order, cases, case_timeout=None):
    """The VM's /init: each case in turn, each ended (see GUARD) when it
    outlasts case_timeout seconds, so that one hung case neither takes the
    others' results with it nor leaves the VM's own timeout to end the
    run."""
    lines = ["#!/bin/sh",
             "mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev",
             GUARD]
    lines += [f"insmod /mod/{m}.ko" for m in order]
    lines.append("[ -e /dev/kvm ] || echo '@@@ no /dev/kvm in the VM'")
    for name, _, argv in cases:
        if isinstance(argv, str):  # a shell snippet of its own
            cmd = "sh -c " + shlex.quote(argv)
        else:
            cmd = " ".join(shlex.quote(a) for a in ["/bin/nfvm"] + argv)
        # guard redirects cmd itself: its own lines go to the console.
        run = f"guard {int(case_timeout)} {cmd}" if case_timeout else f"{cmd} >/tmp/o 2>/tmp/e"
        # base64 keeps the guest's bytes out of the serial line discipline.
        lines += [f"{run}; s=$?",
                  f"echo \"@@@ {name} $s $(base64 -w0 /tmp/o) $(base64 -w0 /tmp/e)\""]
    lines.append("poweroff -f")
    return "\n".join(lines) + "\n"


def _initramfs(lv, cases, mods, order, case_timeout=None):
    c = lv.Cpio()
    c.file("/bin/busybox", open(lv.BUSYBOX, "rb").read(), 0o755)
    for a in ("sh", "mount", "insmod", "base64", "poweroff", "echo", "cat", "ip", "ping", "kill",
              "sleep", "grep", "printf", "mkfifo", "killall", "pidof", "cut"):
        c.symlink(f"/bin/{a}", "busybox")
    for lib in LIBS:
        c.file(lib, open(lib, "rb").read(), 0o755)
    c.file("/bin/nfvm", open(os.path.join(ROOT, "build", "nfvm", "nfvm"), "rb").read(), 0o755)
    for m in order:
        c.file(f"/mod/{m}.ko", mods[m])
    for _, images, _ in cases:
        for img in images:
            c.file(f"/img/{os.path.basename(img)}", open(img, "rb").read(), 0o644)
    for d in ("proc", "sys", "dev", "tmp"):
        c.dir(f"/{d}")
    c.file("/init", _init_script(order, cases, case_timeout).encode(), 0o755)
    return c.bytes()


def _kernel(modules):
    """(vmlinuz path, {module: bytes}, load order) from Debian's kernel
    package, kept in build/nfvm/nested/<package> (reading the package takes
    a while: once per module set)."""
    lv = _linuxvm()
    deb = lv.download(lv.kernel_package(), os.path.join(ROOT, "build", "linuxvm", "debs"))
    work = os.path.join(ROOT, "build", "nfvm", "nested", os.path.basename(deb)[:-4])
    want = os.path.join(work, "+".join(sorted(modules)))
    if not os.path.exists(os.path.join(want, "order")):
        vmlinuz, _, mods = lv.read_kernel(deb, modules)
        os.makedirs(want, exist_ok=True)
        with open(os.path.join(work, "vmlinuz"), "wb") as f:
            f.write(vmlinuz)
        for name, data in mods.items():
            with open(os.path.join(want, name + ".ko"), "wb") as f:
                f.write(data)
        with open(os.path.join(want, "order"), "w") as f:
            f.write(" ".join(lv.load_order(mods, modules)))
    order = open(os.path.join(want, "order")).read().split()
    mods = {m: open(os.path.join(want, m + ".ko"), "rb").read() for m in order}
    return os.path.join(work, "vmlinuz"), mods, order


# The lines of `info registers` kept for a stalled VM: where each vCPU was
# (RIP, CPL, HLT), in which mode and address space (CS, CR0, CR3, EFER).
REGS_KEPT = ("CPU#", "RAX", "RSI", "R8 ", "R12", "RIP", "CS ", "CR0", "EFER", "(QEMU")


def _monitor(sock, command, wait=10.0):
    """What QEMU's human monitor at the unix socket sock answers to
    command (up to its next prompt), or why it could not be asked."""
    def to_prompt(c):
        got = b""
        while not got.rstrip().endswith(b"(qemu)"):
            chunk = c.recv(65536)
            if not chunk:
                break
            got += chunk
        return got

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(wait)
            c.connect(sock)
            to_prompt(c)  # the banner
            c.sendall(command.encode() + b"\n")
            return to_prompt(c).decode(errors="replace").replace("\r", "")
    except OSError as e:
        return f"(QEMU's monitor did not answer: {e})"


def _boot(vmlinuz, initrd, timeout, mem="1G", extra=()):
    """The VM's console (its stdout) once it powered off, or once timeout
    seconds ended it: then its last lines say so, with each vCPU's
    registers from QEMU's monitor (RIP and CS say whether a stalled vCPU
    was in the VM's kernel, in user space, or in a nested guest); while it
    runs, build/nfvm/nested/console.log has it so far (tail -f)."""
    work = os.path.dirname(os.path.dirname(vmlinuz))
    path = os.path.join(work, "initrd")
    with open(path, "wb") as f:
        f.write(initrd)
    log = os.path.join(work, "console.log")
    mon = os.path.join(work, "monitor.sock")
    if os.path.exists(mon):
        os.unlink(mon)
    # Two CPUs (MTTCG: a host thread each), so that nfvm --cpus 2 has two.
    killed = ""
    with open(log, "w") as out:
        p = subprocess.Popen(["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-smp", "2",
                              "-m", mem,
                              "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                              "-serial", "stdio", "-monitor", f"unix:{mon},server=on,wait=off",
                              "-kernel", vmlinuz, "-initrd", path,
                              "-append", "console=ttyS0 quiet panic=-1"] + list(extra),
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            regs = "\n".join(ln for ln in _monitor(mon, "info registers -a").splitlines()
                              if ln.startswith(REGS_KEPT))
            killed = (f"\n@@@ the VM did not power off within {timeout:.0f} s: killed; "
                      f"its vCPUs then:\n{regs}\n")
        finally:  # also on ^C or a test runner's own timeout: no QEMU left behind
            if p.poll() is None:
                p.kill()
                p.wait()
    with open(log, errors="replace") as f:
        return f.read().replace("\r", "") + killed


def run_cases(cases, timeout=900, case_timeout=300):
    """cases: [(name, [host image paths], nfvm argv with images as
    /img/<basename>, or a shell snippet: its status and output count)].
    Returns {name: Result} and "_console" (the VM's console); a case that
    outlasted case_timeout seconds was ended (GUARD: status 143 or 137,
    what it printed by then, its nfvm threads' stacks on the console); one
    that did not report (the VM's timeout came first) is missing."""
    vmlinuz, mods, order = _kernel(MODULES)
    console = _boot(vmlinuz, _initramfs(_linuxvm(), cases, mods, order, case_timeout), timeout)
    out = {}
    for line in console.splitlines():
        w = line[line.find("@@@ "):].split(" ")  # firmware escapes may lead
        if len(w) >= 3 and w[0] == "@@@" and w[2].isdigit():
            dec = [base64.b64decode(x).decode(errors="replace") if x else "" for x in w[3:5]]
            dec += [""] * (2 - len(dec))
            out[w[1]] = Result(int(w[2]), dec[0], dec[1])
    out["_console"] = console
    return out

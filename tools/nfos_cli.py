"""The nfos command: build, run and benchmark nfos images.

Python 3 standard library only. `./nfos --help` lists the commands. Errors in
the command line print one line and exit 2.
"""

import argparse
import functools
import glob
import os
import re
import shutil
import subprocess
import sys

from tools import files, srcpkg
from tools.base import ROOT, UsageError, die, kvm_usable
# qemu_command and DEBUG_EXIT are used through nfos_cli by tests and bench/;
# EXIT_NO_STATUS and map_qemu_status by tests.
from tools.qemu import DEBUG_EXIT, net_queues, qemu_command  # noqa: F401
from tools.guest import (EXIT_NO_STATUS, Stopped, map_qemu_status,  # noqa: F401
                         run_linuxu, run_nfvm, run_qemu, with_run_signals)

PLATS = ("kvm", "linuxu")
MACHINES = ("microvm", "microvm,pcie=on", "q35")
# kvm: QEMU's network backends, what each --net ARG must be. (linuxu's kinds
# are the vdev drivers': each says so in drivers/<drv>/vdev.conf.)
QEMU_NET_KINDS = {"tap": "tap", "vhost-user": "socket", "user": "user"}
NET_ARG_HINTS = {"tap": ":IF", "if": ":IF", "socket": ":SOCKET", "size": "[:SIZE]",
                 "user": "[:udp:PORT]", "none": ""}
ARCH = "x86_64"

# Debian packages the project needs, with a command each proves it is there.
DEPS = [
    ("make", "make"),
    ("gcc", "gcc"),
    ("binutils", "ld"),
    ("kconfig-frontends", "kconfig-conf"),
    ("qemu-system-x86", "qemu-system-x86_64"),
    ("libcriterion-dev", None),
    ("python3-pytest", None),
    ("clang-format", "clang-format"),
    ("clang", "clang"),  # make fuzz: libFuzzer, ASan and UBSan
    ("libclang-rt-14-dev", None),  # their runtimes for clang 14
    ("dpdk-dev", "dpdk-testpmd"),
    ("pkg-config", "pkg-config"),
    ("memcached", "memcached"),
    ("netcat-openbsd", "nc"),
    ("libmemcached-tools", "memcslap"),
    ("iproute2", "ip"),
    ("iputils-ping", "ping"),
    ("gnuplot-nox", "gnuplot"),
    ("busybox-static", None),  # bench/linuxvm: the initramfs userland
    ("dpkg-dev", "dpkg-source"),  # lib/musl: `apt-get source musl`
    ("libvirt-daemon-system", None),  # nfos libvirt (and its tests)
    ("libvirt-clients", "virsh"),
    ("cpio", "cpio"),  # tests: archives written by Debian's cpio as initrds
    ("valgrind", "callgrind_annotate"),  # bench.pps.callgrind (bench all's instr piece)
    ("meson", "meson"),  # lib/dpdk: DPDK's build (mk/dpdk.sh)
    ("ninja-build", "ninja"),
    ("python3-pyelftools", None),  # DPDK's build: pmdinfogen
    ("musl-tools", "musl-gcc"),  # nfvm's libc (mk/nfvm.mk)
]


APP_ROOTS = ("apps", os.path.join("tests", "apps"))  # tests/apps: test-only apps


def app_dirs():
    """{name: folder} of every app: a folder with a Config.uk under apps/ or
    tests/apps/ (the same rule as mk/config.mk)."""
    found = {}
    for r in reversed(APP_ROOTS):
        d = os.path.join(ROOT, r)
        for a in os.listdir(d) if os.path.isdir(d) else ():
            if os.path.isfile(os.path.join(d, a, "Config.uk")):
                found[a] = os.path.join(d, a)
    return found


def apps():
    return sorted(app_dirs())


def run_defaults(app):
    """The app's own `./nfos run` defaults, from <app folder>/run.conf: lines
    of `PLAT.KEY = VALUE` (# starts a comment). Keys: net and ip (used when
    no --net is given), epoch_arg (an option that, unless the app's
    arguments hold it, is prepended with the host's time in seconds)."""
    path = os.path.join(app_dirs()[app], "run.conf")
    conf = {}
    if not os.path.isfile(path):
        return conf
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            key, eq, value = (w.strip() for w in line.partition("="))
            plat, dot, name = key.partition(".")
            if not eq or not dot or plat not in PLATS or not value:
                raise UsageError(f"{os.path.relpath(path, ROOT)}:{n}: expected PLAT.KEY = VALUE")
            conf.setdefault(plat, {})[name] = value
    return conf


def check_app(app):
    if app not in apps():
        raise UsageError(f"unknown app '{app}' (apps: {', '.join(apps())})")


def parse_size(text):
    """'64M' -> bytes. Accepts K, M, G suffixes (powers of 1024) and plain bytes."""
    m = re.fullmatch(r"(\d+)([KkMmGg]?)(i?B)?", text or "")
    if not m:
        raise UsageError(f"bad size '{text}' (expected e.g. 2M, 512M, 4G)")
    n = int(m.group(1)) << {"": 0, "k": 10, "m": 20, "g": 30}[m.group(2).lower()]
    if n == 0:
        raise UsageError(f"bad size '{text}': must be more than zero")
    return n


def smp_variant(app, cpus):
    """Whether `cpus` lcores need the SMP variant (make SMP=1): apps leave
    CONFIG_LIBLCORE_SMP off in their defconfig (lib/lcore/Config.uk)."""
    if cpus <= 1:
        return False
    with open(os.path.join(app_dirs()[app], "defconfig")) as f:
        return "CONFIG_LIBLCORE_SMP=y" not in f.read().split()


def image_path(app, plat, smp=False):
    name = f"{app}_{plat}-{ARCH}"
    return os.path.join(ROOT, "build", name + ("-smp" if smp else ""), name)


# --- deps ---------------------------------------------------------------------

def missing_deps():
    missing = []
    for pkg, cmd in DEPS:
        if cmd and shutil.which(cmd):
            continue
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                           capture_output=True, text=True)
        if "install ok installed" not in r.stdout:
            missing.append(pkg)
    return missing


def cmd_deps(args=None, quiet=False):
    missing = missing_deps()
    need_src = not srcpkg.has_deb_src()
    if not missing and not need_src:
        if not quiet:
            print("nfos: all dependencies are installed")
        return 0
    if os.geteuid() != 0:
        die(f"missing Debian packages: {' '.join(missing) or '-'}"
            f"{'; no deb-src apt entry (for apt-get source musl, dpdk)' if need_src else ''}; "
            "as root run: ./nfos deps", 1)
    if need_src:
        try:
            srcpkg.ensure_deb_src()
        except OSError as e:
            die(f"cannot add a deb-src entry ({srcpkg.NFOS_SOURCES}): {e}", 1)
        print(f"nfos: wrote {srcpkg.NFOS_SOURCES} (deb-src)", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    if missing:
        print(f"nfos: installing {' '.join(missing)}", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"] + missing,
                       check=True, env=env)
    return 0


def ensure_deps():
    # Only missing packages stop a build here: the deb-src entry matters to
    # musl apps alone, whose build names `./nfos deps` if the fetch fails.
    if missing_deps():
        cmd_deps(quiet=True)


# --- build --------------------------------------------------------------------

def build(app, plat, verbose=False, jobs=None, quiet=False, smp=False):
    check_app(app)
    if plat not in PLATS:
        raise UsageError(f"unknown platform '{plat}' (platforms: {', '.join(PLATS)})")
    ensure_deps()
    cmd = ["make", "-C", ROOT, f"-j{jobs or os.cpu_count() or 1}", f"APP={app}", f"PLAT={plat}"]
    if verbose:
        cmd.append("V=1")
    if smp:
        cmd.append("SMP=1")
    r = subprocess.run(cmd, stdout=subprocess.PIPE if quiet else None, text=True)
    if r.returncode != 0:
        if quiet and r.stdout:
            sys.stdout.write(r.stdout)
        die(f"build of {app} for {plat} failed", 1)
    return image_path(app, plat, smp)


def cmd_build(args):
    path = build(args.app, args.plat, verbose=args.verbose, jobs=args.jobs,
                 smp=args.smp and smp_variant(args.app, 2))
    print(f"image: {path}")
    return 0


# --- run ----------------------------------------------------------------------

MAC_RE = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")


@functools.lru_cache(maxsize=None)
def vdev_kinds():
    """{kind: what its ARG must be} of the linuxu vdev drivers, from each
    drivers/<drv>/vdev.conf (`kind = K` and `arg = tap|if|socket|size|none`):
    a new driver adds its --net kind without an edit here."""
    kinds = {}
    for conf in sorted(glob.glob(os.path.join(ROOT, "drivers", "*", "vdev.conf"))):
        with open(conf) as f:
            keys = dict((w.strip() for w in line.split("#", 1)[0].split("=", 1))
                        for line in f if "=" in line.split("#", 1)[0])
        if "kind" not in keys or keys.get("arg", "none") not in NET_ARG_HINTS:
            raise UsageError(f"{os.path.relpath(conf, ROOT)}: expected kind = K and "
                             f"arg = one of {', '.join(NET_ARG_HINTS)}")
        kinds[keys["kind"]] = keys.get("arg", "none")
    return kinds


def tap_options(text, arg, plat):
    """'IF,rss' -> ('IF', {'rss': True}): kvm's tap:IF,rss asks the
    virtio-net device for RSS (QEMU's rss=on, nfvm's tap:IF,rss), which the
    driver programs over the queue pairs; without it the TAP's flow hash
    picks each frame's queue. A TAP's
    name may have commas: a trailing ',rss' is the option unless the whole
    is an interface's name."""
    if not arg.endswith(",rss") or os.path.exists(f"/sys/class/net/{arg}"):
        return arg, {}
    if plat != "kvm":
        raise UsageError(f"--net {text}: ',rss' is the kvm virtio-net's (QEMU's, nfvm's); "
                         f"a linuxu multi_queue TAP spreads flows by the kernel's hash")
    return arg[:-len(",rss")], {"rss": True}


def parse_net(text, plat):
    """'tap:IF' -> {'kind': 'tap', 'arg': 'IF'}; checks that what it names is
    there, so that a typo is one line here and not a QEMU or driver error."""
    kind, _, arg = text.partition(":")
    kinds = QEMU_NET_KINDS if plat == "kvm" else vdev_kinds()
    if kind not in kinds:
        raise UsageError(f"--net {text}: unknown kind '{kind}' on {plat} "
                         f"(kinds: {', '.join(k + NET_ARG_HINTS[a] for k, a in kinds.items())})")
    what = kinds[kind]
    arg, opts = tap_options(text, arg, plat) if what == "tap" else (arg, {})
    if what in ("tap", "if"):
        if not arg:
            raise UsageError(f"--net {text}: which interface? e.g. --net {kind}:tap0")
        if not os.path.exists(f"/sys/class/net/{arg}"):
            hint = f" (create it: ip tuntap add dev {arg} mode tap)" if what == "tap" else ""
            raise UsageError(f"--net {text}: no interface '{arg}' here{hint}")
        if what == "tap" and not os.path.exists(f"/sys/class/net/{arg}/tun_flags"):
            raise UsageError(f"--net {text}: '{arg}' is not a TAP interface")
    elif what == "none" and arg:
        raise UsageError(f"--net {text}: {kind} takes no argument")
    elif what == "user":
        fwd = []
        for f in filter(None, arg.split(",")):
            m = re.fullmatch(r"(udp|tcp):(\d+)(?:-(\d+))?", f)
            if not m or not 0 < int(m[2]) < 65536 or not 0 < int(m[3] or m[2]) < 65536:
                raise UsageError(f"--net {text}: expected user[:udp|tcp:HOSTPORT[-GUESTPORT],...], "
                                 f"e.g. --net user:udp:11211")
            fwd.append((m[1], int(m[2]), int(m[3] or m[2])))
        return {"kind": kind, "arg": arg, "fwd": fwd}
    elif what == "socket":
        import socket
        import stat
        if not arg:
            raise UsageError(f"--net {text}: which socket? e.g. --net {kind}:/tmp/vhost.sock")
        try:
            if not stat.S_ISSOCK(os.stat(arg).st_mode):
                raise UsageError(f"--net {text}: '{arg}' is not a UNIX socket")
        except FileNotFoundError:
            raise UsageError(f"--net {text}: no socket '{arg}' (start the vhost-user backend "
                             f"first, e.g. dpdk-testpmd --vdev net_vhost0,iface={arg})")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(arg)
        except OSError as e:
            raise UsageError(f"--net {text}: nobody listens on '{arg}' ({e.strerror})")
        finally:
            sock.close()
    return dict({"kind": kind, "arg": arg}, **opts)


def net_params(nets, ips, macs, plat):
    """--net/--ip/--mac -> kernel command line parameters (netdev.ip=... for
    the first port, netdev1.ip=... for the second)."""
    import ipaddress
    if len(ips) > len(nets) or len(macs) > len(nets):
        raise UsageError("more --ip or --mac than --net: each applies to the --net in the "
                         "same position")
    params = []
    for i, n in enumerate(nets):
        key = "netdev" if i == 0 else f"netdev{i}"
        if plat == "linuxu":
            params.append(f"{key}.dev={n['kind']}" + (f":{n['arg']}" if n["arg"] else ""))
        if i < len(ips):
            try:
                if "/" not in ips[i]:
                    raise ValueError("no prefix")
                iface = ipaddress.IPv4Interface(ips[i])
            except ValueError as e:
                raise UsageError(f"--ip {ips[i]}: expected ADDR/PREFIX, e.g. 10.0.0.2/24 ({e})")
            params.append(f"{key}.ip={iface.ip}/{iface.network.prefixlen}")
        if i < len(macs):
            if not MAC_RE.fullmatch(macs[i]):
                raise UsageError(f"--mac {macs[i]}: expected six hex pairs, e.g. "
                                 f"02:00:00:00:00:01")
            if int(macs[i][:2], 16) & 1:
                raise UsageError(f"--mac {macs[i]}: a multicast address cannot be a port's")
            n["mac"] = macs[i].lower()
            if plat == "linuxu":
                params.append(f"{key}.mac={n['mac']}")
    return params


def image_ram_need(image):
    """Bytes of guest RAM an image occupies from address 0: the end of its
    highest PT_LOAD segment (code, data, bss and boot stacks). Below that, QEMU
    cannot even load it, so the guest could not say anything."""
    import struct
    with open(image, "rb") as f:
        ehdr = f.read(64)
        if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2:
            raise UsageError(f"{image}: not an ELF64 image")
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
        need = 0
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, _, _, paddr, _, memsz = struct.unpack("<IIQQQQQ", f.read(48))
            if p_type == 1:  # PT_LOAD
                need = max(need, paddr + memsz)
    return need


def guest_cmdline(params, app_args):
    def quote(w):
        if '"' in w:
            raise UsageError(f"argument {w!r}: double quotes cannot pass the kernel command line")
        return f'"{w}"' if (not w or any(c in w for c in " \t\n")) else w
    words = [quote(p) for p in params]
    if app_args:
        words += ["--"] + [quote(a) for a in app_args]
    return " ".join(words)


def run_params(args, nets):
    """The image's OS parameters for `nfos run`: its ports, --param, lcores."""
    params = net_params(nets, args.ip or [], args.mac or [], args.plat)
    params += list(args.param or [])
    if args.cpus < 1:
        raise UsageError(f"--cpus {args.cpus}: expected 1 or more")
    if args.pin and args.plat != "linuxu":
        raise UsageError("--pin: linuxu only (a kvm image's vCPUs are QEMU's threads)")
    if args.cpus > 1 or args.pin:
        params += [f"nfos.cpus={args.cpus}"] + ([f"nfos.cpu_pin={args.pin}"] if args.pin else [])
    for p in params:
        if "=" not in p and not p.startswith("nfos."):
            raise UsageError(f"bad --param '{p}' (expected KEY=VALUE)")
    return params


@with_run_signals
def cmd_run(args):
    check_app(args.app)
    if args.plat not in PLATS:
        raise UsageError(f"unknown platform '{args.plat}' (platforms: {', '.join(PLATS)})")
    if args.vmm == "nfvm" and args.plat != "kvm":
        raise UsageError("--vmm nfvm runs kvm images (--plat kvm)")
    app_args = args.app_args
    defaults = run_defaults(args.app).get(args.plat, {})
    if not args.net and "net" in defaults:
        args.net = [defaults["net"]]
        args.ip = args.ip or ([defaults["ip"]] if "ip" in defaults else [])
        print(f"nfos: {args.app} with its default network: --net {args.net[0]}"
              + (f" --ip {args.ip[0]}" if args.ip else ""), file=sys.stderr)
    epoch_arg = defaults.get("epoch_arg")
    if epoch_arg and epoch_arg not in app_args:
        import time  # no RTC in the guest: absolute times need the host's clock
        app_args = [epoch_arg, str(int(time.time()))] + app_args
    if args.machine is None and args.vmm == "qemu":
        args.machine = "microvm,pcie=on" if args.net else "microvm"
    if args.vmm == "qemu" and args.machine not in MACHINES:
        raise UsageError(f"unknown machine '{args.machine}' (machines: {', '.join(MACHINES)})")
    mem = parse_size(args.mem or "64M")
    nets = [parse_net(n, args.plat) for n in (args.net or [])]
    params = run_params(args, nets)
    initrd = files.pack(args.files) if args.files else None
    image = build(args.app, args.plat, quiet=True,
                  smp=smp_variant(args.app, 2 if args.pin else args.cpus))
    sys.stdout.flush()
    if args.plat == "linuxu":
        if initrd:
            params.insert(0, f"nfos.initrd={initrd}")
        if args.mem:
            params.insert(0, f"nfos.mem={mem}")
        return run_linuxu([image] + params + ["--"] + app_args, args.signals,
                          timeout=args.timeout)
    need = image_ram_need(image)
    if mem < need:
        raise UsageError(f"--mem {args.mem} is too small for {args.app}: the image alone "
                         f"reaches {need / 2**20:.2f} MiB of guest RAM (it loads at 1 MiB); "
                         f"give at least {(need + 2**20 - 1) >> 20}M")
    if args.vmm == "nfvm":
        return run_nfvm(args, image, mem, guest_cmdline(params, app_args), nets, initrd)
    accel = args.accel or ("kvm" if kvm_usable() else "tcg")
    if accel == "kvm" and not kvm_usable():
        raise UsageError("--accel kvm: /dev/kvm is not usable here")
    net_queues(nets, args.cpus)
    cmd = qemu_command(image, mem, args.machine, accel, guest_cmdline(params, app_args), nets,
                       cpus=args.cpus)
    cmd += ["-initrd", initrd] if initrd else []
    if args.verbose:
        print("nfos: " + " ".join(cmd), file=sys.stderr)
    return run_qemu(cmd, args.signals, timeout=args.timeout)


# --- bench --------------------------------------------------------------------

# bench/WHAT/bench_WHAT.py, each with main(argv)
BENCHES = ("boot", "pps", "kv", "density", "all", "accept")


def cmd_bench(args):
    """A benchmark's main; a measurement that could not be made (the benches
    raise RuntimeError for that: a guest that never booted, a peer that never
    answered) is one line and status 1, not a traceback."""
    if args.what not in BENCHES:
        raise UsageError(f"unknown benchmark '{args.what}'")
    import importlib
    bench = importlib.import_module(f"bench.{args.what}.bench_{args.what}")
    try:
        return bench.main(args.app_args)
    except RuntimeError as e:
        print(f"nfos bench {args.what}: {e}", file=sys.stderr)
        return 1


# --- main ---------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parser():
    p = Parser(prog="nfos", description="Build, run and benchmark nfos images.",
               epilog="Quick start: ./nfos run helloworld   Tests: make test")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=Parser)
    b = sub.add_parser("build", help="build an app's image (last line: image: PATH)")
    b.add_argument("app")
    b.add_argument("--plat", default="kvm", help="kvm (default) or linuxu")
    b.add_argument("--smp", action="store_true", help="the SMP variant (as run --cpus N uses)")
    b.add_argument("-j", "--jobs", type=int, help="make -jN (default: every CPU)")
    b.add_argument("-v", "--verbose", action="store_true", help="show compiler commands")
    b.set_defaults(fn=cmd_build)

    r = sub.add_parser("run", help="build and run an app: ./nfos run APP [-- ARGS]",
                       description="Build and run APP. On kvm it boots under QEMU with "
                       "KVM when /dev/kvm is usable, TCG otherwise; its exit status "
                       "becomes ours. SIGINT, SIGTERM or SIGHUP stops the guest (a linuxu "
                       "app stops itself, QEMU is terminated) and we exit 128+signal; "
                       "the guest never outlives us, even a SIGKILL. Our stdin is the "
                       "guest's (kvm: its serial console; a terminal goes raw, other input "
                       "ends with ^D).")
    r.add_argument("app")
    r.add_argument("--plat", default="kvm", help="kvm (default) or linuxu")
    r.add_argument("--mem", help="guest RAM, e.g. 2M, 64M, 4G (default 64M; on linuxu "
                   "the size of its memory mapping)")
    r.add_argument("--machine", help="microvm (default), microvm,pcie=on (default with --net: "
                   "virtio-net-pci) or q35; plain microvm attaches virtio-mmio")
    r.add_argument("--net", action="append", metavar="KIND:ARG",
                   help="attach a network port (repeatable; port 0 first): kvm: tap:IF[,rss], "
                   "vhost-user:SOCKET, user[:udp:HOSTPORT[-GUESTPORT],...] (QEMU's user "
                   "network, 127.0.0.1 forwards); linuxu: "
                   + ", ".join(k + NET_ARG_HINTS[a] for k, a in vdev_kinds().items()))
    r.add_argument("--ip", action="append", metavar="ADDR/PREFIX",
                   help="the address of the port in the same position (netdev[N].ip=)")
    r.add_argument("--mac", action="append", metavar="MAC",
                   help="the MAC of the port in the same position")
    r.add_argument("--accel", choices=("kvm", "tcg"), help="default: kvm if usable, else tcg")
    r.add_argument("--cpus", type=int, default=1, help="lcores (kvm: vCPUs, QEMU -smp; "
                   "linuxu: threads); default 1")
    r.add_argument("--pin", metavar="C0,C1,...", help="linuxu: pin lcore i to host CPU Ci")
    r.add_argument("--vmm", choices=("qemu", "nfvm"), default="qemu",
                   help="kvm's monitor: qemu (default) or nfvm (vmm/, needs /dev/kvm)")
    r.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                   help="OS parameter for the kernel command line, e.g. nfos.boottrace=1")
    r.add_argument("--files", metavar="DIR", help="DIR as a read-only file tree in the image "
                   "(a cpio initrd), under the same path")
    r.add_argument("--timeout", type=float, help="kill the guest after this many seconds")
    r.add_argument("-v", "--verbose", action="store_true", help="print the QEMU command")
    r.set_defaults(fn=cmd_run)

    d = sub.add_parser("deps", help="install the Debian packages nfos needs (as root)")
    d.set_defaults(fn=cmd_deps)

    be = sub.add_parser("bench", help="run a benchmark: boot, pps, kv, density, all, accept")
    be.add_argument("what", help="boot, pps, kv or all (every one, the comparison "
                    "table, plots and docs/PERFORMANCE.md)")
    be.set_defaults(fn=cmd_bench)

    from tools import libvirt
    libvirt.add_parser(sub)
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    # Everything after the first `--` belongs to the app (or the benchmark).
    app_args = []
    if "--" in argv:
        i = argv.index("--")
        argv, app_args = argv[:i], argv[i + 1:]
    if len(argv) >= 2 and argv[0] == "bench" and not argv[1].startswith("-"):
        # `nfos bench pps --help`: what follows the benchmark's name is its own.
        argv, app_args = argv[:2], argv[2:] + app_args
    try:
        p = parser()  # reads drivers/*/vdev.conf, which may be malformed
        args, rest = p.parse_known_args(argv)
        if not getattr(args, "cmd", None):
            p.print_help()
            return 2
        if rest and args.cmd != "bench":
            raise UsageError(f"unrecognized arguments: {' '.join(rest)}")
        args.app_args = rest + app_args
        return args.fn(args)
    except UsageError as e:
        die(str(e))
    except Stopped as e:
        return 128 + e.signum
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

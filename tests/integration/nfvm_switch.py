"""NFOS_VMM=nfvm: the integration suite's kvm guest runs through nfvm, our
KVM monitor (vmm/), instead of QEMU, wherever nfvm can serve the same run;
the runs it cannot serve (QEMU-only features) are skipped, each with a
reason that begins SKIP_PREFIX, and counted in the session's summary
(conftest.pytest_terminal_summary). Unset, or NFOS_VMM=qemu, changes
nothing.

Two entry points, for conftest's two ways of starting a kvm guest:
  nfvm_argv(qemu_argv) -> nfvm's argv, for boot()'s QEMU command line
  nfos_run_argv(argv)  -> ./nfos run's argv with --vmm nfvm
Both raise Unserved(reason) for a run nfvm cannot serve."""

import os

from tools import nfos_cli

SKIP_PREFIX = "NFOS_VMM=nfvm: QEMU only"
NFVM = os.path.join(nfos_cli.ROOT, "build", "nfvm", "nfvm")
served = []  # one entry per guest run given to nfvm (the summary counts them)

# QEMU options nfos_cli.qemu_command always gives whose effect nfvm has
# built in (its console is COM1 on stdio, its exit port is the debug exit).
FIXED = {"-nodefaults", "-no-user-config", "-nographic", "-no-reboot"}
FIXED_VALUE = {"-accel", "-cpu", "-serial", "-global"}


class Unserved(Exception):
    """A run only QEMU serves; str() says which feature."""


def wanted():
    return os.environ.get("NFOS_VMM", "qemu") == "nfvm"


def kv(spec):
    """'a,b=c,d=e' -> ('a', {'b': 'c', 'd': 'e'})"""
    head, *rest = spec.split(",")
    return head, dict(p.split("=", 1) if "=" in p else (p, "") for p in rest)


def machine_ok(spec):
    """QEMU's -M value as qemu_command builds it: microvm only, without PCIe."""
    name, opts = kv(spec)
    if name != "microvm":
        raise Unserved(f"machine {name} (nfvm has one machine, microvm-like)")
    if opts.get("pcie") == "on":
        raise Unserved("PCIe (nfvm's devices are virtio-mmio)")
    known = {"x-option-roms", "pic", "rtc", "memory-backend"}
    odd = sorted(set(opts) - known)
    if odd:
        raise Unserved(f"QEMU's microvm option(s) {', '.join(odd)}")


def net_of(netdev, chardevs, queues_ok=True):
    """nfvm's --net value for a QEMU -netdev (tap or vhost-user)."""
    kind, opts = kv(netdev)
    q = opts.get("queues")
    tail = f",queues={q}" if q and q != "1" else ""
    if kind == "tap" and opts.get("ifname") and opts.get("script", "no") == "no":
        return opts["id"], f"tap:{opts['ifname']}{tail}"
    if kind == "vhost-user" and opts.get("chardev") in chardevs:
        return opts["id"], f"vhost-user:{chardevs[opts['chardev']]}{tail}"
    raise Unserved(f"QEMU's -netdev {kind}")


def device(spec, netdevs, nets):
    name, opts = kv(spec)
    if name == "isa-debug-exit":
        return  # nfvm's exit port
    if name != "virtio-net-device":
        raise Unserved(f"QEMU's device {name}")
    odd = sorted(set(opts) - {"netdev", "mq", "mac"})
    if odd or opts.get("netdev") not in netdevs:
        raise Unserved(f"virtio-net-device with {', '.join(odd) or 'no netdev'}")
    nets.append(netdevs[opts["netdev"]] + (f",mac={opts['mac']}" if opts.get("mac") else ""))


def parse(argv):
    """QEMU's argv -> {'mem', 'cpus', 'nets', 'initrd', 'image', 'cmdline'}."""
    out = {"cpus": "1", "nets": [], "initrd": None, "cmdline": ""}
    netdevs, chardevs = {}, {}
    args = list(argv[1:])
    while args:
        opt = args.pop(0)
        if opt in FIXED:
            continue
        if not args:
            raise Unserved(f"QEMU's option {opt}")
        val = args.pop(0)
        if opt in FIXED_VALUE:
            if opt == "-serial" and val != "stdio":
                raise Unserved(f"-serial {val}")
        elif opt == "-M":
            machine_ok(val)
        elif opt in ("-m", "-smp", "-initrd", "-kernel", "-append"):
            key = {"-m": "mem", "-smp": "cpus", "-initrd": "initrd", "-kernel": "image",
                   "-append": "cmdline"}[opt]
            out[key] = val
        elif opt == "-object" and val.startswith("memory-backend-memfd,"):
            continue  # nfvm's RAM is always a shared memfd
        elif opt == "-chardev" and val.startswith("socket,"):
            _, o = kv(val)
            chardevs[o["id"]] = o["path"]
        elif opt == "-netdev":
            i, net = net_of(val, chardevs)
            netdevs[i] = net
        elif opt == "-device":
            device(val, netdevs, out["nets"])
        else:
            raise Unserved(f"QEMU's option {opt} {val}")
    return out


def nfvm_argv(qemu_argv):
    """nfvm's command line for the run a QEMU command line asks for."""
    q = parse(qemu_argv)
    if not q.get("image"):
        raise Unserved("no -kernel image")
    mem = nfos_cli.parse_size(q["mem"]) if "mem" in q else 128 << 20
    if mem < 2 << 20:  # the guest's own report of too little RAM: QEMU's
        raise Unserved("guest RAM under 2 MiB (nfvm refuses it itself: --mem from 2M)")
    cpus = int(q["cpus"].split(",")[0])
    argv = [NFVM, "--mem", f"{mem // 1024}K"] + (["--cpus", str(cpus)] if cpus > 1 else [])
    argv += [a for n in q["nets"] for a in ("--net", n)]
    argv += ["--initrd", q["initrd"]] if q["initrd"] else []
    return argv + [q["image"], "--", q["cmdline"]]


# ./nfos run's options that only QEMU serves (nfos_cli.run_nfvm refuses them).
RUN_QEMU_ONLY = {"--machine": "--machine (QEMU's machines)", "--accel": "--accel"}
RUN_WITH_VALUE = {"--plat", "--mem", "--machine", "--net", "--ip", "--mac", "--accel", "--cpus",
                  "--pin", "--vmm", "-p", "--param", "--files", "--timeout"}


def nfos_run_argv(argv):
    """./nfos run's argv with --vmm nfvm added, for a kvm run nfvm serves;
    argv as is for linuxu runs, runs that name --vmm, and bad command lines
    (./nfos's own usage errors are the same under both)."""
    opts, i = {}, 2
    while i < len(argv) and argv[i] != "--":
        if argv[i] in RUN_WITH_VALUE and i + 1 < len(argv):
            opts.setdefault(argv[i], []).append(argv[i + 1])
            i += 2
        else:
            i += 1
    if argv[:1] != ("run",) and argv[:1] != ["run"] or len(argv) < 2 \
            or opts.get("--plat", ["kvm"])[-1] != "kvm" or "--vmm" in opts:
        return list(argv)
    if argv[1] not in nfos_cli.apps():
        return list(argv)
    for o, why in RUN_QEMU_ONLY.items():
        if o in opts:
            raise Unserved(why)
    nets = opts.get("--net") or [nfos_cli.run_defaults(argv[1]).get("kvm", {}).get("net")]
    for n in nets:
        if n is not None and n.split(":")[0] not in ("tap", "vhost-user"):
            raise Unserved(f"--net {n} (nfvm: tap and vhost-user only)")
    return list(argv[:2]) + ["--vmm", "nfvm"] + list(argv[2:])


def mmio(machine):
    """QEMU's -M for a test whose virtio transport is only QEMU's default
    for a --net (`nfos run` gives microvm,pcie=on then), not what it tests:
    as is, or under NFOS_VMM=nfvm microvm, virtio-mmio, which nfvm has."""
    return "microvm" if wanted() and machine == "microvm,pcie=on" else machine


def qemu_only(reason):
    """Under NFOS_VMM=nfvm, skips a test whose subject is QEMU itself (its
    command line, its network, its process): nfvm has no part in it."""
    if wanted():
        import pytest
        pytest.skip(f"{SKIP_PREFIX}: {reason}")


_made = []


def make_nfvm():
    if not _made:
        import subprocess
        r = subprocess.run(["make", "-s", "-C", nfos_cli.ROOT, "nfvm"], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        _made.append(True)


def served_or_skip(fn, *args):
    """fn(*args) (nfvm_argv or nfos_run_argv), or the test skipped with the
    reason a run nfvm cannot serve, or because nfvm has no /dev/kvm. An
    ./nfos command nfvm has no part in (linuxu, --vmm given) stays as is."""
    import pytest
    try:
        argv = fn(*args)
    except Unserved as e:
        pytest.skip(f"{SKIP_PREFIX}: {e}")
    if fn is nfos_run_argv and list(argv) == list(args[0]):
        return argv
    if not nfos_cli.kvm_usable():
        pytest.skip("NFOS_VMM=nfvm: nfvm needs /dev/kvm (usable, NFOS_ACCEL not tcg)")
    make_nfvm()
    served.append(argv)
    return argv


def summary(reporter):
    """The session's count: guest runs nfvm served, tests skipped as QEMU
    only (by reason)."""
    why = {}
    for rep in reporter.stats.get("skipped", []):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        if SKIP_PREFIX in reason:
            r = reason[reason.index(SKIP_PREFIX) + len(SKIP_PREFIX):].lstrip(": ")
            why[r] = why.get(r, 0) + 1
    reporter.write_sep("=", "NFOS_VMM=nfvm")
    reporter.write_line(f"{len(served)} guest runs under nfvm; {sum(why.values())} tests "
                        f"skipped as QEMU only")
    for r, n in sorted(why.items(), key=lambda x: -x[1]):
        reporter.write_line(f"  {n:4d}  {r}")

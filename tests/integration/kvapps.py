"""How the kvstore tests start kvstore or kvstore-dpdk (kvstore's request
path over DPDK's rte_eth bursts, a kvm image and a linuxu process): the
image (kvstore-dpdk skipped only when Debian's DPDK source cannot be
fetched), the command line (kvstore-dpdk's options come after the EAL's
"--"), where each parametrized case runs, and a kvm guest's end: given
--count, it stops by itself once that many requests came, which
until_exit sends, so that its exit report (counters, pools) can be read."""

from conftest import build, dpdk_build

PY = "/usr/bin/python3"
DPDK = "kvstore-dpdk"
APPS = ["kvstore", DPDK]
# Where the memcached conformance cases (sizes, IP fragments; the main
# cases on linuxu) run: kvstore-dpdk on both platforms, kvstore on linuxu
# (its kvm runs are test_conformance_kvm_tap's). Once per app and platform.
CONFORMANCE = [("kvstore", "linuxu"), (DPDK, "linuxu"), (DPDK, "kvm")]
# Where the guard cases that apply to kvstore-dpdk run: every app on both.
GUARD = [("kvstore", "linuxu"), ("kvstore", "kvm"), (DPDK, "linuxu"), (DPDK, "kvm")]

# Version requests, one every 5 ms, until killed.
SENDER = """
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(120000):
    s.sendto(struct.pack(">HHHH", i & 0xffff, 0, 1, 0) + b"version\\r\\n",
             (sys.argv[1], int(sys.argv[2])))
    time.sleep(0.005)
"""


def image(app, plat, smp=False):
    """smp: for more than one lcore (kvstore's SMP variant; kvstore-dpdk is
    SMP already)."""
    if app == DPDK:
        return dpdk_build(app, plat)
    return build(app, plat, smp)


def args(app, options):
    """kvstore's options as app's command line."""
    return (["--"] if app == DPDK else []) + list(options)


# kvstore-dpdk's linuxu memory: the EAL's region (-m, 16 MiB by default)
# and the mbufs come from the same heap as kvstore's items (64 MiB in the
# conformance runs, linuxu's default nfos.mem).
DPDK_LINUXU_MEM = "nfos.mem=160M"


def linuxu(app, params, options, smp=False):
    """The argv of app (kvstore, kvstore-dpdk, or another app) as a linuxu
    process: nfos's params (netdev.dev=, nfos.cpus=, ...), then the app's
    options; smp: its SMP variant (image())."""
    mem = [DPDK_LINUXU_MEM] if app == DPDK else []
    return [image(app, "linuxu", smp), *mem, *params, "--", *args(app, options)]


def count_for(cases):
    """A --count that the requests of cases (each with its sentinel) and
    the readiness probes stay well below."""
    return 2 * len(cases) + 300


def until_exit(ns, proc, host, port=11211, timeout=240):
    """Requests to host:port until proc (a kvm guest given --count) exits;
    its remaining output (out, err)."""
    sender = ns.popen(PY, "-c", SENDER, host, str(port))
    try:
        return proc.communicate(timeout=timeout)
    finally:
        sender.kill()
        sender.communicate()

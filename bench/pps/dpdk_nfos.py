"""bench pps's DPDK-in-nfos subjects: DPDK's own testpmd, unmodified, as an
nfos image (apps/dpdk-testpmd) whose one port is net_nfos over nfos's
virtio-net driver, on the same vhost-user backend as every other subject.
The platform is a parameter (PLATS): kvm (QEMU with KVM; skipped under TCG
unless named, like nfos-kvm), tcg (the same image under TCG, on request),
linuxu (a Linux process, on request; its port is net_nfos over nfos's
vhost-user driver, its heap LINUXU_MEM).

testpmd runs the subject "dpdk" runs (--record-core-cycles, the same
forward modes and sizes) with two lcores, main and forwarding, both on the
subject's core, but without --stats-period: it waits at "Press enter to
exit" (its ready line), and a newline on its console (QEMU's serial stdio,
or the linuxu process's stdin) stops it after the window, so that it
prints its busy cycles per packet and totals and exits 0 by itself. Its
Mpp/s in the window is the backend's rate the other way (rx: the backend's
Tx-pps; tx and fwd: its Rx-pps), which counts only what the subject took
or sent.

dpdk-in-nfos-nfvm is the kvm image under nfvm (our monitor: vhost-user
through nfvm's front-end, nfvm out of the data path), where KVM is usable:
there testpmd's idle main lcore sleeps in nfvm, where under QEMU on
kvm-pvm it can only spin beside the forwarding lcore (README, SMP).

The -virtio subjects are the same testpmd with DPDK's own net_virtio
driving the virtio-net PCI function directly (apps/dpdk-testpmd-virtio:
DPDK's bus/pci over nfos's PCI layer), side by side with net_nfos over
nfos's driver: kvm only, as there is no PCI device on linuxu."""

import re

from bench.common import lcores
from bench.linuxvm import linuxvm
from tools import guest, nfos_cli

APP = "dpdk-testpmd"
VIRTIO_APP = "dpdk-testpmd-virtio"
# subject -> (image platform, accelerator: "ctx" = the run's kvm accelerator)
PLATS = {"dpdk-in-nfos-kvm": ("kvm", "ctx"), "dpdk-in-nfos-nfvm": ("kvm", "ctx"),
         "dpdk-in-nfos-tcg": ("kvm", "tcg"),
         "dpdk-in-nfos-linuxu": ("linuxu", "native"),
         "dpdk-in-nfos-virtio-kvm": ("kvm", "ctx"), "dpdk-in-nfos-virtio-tcg": ("kvm", "tcg")}
SUBJECTS = tuple(PLATS)
ON_REQUEST = ("dpdk-in-nfos-tcg", "dpdk-in-nfos-linuxu", "dpdk-in-nfos-virtio-tcg")
KVM_SUBJECT = "dpdk-in-nfos-kvm"
NFVM_SUBJECT = "dpdk-in-nfos-nfvm"  # the kvm image under nfvm (where KVM is usable)
KVM_SUBJECTS = (KVM_SUBJECT, "dpdk-in-nfos-virtio-kvm", NFVM_SUBJECT)
LCORES = 2              # testpmd: a main lcore and a forwarding one
GUEST_MEM = 128 << 20   # guest RAM: -m 64 beside the port's pools and testpmd
EAL_MEM_MB = 64         # (lib/dpdk/README.md, eal_memory.c)
# On linuxu the heap is a memfd on 2 MiB pages only when the host has them
# free, and the bench reserves pages for two DPDK processes of 64 MiB and 8
# more (bench/common/dpdk.py): the backend takes 32 of them, the subject
# the other 40 (256 MiB fell back to 4 KiB pages, a TLB miss on nearly
# every buffer), and -m 32 is an EAL region that fits that heap beside
# what the vhost-user port took at boot (the 8192 mbufs take ~20 MiB).
LINUXU_MEM = 80 << 20
LINUXU_EAL_MEM_MB = 32
READY = re.compile(r"^Press enter to exit")


def status(st, named, accel):
    """Marks the subjects in st ({subject: status}) that run only on request
    or that TCG makes meaningless, as first_status does for nfos-kvm."""
    for s in SUBJECTS:
        if s not in st:
            continue
        if not named and s in ON_REQUEST:
            st[s] = "not run: name it in --subjects"
        elif not named and s in KVM_SUBJECTS and accel == "tcg":
            st[s] = ("skipped: no usable /dev/kvm, and under TCG its figures say nothing "
                     "about DPDK in nfos (name it or dpdk-in-nfos-tcg in --subjects to run it "
                     "anyway)")


def plat(subject):
    return PLATS[subject][0]


def app(subject):
    """The image's app: testpmd with net_nfos, or with DPDK's net_virtio."""
    return VIRTIO_APP if "-virtio-" in subject else APP


def accel(subject, kvm_accel):
    a = PLATS[subject][1]
    return kvm_accel if a == "ctx" else a


def testpmd_args(mode, size, mbufs, eal_mb=EAL_MEM_MB):
    """EAL and testpmd arguments (the part after the image's "--")."""
    txpkts = {"txonly": size - 4}.get(mode)
    return (["-m", str(eal_mb), "--", f"--forward-mode={mode}", "--auto-start",
             "--nb-cores=1", f"--total-num-mbufs={mbufs}", "--record-core-cycles",
             "--no-mlockall"] + ([f"--txpkts={txpkts}"] if txpkts else []))


def argv(subject, mode, size, sock, image, kvm_accel, mbufs):
    """The command line of a DPDK-in-nfos subject."""
    params = lcores.params(LCORES)
    if plat(subject) == "linuxu":
        return ([image, f"netdev.dev=vhost-user:{sock}", f"nfos.mem={LINUXU_MEM}"] + params +
                ["--"] + testpmd_args(mode, size, mbufs, LINUXU_EAL_MEM_MB))
    cmdline = nfos_cli.guest_cmdline(params, testpmd_args(mode, size, mbufs))
    nets = [{"kind": "vhost-user", "arg": sock}]
    if subject == NFVM_SUBJECT:
        return guest.nfvm_command(image, GUEST_MEM, cmdline, nets, cpus=LCORES)
    return nfos_cli.qemu_command(image, GUEST_MEM, "microvm,pcie=on", accel(subject, kvm_accel),
                                 cmdline, nets, cpus=LCORES)


def stop(su, timeout):
    """Ends the window: a newline on its console; its status (QEMU's mapped
    to the guest's), None when it had to be killed."""
    su.say("\n")
    st = su.wait(timeout)
    if st is not None and su.argv[0].startswith("qemu-system"):
        st = nfos_cli.map_qemu_status(st, [])
    return st


def parse(su, be, case, parse_backend, w0, w1):
    """The subject's figures: totals and busy cycles from testpmd's exit
    report, Mpp/s and bytes per packet from the backend's lines."""
    out = {k: v for k, v in linuxvm.parse_testpmd(su.text()).items()
           if k not in ("rx_pps", "tx_pps")}
    other = parse_backend(be, "tx" if case == "rx" else "rx", w0, w1)
    out["mpps"] = other.get("mpps")
    if case != "rx" and other.get("bytes_per_pkt") is not None:
        out["bytes_per_pkt"] = other["bytes_per_pkt"]
    return out


# --- the goal: within 1.1x of nfos, at or below DPDK on Linux ------------

NFOS_PEER = {"dpdk-in-nfos-kvm": "nfos-kvm", "dpdk-in-nfos-nfvm": "nfos-nfvm",
             "dpdk-in-nfos-tcg": "nfos-tcg",
             "dpdk-in-nfos-linuxu": "nfos-linuxu", "dpdk-in-nfos-virtio-kvm": "nfos-kvm",
             "dpdk-in-nfos-virtio-tcg": "nfos-tcg"}
GOAL = 1.1


def ratios(get, size, accel_of):
    """For each DPDK-in-nfos subject with figures: its busy cycles over
    nfos's on the same platform and accelerator, and over DPDK's on Linux
    (only where it does not run under TCG). get(subject) -> that subject's
    result dict (or {}). A list of dicts."""
    out = []
    for s, peer in NFOS_PEER.items():
        me = get(s).get("summary")
        if not me:
            continue
        busy = me["busy_cycles_per_pkt"]["median"]
        r = {"subject": s, "accel": accel_of[s]}
        nf, dp = get(peer).get("summary"), get("dpdk").get("summary")
        if nf:
            r["over_nfos"] = busy / nf["busy_cycles_per_pkt"]["median"]
        if dp and accel_of[s] != "tcg":
            r["over_dpdk"] = busy / dp["busy_cycles_per_pkt"]["median"]
        if size == 64 and "over_nfos" in r and "over_dpdk" in r:
            r["goal"] = ("met" if r["over_nfos"] <= GOAL and r["over_dpdk"] <= 1 else "not met")
        out.append(r)
    return out


def table_rows(rat):
    """Rows for the report: case, size, subject, the two ratios, the goal."""
    rows = [("case", "size", "DPDK in nfos", "busy cycles over nfos (same plat)",
             "over dpdk (Linux)", f"goal <= {GOAL}x and <= 1x at 64 B")]
    for r in rat:
        for d in r.get("dpdk_in_nfos", []):
            rows.append((r["case"], r["size"], f"{d['subject']} ({d['accel']})",
                         f"{d['over_nfos']:.2f}x" if "over_nfos" in d else "-",
                         f"{d['over_dpdk']:.2f}x" if "over_dpdk" in d else "-",
                         d.get("goal", "-")))
    return rows if len(rows) > 1 else []

"""bench kv's kvstore-dpdk subjects: kvstore's request path over DPDK's
rte_eth bursts (apps/kvstore-dpdk: net_nfos over nfos's vhost-user or
virtio-net port, mbufs that are netbufs), on the same vhost-user socket,
kvgen and workloads as kvstore, so that its busy cycles per request stand
beside kvstore's in one run:
  kvstore-dpdk-linuxu  a Linux process, as kvstore-linuxu
  kvstore-dpdk-kvm     a kvm image under QEMU, as kvstore-kvm (skipped under
                       TCG unless --subjects names it)
Both run only when --subjects names them: their images need DPDK's build
(mk/dpdk.sh, minutes from an empty cache), and ./nfos bench all names
bench kv's SUBJECTS, not these. The table adds each one's busy cycles per
request over kvstore's on the same platform."""

from bench.common import lcores
from tools import nfos_cli

APP = "kvstore-dpdk"
# subject -> (image platform, accelerator: "ctx" = the run's kvm accelerator)
PLATS = {"kvstore-dpdk-linuxu": ("linuxu", "native"), "kvstore-dpdk-kvm": ("kvm", "ctx")}
SUBJECTS = tuple(PLATS)
KVM_SUBJECT = "kvstore-dpdk-kvm"
PEER = {"kvstore-dpdk-linuxu": "kvstore-linuxu", "kvstore-dpdk-kvm": "kvstore-kvm"}
WHY = ("not run: name it in --subjects (its image needs DPDK's build: minutes from an empty "
       "cache)")


def status(st, named, accel):
    """Marks the kvstore-dpdk subjects in st ({subject: status}) that run
    only when named, saying why (under TCG the kvm one, as kvstore-kvm)."""
    for s in SUBJECTS:
        if s not in st or named:
            continue
        if s == KVM_SUBJECT and accel == "tcg":
            st[s] = ("skipped: no usable /dev/kvm, and under TCG its figures say nothing "
                     "about kvstore-dpdk (name it in --subjects to run it anyway)")
        else:
            st[s] = WHY


def plat(subject):
    return PLATS[subject][0]


def accel(subject, kvm_accel):
    a = PLATS[subject][1]
    return kvm_accel if a == "ctx" else a


def argv(subject, image, sock, mem, ip, kv_args, cpus, kvm_accel):
    """The server's command line: kvstore's, with the EAL's "--" (no EAL
    arguments: -m 16 by default, which holds the mbufs) before kvstore's
    options."""
    params = [f"netdev.ip={ip}", "nfos.stats=1"] + lcores.params(cpus)
    args = ["--"] + list(kv_args)
    if plat(subject) == "linuxu":
        return ([image, f"nfos.mem={mem}", f"netdev.dev=vhost-user:{sock}"] + params + ["--"] +
                args)
    return nfos_cli.qemu_command(image, mem, "microvm,pcie=on", accel(subject, kvm_accel),
                                 nfos_cli.guest_cmdline(params, args),
                                 [{"kind": "vhost-user", "arg": sock}], cpus=cpus)


def ratios(results, workloads):
    """Per workload with figures on both sides: each kvstore-dpdk subject's
    busy cycles per request over kvstore's on the same platform (and
    accelerator). A list of {"workload", "subject", "peer", "ratio"}."""
    out = []
    for w in workloads:
        for s, peer in PEER.items():
            a = results.get(s, {})
            b = results.get(peer, {})
            x = a.get("summary", {}).get(w, {}).get("busy_cycles_per_req")
            y = b.get("summary", {}).get(w, {}).get("busy_cycles_per_req")
            if x and y and a.get("accel") == b.get("accel"):
                out.append({"workload": w, "subject": s, "peer": peer,
                            "ratio": x["median"] / y["median"]})
    return out


def table_rows(rat):
    """The report's rows (none without a ratio)."""
    rows = [("workload", "kvstore-dpdk", "busy cycles/req over kvstore's (same platform)")]
    rows += [(r["workload"], r["subject"], f"{r['ratio']:.2f}x") for r in rat]
    return rows if len(rows) > 1 else []

"""bench pps's DPDK-in-nfos subjects (bench/pps/dpdk_nfos.py): when they
run, their command lines per platform, how a run ends and is read, and the
issue's goal against nfos and DPDK. Made-up output; no benchmark runs."""

from bench.common.rounds import first_status
from bench.pps import dpdk_nfos, report
from bench.pps import run as pps_run

# testpmd's exit report as DPDK 22.11 prints it (macswap on one port).
TESTPMD_EXIT = """Press enter to exit
Telling cores to stop...
Waiting for lcores to finish...

  ---------------------- Forward statistics for port 0  ----------------------
  RX-packets: 1000000        RX-dropped: 0             RX-total: 1000000
  TX-packets: 999990         TX-dropped: 10            TX-total: 1000000
  ----------------------------------------------------------------------------

  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++
  RX-packets: 1000000        RX-dropped: 0             RX-total: 1000000
  TX-packets: 999990         TX-dropped: 10            TX-total: 1000000
  ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++

  CPU cycles/packet=55.20 (total cycles=55200000 / total RX packets=1000000) at 2600 MHz

Done.
Bye...""".splitlines()


def backend_lines(t0):
    """The backend's periodic lines (txonly to the subject, rxonly back)."""
    out = []
    for i in range(6):
        out += [(t0 + i, "  RX-packets: %d RX-missed: 0 RX-bytes: %d" % (i * 10**6, i * 6 * 10**7)),
                (t0 + i, f"  Rx-pps: {2_000_000 + i} Rx-bps: 0"),
                (t0 + i, f"  Tx-pps: {3_000_000 + i} Tx-bps: 0")]
    return out


def test_kvm_subject_skipped_under_tcg_others_on_request():
    subjects = list(pps_run.SUBJECTS)
    st = first_status(subjects, None, pps_run.ON_REQUEST, "nfos-kvm", "tcg", "nfos")
    dpdk_nfos.status(st, None, "tcg")
    assert st["dpdk-in-nfos-kvm"].startswith("skipped: no usable /dev/kvm")
    assert st["dpdk-in-nfos-tcg"].startswith("not run: name it in --subjects")
    assert st["dpdk-in-nfos-linuxu"].startswith("not run")
    st = first_status(subjects, None, pps_run.ON_REQUEST, "nfos-kvm", "kvm", "nfos")
    dpdk_nfos.status(st, None, "kvm")
    assert st["dpdk-in-nfos-kvm"] == "available"
    named = ["dpdk-in-nfos-tcg"]
    st = first_status(named, named, pps_run.ON_REQUEST, "nfos-kvm", "tcg", "nfos")
    dpdk_nfos.status(st, named, "tcg")
    assert st == {"dpdk-in-nfos-tcg": "available"}


def test_kvm_command_line():
    cmd = pps_run.subject_argv("dpdk-in-nfos-tcg", "fwd", 64, "/tmp/s.sock", None,
                               {("dpdk-testpmd", "kvm"): "/img"}, "kvm", 0.5, 2)
    assert cmd[0] == "qemu-system-x86_64" and cmd[cmd.index("-accel") + 1] == "tcg"
    assert cmd[cmd.index("-smp") + 1] == "2", "a main and a forwarding lcore"
    assert cmd[cmd.index("-kernel") + 1] == "/img"
    assert any("vhost-user" in w and "chardev=c0" in w for w in cmd)
    line = cmd[cmd.index("-append") + 1]
    assert line.startswith("nfos.cpus=2 -- -m 64 -- --forward-mode=macswap --auto-start ")
    assert "--record-core-cycles" in line and "--stats-period" not in line
    cmd = pps_run.subject_argv("dpdk-in-nfos-kvm", "tx", 64, "/s", None,
                               {("dpdk-testpmd", "kvm"): "/img"}, "kvm", 0.5, 2)
    assert cmd[cmd.index("-accel") + 1] == "kvm"
    assert "--txpkts=60" in cmd[cmd.index("-append") + 1]


def test_linuxu_command_line():
    cmd = pps_run.subject_argv("dpdk-in-nfos-linuxu", "rx", 64, "/s.sock", None,
                               {("dpdk-testpmd", "linuxu"): "/img"}, "tcg", 0.5, 2)
    assert cmd[:5] == ["/img", "netdev.dev=vhost-user:/s.sock", f"nfos.mem={80 << 20}",
                       "nfos.cpus=2", "--"], "what the bench's 2 MiB pages leave the subject"
    assert cmd[5:10] == ["-m", "32", "--", "--forward-mode=rxonly", "--auto-start"]


class FakeProc:
    def __init__(self, argv, lines=(), status=0):
        self.argv, self.lines, self.said, self.status = argv, list(lines), [], status

    def text(self):
        return [t for _, t in self.lines]

    def say(self, text):
        self.said.append(text)
        return True

    def wait(self, timeout):
        return self.status


def test_stop_is_a_newline_and_qemu_status_is_mapped():
    qemu = FakeProc(["qemu-system-x86_64"], status=1)  # the guest's 0, as QEMU says it
    assert dpdk_nfos.stop(qemu, 5) == 0 and qemu.said == ["\n"]
    assert dpdk_nfos.stop(FakeProc(["/img"], status=0), 5) == 0
    assert dpdk_nfos.stop(FakeProc(["/img"], status=None), 5) is None


def test_parse_takes_cycles_from_testpmd_and_rate_from_backend():
    su = FakeProc(["/img"], [(0.0, t) for t in TESTPMD_EXIT])
    be = FakeProc(["testpmd"], backend_lines(100.0))
    r = dpdk_nfos.parse(su, be, "fwd", pps_run.parse_testpmd, 101.0, 105.0)
    assert r["busy"] == 55.2 and r["tsc_mhz"] == 2600
    assert r["rx"] == 1000000 and r["tx"] == 999990
    assert 2.0 < r["mpps"] < 2.00001, "the backend's Rx-pps: what the subject sent back"
    assert r["bytes_per_pkt"] == 60
    r = dpdk_nfos.parse(su, be, "rx", pps_run.parse_testpmd, 101.0, 105.0)
    assert 3.0 < r["mpps"] < 3.00001 and "bytes_per_pkt" not in r
    assert pps_run.cross_check("fwd", 64, r, {"tx": 1000000, "rx": 999990}) == "ok"


def summary(busy):
    return {"summary": {"busy_cycles_per_pkt": {"median": busy}, "mpps": {"median": 1.0}}}


def test_goal_against_nfos_and_dpdk():
    res = {"nfos-kvm": summary(50.0), "dpdk": summary(52.0), "dpdk-in-nfos-kvm": summary(54.0),
           "nfos-tcg": summary(400.0), "dpdk-in-nfos-tcg": summary(480.0)}
    accel = {s: "kvm" for s in dpdk_nfos.SUBJECTS}
    accel["dpdk-in-nfos-tcg"] = "tcg"
    rat = dpdk_nfos.ratios(lambda s: res.get(s, {}), 64, accel)
    kvm, tcg = rat
    assert kvm["over_nfos"] == 54.0 / 50.0 and kvm["over_dpdk"] == 54.0 / 52.0
    assert kvm["goal"] == "not met", "at or below DPDK on Linux too"
    assert tcg["over_nfos"] == 1.2 and "over_dpdk" not in tcg and "goal" not in tcg
    res["dpdk-in-nfos-kvm"] = summary(52.0)
    assert dpdk_nfos.ratios(lambda s: res.get(s, {}), 64, accel)[0]["goal"] == "met"
    rows = dpdk_nfos.table_rows([{"case": "fwd", "size": 64, "dpdk_in_nfos": rat}])
    assert rows[1][:5] == ("fwd", 64, "dpdk-in-nfos-kvm (kvm)", "1.08x", "1.04x")
    assert dpdk_nfos.table_rows([{"case": "fwd", "size": 64}]) == []


def test_report_carries_the_ratios():
    results = {"fwd/64/nfos-kvm": summary(50.0), "fwd/64/dpdk-in-nfos-kvm": summary(55.0)}
    accel = {"dpdk-in-nfos-kvm": "kvm", "dpdk-in-nfos-tcg": "tcg", "dpdk-in-nfos-linuxu": "native"}
    rat = report.ratios(results, ["fwd"], [64], "kvm", accel)
    assert rat[0]["dpdk_in_nfos"][0]["over_nfos"] == 1.1


def test_virtio_subjects_run_dpdks_own_driver_on_pci():
    st = first_status(list(pps_run.SUBJECTS), None, pps_run.ON_REQUEST, "nfos-kvm", "tcg",
                      "nfos")
    dpdk_nfos.status(st, None, "tcg")
    assert st["dpdk-in-nfos-virtio-kvm"].startswith("skipped: no usable /dev/kvm")
    assert st["dpdk-in-nfos-virtio-tcg"].startswith("not run: name it in --subjects")
    images = {("dpdk-testpmd-virtio", "kvm"): "/virtio-img", ("dpdk-testpmd", "kvm"): "/img"}
    cmd = pps_run.subject_argv("dpdk-in-nfos-virtio-tcg", "fwd", 64, "/tmp/s.sock", None,
                               images, "kvm", 0.5, 2)
    assert "/virtio-img" in cmd and "/img" not in cmd
    assert any("virtio-net-pci" in a for a in cmd), "net_virtio needs the PCI function"
    assert dpdk_nfos.app("dpdk-in-nfos-kvm") == "dpdk-testpmd"
    assert dpdk_nfos.NFOS_PEER["dpdk-in-nfos-virtio-kvm"] == "nfos-kvm"

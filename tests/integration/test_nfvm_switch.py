"""NFOS_VMM=nfvm (nfvm_switch): QEMU command lines as the suite builds
them become the nfvm command line of the same run, or are refused by the
QEMU-only feature they use; ./nfos run gets --vmm nfvm where nfvm serves
it. No guest runs here: these need no /dev/kvm. The switch's guest runs:
on a KVM host `NFOS_VMM=nfvm make integration-tests`; here, in the nested
VM (test_nfvm_suite.py, NFOS_NFVM_NESTED=1)."""

import pytest

import nfvm_switch as sw
from tools import nfos_cli


def qemu(machine="microvm", nets=(), cpus=1, mem=64 << 20, cmdline="a -- b"):
    return nfos_cli.qemu_command("/i/img", mem, machine, "kvm", cmdline, list(nets), cpus)


def test_plain_run():
    argv = sw.nfvm_argv(qemu())
    assert argv == [sw.NFVM, "--mem", "65536K", "/i/img", "--", "a -- b"], argv


def test_cpus_nets_initrd():
    nets = [{"kind": "tap", "arg": "t0", "queues": 2},
            {"kind": "vhost-user", "arg": "/s/v.sock"}]
    argv = sw.nfvm_argv(qemu(nets=nets, cpus=2) + ["-initrd", "/x.cpio"])
    assert argv[1:] == ["--mem", "65536K", "--cpus", "2", "--net", "tap:t0,queues=2",
                        "--net", "vhost-user:/s/v.sock,queues=2", "--initrd", "/x.cpio", "/i/img", "--",
                        "a -- b"], argv
    assert sw.nfvm_argv(qemu(mem=2 << 20) + ["-smp", "2"])[1:5] == ["--mem", "2048K", "--cpus",
                                                                   "2"]
    mac = [{"kind": "tap", "arg": "t0", "mac": "02:00:00:00:00:01"}]
    assert sw.nfvm_argv(qemu(nets=mac))[3:5] == ["--net", "tap:t0,mac=02:00:00:00:00:01"]


@pytest.mark.parametrize("cmd,why", [
    (qemu("q35"), "machine q35"),
    (qemu("microvm,pcie=on"), "PCIe"),
    (qemu("microvm") + ["-M", "microvm,acpi=off"], "microvm option(s) acpi"),
    (qemu(nets=[{"kind": "user", "arg": "", "fwd": []}]), "-netdev user"),
    (qemu(nets=[{"kind": "tap", "arg": "t0", "mac": "02:00:00:00:00:01"}]) + ["-device",
     "virtio-net-device,netdev=n0,speed=10"], "virtio-net-device with speed"),
    (qemu() + ["-device", "virtio-rng-device"], "device virtio-rng-device"),
    (qemu() + ["-s"], "option -s"),
    (qemu(mem=1 << 20), "guest RAM under 2 MiB"),
    (qemu() + ["-serial", "file:/x"], "-serial file:/x"),
])
def test_qemu_only_runs_are_refused(cmd, why):
    with pytest.raises(sw.Unserved, match=why.replace("(", r"\(").replace(")", r"\)")):
        sw.nfvm_argv(cmd)


def test_nfos_run_argv():
    run = sw.nfos_run_argv
    assert run(("run", "helloworld", "--", "x")) == ["run", "helloworld", "--vmm", "nfvm", "--",
                                                      "x"]
    assert run(("run", "pong", "--net", "tap:t0"))[2:4] == ["--vmm", "nfvm"]
    for same in (("run", "helloworld", "--plat", "linuxu"), ("run", "nope"),
                 ("run", "helloworld", "--vmm", "qemu"), ("build", "helloworld")):
        assert run(same) == list(same)
    for argv, why in ((("run", "helloworld", "--machine", "q35"), "--machine"),
                      (("run", "pong", "--net", "user:udp:7"), "--net user:udp:7"),
                      (("run", "helloworld", "--accel", "tcg"), "--accel")):
        with pytest.raises(sw.Unserved, match=why):
            run(argv)
    default = nfos_cli.run_defaults("kvstore").get("kvm", {}).get("net")
    if default and not default.startswith(("tap:", "vhost-user:")):
        with pytest.raises(sw.Unserved, match="--net"):
            run(("run", "kvstore"))


def test_off_by_default(monkeypatch):
    monkeypatch.delenv("NFOS_VMM", raising=False)
    assert not sw.wanted()
    monkeypatch.setenv("NFOS_VMM", "qemu")
    assert not sw.wanted()
    monkeypatch.setenv("NFOS_VMM", "nfvm")
    assert sw.wanted()


def test_served_or_skip(monkeypatch):
    """linuxu runs pass untouched; a kvm run skips when nfvm has no
    /dev/kvm, and a QEMU-only one says which feature."""
    linuxu = ("run", "helloworld", "--plat", "linuxu")
    assert sw.served_or_skip(sw.nfos_run_argv, linuxu) == list(linuxu)
    monkeypatch.setenv("NFOS_ACCEL", "tcg")
    with pytest.raises(pytest.skip.Exception, match="nfvm needs /dev/kvm"):
        sw.served_or_skip(sw.nfos_run_argv, ("run", "helloworld"))
    with pytest.raises(pytest.skip.Exception, match=f"{sw.SKIP_PREFIX}: machine q35"):
        sw.served_or_skip(sw.nfvm_argv, qemu("q35"))


def test_mmio_qemu_only_and_vm_status(monkeypatch):
    """The helpers of the tests that start a guest themselves: PCIe that
    is only nfos run's default becomes virtio-mmio under nfvm (other
    machines stay, and are refused by nfvm_argv); a QEMU test skips under
    nfvm with the switch's prefix; the guest's status comes from nfvm as
    is, from QEMU mapped."""
    import conftest
    monkeypatch.delenv("NFOS_VMM", raising=False)
    assert sw.mmio("microvm,pcie=on") == "microvm,pcie=on"
    sw.qemu_only("not skipped without NFOS_VMM")
    assert conftest.vm_status(7) == 3 and conftest.vm_status(-15) == 143
    monkeypatch.setenv("NFOS_VMM", "nfvm")
    assert [sw.mmio(m) for m in ("microvm,pcie=on", "microvm", "q35")] == \
        ["microvm", "microvm", "q35"]
    assert sw.nfvm_argv(qemu(sw.mmio("microvm,pcie=on")))[:3] == [sw.NFVM, "--mem", "65536K"]
    with pytest.raises(pytest.skip.Exception, match=f"{sw.SKIP_PREFIX}: QEMU's own"):
        sw.qemu_only("QEMU's own")
    assert conftest.vm_status(7) == 7 and conftest.vm_status(-15) == 143

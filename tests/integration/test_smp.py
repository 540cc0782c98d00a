"""SMP: tests/apps/smptest (lcore launch/wait/barrier, per-lcore variables,
idle lcores that sleep, the per-lcore pool caches balancing after a storm)
on 2-vCPU kvm images (KVM or TCG) and 2-thread linuxu processes, the same
tests with one lcore, and the refusals of a bad CPU count."""

import os
import re

import pytest

from conftest import boot, image_fixture, nfos, run_linuxu

smptest_kvm = image_fixture("smptest", "kvm")
smptest_linuxu = image_fixture("smptest", "linuxu")


def check_tap(r, lcores):
    assert r.status == 0, r
    plan = re.search(r"^1\.\.(\d+)$", r.out, re.M)
    assert plan and int(plan.group(1)) >= 20, r
    assert not re.search(r"^not ok", r.out, re.M), r
    assert len(re.findall(r"^ok \d+ ", r.out, re.M)) == int(plan.group(1)), r
    assert f"ok 1 - {lcores} lcores, {lcores} expected" in r.out, r
    caches = "(caches)" if lcores > 1 else "(none)"
    assert f"per-lcore caches exactly when lcores > 1 {caches}" in r.out, r


def test_smp_kvm_2cpus(smptest_kvm):
    r = boot(smptest_kvm, params=["nfos.boottrace=1"], args=["2"], extra=["-smp", "2"])
    check_tap(r, 2)
    assert "storm of 20000 rounds on 2 lcores: 0 errors" in r.out, r
    # The boot trace shows the AP: asked to start, real mode, CPL3.
    m = re.search(r"^boottrace: cpu1 start (\d+) ns, entry \+(\d+) ns, cpl3 \+(\d+) ns", r.out,
                  re.M)
    assert m and all(int(v) > 0 for v in m.groups()), r


def test_smp_kvm_1cpu(smptest_kvm):
    r = boot(smptest_kvm, args=["1"])
    check_tap(r, 1)
    assert "boottrace: cpu" not in r.out


def test_smp_kvm_cpus_param_limits(smptest_kvm):
    r = boot(smptest_kvm, params=["nfos.cpus=1"], args=["1"], extra=["-smp", "2"])
    check_tap(r, 1)
    r = boot(smptest_kvm, params=["nfos.cpus=3"], extra=["-smp", "2"])
    assert r.status == 2 and "nfos.cpus=3: expected 1 to 2" in r.text, r


def test_smp_linuxu_2threads(smptest_linuxu):
    pin = "0,1" if (os.cpu_count() or 1) >= 2 else "0,0"
    check_tap(run_linuxu(smptest_linuxu, params=["nfos.cpus=2", f"nfos.cpu_pin={pin}"],
                         args=["2"]), 2)


def test_smp_linuxu_1thread(smptest_linuxu):
    check_tap(run_linuxu(smptest_linuxu, args=["1"]), 1)


@pytest.mark.parametrize("params, says", [
    (["nfos.cpus=0"], "nfos.cpus=0: expected 1 to"),
    (["nfos.cpus=x"], "bad value 'x' for nfos.cpus"),
    (["nfos.cpus=2", "nfos.cpu_pin=0,x"], "nfos.cpu_pin=0,x: expected host CPU numbers"),
])
def test_smp_linuxu_bad_params(smptest_linuxu, params, says):
    r = run_linuxu(smptest_linuxu, params=params)
    assert r.status == 2 and says in r.err, r


def test_nfos_run_cpus(smptest_linuxu):
    r = nfos("run", "smptest", "--plat", "linuxu", "--cpus", "2", "--", "2")
    check_tap(r, 2)
    r = nfos("run", "smptest", "--cpus", "0")
    assert r.status != 0 and "--cpus 0: expected 1 or more" in r.err, r

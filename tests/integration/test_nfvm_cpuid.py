"""nfvm's CPUID cache (vmm/cpuid_cache.c) on /dev/kvm: the first run asks
KVM and writes the table, the next takes it from the file, and the guest
runs the same either way; a damaged file, or one others may write, is
passed over (KVM asked again and the file rewritten); NFVM_CPUID_CACHE=off
never touches a file. The file's checks without KVM are vmm/tests/
test_cpuid_cache.c's. Skipped without a usable /dev/kvm."""

import os
import re
import subprocess

import pytest

from conftest import build
from nfvm_switch import make_nfvm
from tools import nfos_cli

NFVM = os.path.join(nfos_cli.ROOT, "build", "nfvm", "nfvm")
WANT = "Hello from nfos!\nargv[0] = \"helloworld\"\nargv[1] = \"x\"\n"

pytestmark = pytest.mark.skipif(not nfos_cli.kvm_usable(),
                                reason="nfvm's CPUID cache is KVM's table: needs /dev/kvm")


def run(cache):
    """(where the table came from, the guest's output) of one helloworld run."""
    r = subprocess.run([NFVM, "--trace", build("helloworld", "kvm"), "--", "-- x"],
                       env=dict(os.environ, NFVM_CPUID_CACHE=str(cache)),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    m = re.search(r"^nfvm: KVM's supported CPUID from (.+)$", r.stderr, re.M)
    assert m, r.stderr
    return m.group(1), r.stdout


def test_cached_then_taken(tmp_path):
    make_nfvm()
    cache = tmp_path / "c"
    assert run(cache) == ("KVM (cached)", WANT)
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].name.startswith("cpuid-"), files
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
    assert run(cache) == ("the cache", WANT)


def test_damaged_or_shared_file_passed_over(tmp_path):
    make_nfvm()
    cache = tmp_path / "c"
    run(cache)
    (f,) = cache.iterdir()
    good = f.read_bytes()
    f.write_bytes(good[:-3])
    assert run(cache) == ("KVM (cached)", WANT)
    assert f.read_bytes() == good, "rewritten whole"
    f.chmod(0o666)
    assert run(cache) == ("KVM (cached)", WANT)
    assert f.stat().st_mode & 0o022 == 0, "the rewritten file is not shared-writable"


def test_off():
    make_nfvm()
    assert run("off") == ("KVM (no cache)", WANT)
    assert not os.path.exists("off")

"""nfvm (vmm/), our KVM monitor: helloworld and selftest under its direct
CPL3 entry and its PVH path, exit statuses, the exception report, and the
errors nfvm reports itself, pong answering ping through nfvm's
virtio-net (virtio-mmio, TAP backend) and idling under both entries, and
smptest on two vCPUs that nfvm started itself (--cpus 2), pong on two
lcores with a queue pair each (multiqueue virtio-mmio on a multi-queue
TAP), and posixtest reading nfvm's stdin on COM1 (also late: the guest
sleeps in nfvm until a byte comes). Guest runs need /dev/kvm. Without it they run
in a TCG VM with nested KVM when NFOS_NFVM_NESTED=1 (vmm/tests/nested_kvm.py:
downloads Debian's kernel package once, then about a minute), else they are
skipped with that reason. nfvm's own errors are checked everywhere."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

import nfvm_switch
from conftest import BOOT_TIMEOUT, ROOT, Result, build, nfos
from tools import files, guest, nfos_cli

NFVM = os.path.join(ROOT, "build", "nfvm", "nfvm")
HELLO, SELFTEST, PONG = "helloworld_kvm-x86_64", "selftest_kvm-x86_64", "pong_kvm-x86_64"
SMPTEST = "smptest_kvm-x86_64"
PONG_SMP = "pong_kvm-x86_64-smp"  # its SMP variant (make SMP=1): an AP entry
POSIX = "posixtest_kvm-x86_64"
RXSINK = "rxsink_kvm-x86_64"
LUA, CPIO = "lua_kvm-x86_64", "nfvm-files.cpio"
TREE = os.path.join(ROOT, "build", "nfvm", "files", "tree")
TREE_GUEST = files.guest_prefix(TREE)

# The nested VM's own network: pong behind nfvm's TAP, pinged by the VM's kernel.
PONG_NESTED = f"""
/bin/nfvm --net tap:nt0 /img/{PONG} -- netdev.ip=10.12.0.2/24 > /tmp/pong 2>&1 & P=$!
i=0; while [ ! -e /sys/class/net/nt0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
ip link set nt0 up && ip addr add 10.12.0.1/24 dev nt0
ping -c 3 -W 20 10.12.0.2; r=$?
kill $P; wait $P; cat /tmp/pong; exit $r
"""

# name -> (images, nfvm arguments; an image is named by its file name)
CASES = {
    "hello": ([HELLO], [HELLO, "--", nfos_cli.guest_cmdline([], ["one", "two words", "exit=3"])]),
    "hello_pvh": ([HELLO], ["--boot", "pvh", HELLO, "--", "-- exit=5"]),
    "hello_2m": ([HELLO], ["--mem", "2M", "--trace", HELLO]),
    "status127": ([HELLO], [HELLO, "--", "-- exit=127"]),
    "boottrace": ([HELLO], [HELLO, "--", "nfos.boottrace=1"]),
    "selftest": ([SELFTEST], ["--mem", "64M", SELFTEST]),
    "selftest_8m": ([SELFTEST], ["--mem", "8M", SELFTEST]),
    "selftest_high": ([SELFTEST], ["--mem", "3200M", SELFTEST]),  # RAM above 4 GiB too
    "fault": ([SELFTEST], [SELFTEST, "--", "-- fault"]),
    # rxsink on the null device never stops by itself
    "timeout": ([RXSINK], ["--timeout", "2", RXSINK, "--", "netdev.dev=null"]),
    # --initrd: lua runs a script from the file tree (./nfos run --files)
    "files": ([LUA, CPIO], ["--initrd", CPIO, LUA, "--", "--", f"{TREE_GUEST}/t.lua", "x"]),
    # SMP: nfvm starts the AP at the image's CPL3 entry (no INIT/SIPI)
    "smp": ([SMPTEST], ["--cpus", "2", "--trace", SMPTEST, "--", "nfos.boottrace=1 -- 2"]),
    "smp_fault": ([SMPTEST], ["--cpus", "2", SMPTEST, "--", "-- fault"]),
    # an image that never starts its AP (SMP, told one lcore): the exit port
    # stops the sleeping vCPU too
    "smp_1lcore": ([SMPTEST], ["--cpus", "2", "--trace", SMPTEST, "--", "nfos.cpus=1 -- 1"]),
}
# pong idles between two pairs of pings, then its --time ends it: nfvm's
# idle sleeps in the report of both.
IDLE_NESTED = f"""
/bin/nfvm --trace --net tap:nt0 /img/{PONG} -- netdev.ip=10.12.0.2/24 -- --time 12 \
  > /tmp/pong 2>&1 & P=$!
i=0; while [ ! -e /sys/class/net/nt0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
ip link set nt0 up && ip addr add 10.12.0.1/24 dev nt0
ping -c 2 -W 20 10.12.0.2; a=$?; sleep 2; ping -c 2 -W 20 10.12.0.2; b=$?
wait $P; s=$?; cat /tmp/pong; [ $a = 0 ] && [ $b = 0 ] && exit $s; exit 9
"""
# pong on two lcores under nfvm --cpus 2: nfvm makes nt0 a multi-queue TAP
# (a queue per pair) and 16 source addresses ping it (flows on both queues;
# all on one: 1 in 2^15).
MQ_NESTED = f"""
/bin/nfvm --cpus 2 --net tap:nt0 /img/{PONG_SMP} -- nfos.cpus=2 nfos.verbose=1 \
  netdev.ip=10.12.0.100/24 -- --time 60 > /tmp/pong 2>&1 & P=$!
i=0; while [ ! -e /sys/class/net/nt0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
ip link set nt0 up
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do ip addr add 10.12.0.$i/24 dev nt0; done
i=0; while ! grep -q "lcore i on queue pair i" /tmp/pong && [ $i -lt 600 ]; do
  sleep 0.1; i=$((i+1)); done
lost=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
  ping -c 1 -W 20 -I 10.12.0.$i 10.12.0.100 > /dev/null || lost="$lost $i"; done
wait $P; s=$?; cat /tmp/pong; echo "lost:$lost"; exit $s
"""
TYPED = "first line\nsecond\n"
# posixtest reads stdin to its end as its last test: typed at once, and
# late (once it printed the test before: it sleeps in nfvm meanwhile).
CONSOLE_NESTED = f"printf '{TYPED}' | /bin/nfvm --trace /img/{POSIX}"
CONSOLE_LATE_NESTED = f"""
mkfifo /tmp/in
( exec 3>/tmp/in; i=0
  while ! grep -q "unknown system call fails" /tmp/c 2>/dev/null && [ $i -lt 1200 ]; do
    sleep 0.1; i=$((i+1)); done
  sleep 2; printf 'late\n' >&3 ) &
/bin/nfvm --trace /img/{POSIX} < /tmp/in > /tmp/c 2>&1; s=$?; cat /tmp/c; exit $s
"""
NESTED_ONLY = {"pong": ([PONG], PONG_NESTED),  # on a KVM host: test_pong_tap
               "mq": ([PONG_SMP], MQ_NESTED),
               "console": ([POSIX], CONSOLE_NESTED),
               "console_late": ([POSIX], CONSOLE_LATE_NESTED),
               "idle": ([PONG], IDLE_NESTED),
               # the same through the PVH entry: the guest finds nfvm by CPUID
               "idle_pvh": ([PONG], IDLE_NESTED.replace("--trace", "--trace --boot pvh"))}


def files_archive():
    """A one-script tree packed as ./nfos run --files packs it, under the
    name CPIO (the nested VM finds images by their file name)."""
    os.makedirs(TREE, exist_ok=True)
    with open(os.path.join(TREE, "t.lua"), "w") as f:
        f.write('print("from the initrd: " .. arg[1])\n')
    path = os.path.join(os.path.dirname(TREE), CPIO)
    with open(path, "wb") as f:
        f.write(open(files.pack(TREE), "rb").read())
    return path


def smp_image(app):
    """app's SMP variant under a name of its own (the nested VM names
    images by file name; the variant's is the plain one's)."""
    path = os.path.join(ROOT, "build", "nfvm", f"{app}_kvm-x86_64-smp")
    with open(path, "wb") as f:
        f.write(open(build(app, "kvm", smp=True), "rb").read())
    return path


def make_nfvm():
    r = subprocess.run(["make", "-s", "-C", ROOT, "nfvm"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def run(argv, timeout=BOOT_TIMEOUT):
    return subprocess.run([NFVM] + argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def host_script(script, paths):
    """A nested-VM script on this KVM host, in a network namespace and a
    folder of its own (both always removed), nfvm and images at host paths."""
    ns, tmp = f"nfos-nfvm-{os.getpid()}", tempfile.mkdtemp(prefix="nfos-nfvm-")
    # Its files first: the host paths put in next may lie under /tmp too.
    script = script.replace("/tmp/", tmp + "/").replace("/bin/nfvm", NFVM)
    for name in sorted(paths, key=len, reverse=True):  # pong_..-smp before pong_..
        script = script.replace(f"/img/{name}", paths[name])
    subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
    try:
        r = subprocess.run(["ip", "netns", "exec", ns, "sh", "-c", "ip link set lo up; " + script],
                           capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
        return Result(r.returncode, r.stdout, r.stderr)
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def results():
    """Every case's result, from /dev/kvm or from the nested VM."""
    make_nfvm()
    paths = {HELLO: build("helloworld", "kvm"), SELFTEST: build("selftest", "kvm"),
             SMPTEST: build("smptest", "kvm"), POSIX: build("posixtest", "kvm"),
             PONG: build("pong", "kvm"), PONG_SMP: smp_image("pong"),
             RXSINK: build("rxsink", "kvm"),
             LUA: build("lua", "kvm"), CPIO: files_archive()}
    if nfos_cli.kvm_usable():
        out = {}
        for name, (_, argv) in CASES.items():
            r = run([paths.get(a, a) for a in argv])
            out[name] = Result(r.returncode, r.stdout, r.stderr)
        for name, (_, script) in NESTED_ONLY.items():
            if name != "pong":  # test_pong_tap does it here
                out[name] = host_script(script, paths)
        return out
    if os.environ.get("NFOS_NFVM_NESTED") != "1":
        pytest.skip("nfvm's guest runs need /dev/kvm (usable, NFOS_ACCEL not tcg); "
                    "NFOS_NFVM_NESTED=1 runs them under nested KVM in a TCG VM")
    from vmm.tests import nested_kvm as nested
    cases = [(n, [paths[i] for i in imgs], [f"/img/{a}" if a in paths else a for a in argv])
             for n, (imgs, argv) in CASES.items()]
    cases += [(n, [paths[i] for i in imgs], script) for n, (imgs, script) in NESTED_ONLY.items()]
    got = nested.run_cases(cases)
    for n in list(CASES) + list(NESTED_ONLY):
        assert n in got, f"case {n} did not report; VM console:\n" + got["_console"][-3000:]
    return {n: Result(r.status, r.out, r.err) for n, r in got.items() if n != "_console"}


def check_hello(r, args=()):
    assert r.out.splitlines()[0] == "Hello from nfos!", r
    assert 'argv[0] = "helloworld"' in r.out, r
    for i, a in enumerate(args, 1):
        assert f'argv[{i}] = "{a}"' in r.out, r


def check_tap(r):
    assert r.status == 0, r
    plan = re.search(r"^1\.\.(\d+)$", r.out, re.M)
    assert plan, r
    assert not re.search(r"^not ok", r.out, re.M), r
    assert len(re.findall(r"^ok \d+ ", r.out, re.M)) == int(plan.group(1)) >= 20, r
    assert "running at CPL3" in r.out, r


def test_hello_direct(results):
    r = results["hello"]
    assert r.status == 3, r
    check_hello(r, ["one", "two words", "exit=3"])


def test_hello_pvh(results):
    r = results["hello_pvh"]
    assert r.status == 5, r
    check_hello(r, ["exit=5"])


def test_hello_in_2mib(results):
    r = results["hello_2m"]
    assert r.status == 0, r
    check_hello(r)
    # --trace: each start-up step, the first exit and the exit count.
    m = re.search(r"^nfvm: trace \(ms after main\): memory [\d.]+, .* end [\d.]+; "
                  r"first exit [\d.]+; (\d+) exits$", r.err, re.M)
    assert m, r
    # The console's buffer port: a write is one exit, not one a byte (as
    # `rep outsb` is under nested PVM).
    assert int(m.group(1)) < len(r.out) // 4, r


def test_status_127_travels(results):
    assert results["status127"].status == 127, results["status127"]


def test_boottrace_direct(results):
    r = results["boottrace"]
    assert r.status == 0, r
    names = re.findall(r"^boottrace: (\w+) +\d+ ns", r.out, re.M)
    assert names == ["entry", "longmode", "cpl3", "memory", "devices", "main"], r
    assert re.search(r"^boottrace: tsc \d+ Hz \(nfvm\)$", r.out, re.M), r


def test_selftest_direct(results):
    check_tap(results["selftest"])
    check_tap(results["selftest_8m"])


def test_ram_above_the_mmio_hole(results):
    """3200 MiB: 3 GiB below the hole, 128 MiB at 4 GiB (a second memory
    slot), both in the guest's memory map."""
    r = results["selftest_high"]
    check_tap(r)
    assert "memmap: 2 RAM region(s), 3276800 KiB in all" in r.out, r


def test_fault_report_direct(results):
    """An exception at CPL3 reaches the image's CPL0 stub through the IDT
    and the TSS nfvm loaded, and the report comes back at CPL3."""
    r = results["fault"]
    assert r.status == 126, r
    assert "fatal exception 0x000000000000000e (#PF page fault)" in r.out, r
    assert "cr2 0x00007f0000000000" in r.out, r


def test_timeout_ends_a_guest(results):
    r = results["timeout"]
    assert r.status == 124, r
    assert "nfvm: the guest still ran after --timeout 2 s: ended" in r.err, r


def test_pong_answers_ping_nested(results):
    """virtio-net over virtio-mmio with a TAP: pong answers the kernel's
    ping. In the nested VM only; on a KVM host test_pong_tap does it."""
    if "pong" not in results:
        pytest.skip("on a KVM host: test_pong_tap")
    r = results["pong"]
    assert r.status == 0 and " 0% packet loss" in r.out, r
    assert "pong: port 0 (vnet0) answers for 10.12.0.2" in r.out, r


def test_initrd_files(results):
    """nfvm --initrd: the image's plat_initrd() finds the archive, lua reads
    its script from it (the direct entry's boot info names the initrd)."""
    r = results["files"]
    assert r.status == 0 and "from the initrd: x" in r.out, r


@pytest.mark.parametrize("case", ["idle", "idle_pvh"])
def test_idle_sleeps_nested(results, case):
    """pong idles under nfvm: it arms, sleeps in nfvm's ppoll, is woken by
    the pings' frames and by its --time, and answers every ping; entered
    through its direct entry (the boot info announces the idle port) or
    through PVH (nfvm's CPUID leaf does)."""
    if case not in results:
        pytest.skip("nested VM or KVM host only")
    r = results[case]
    assert r.status == 0, r
    assert re.search(r"pong: port 0: \d+ ARP replies, 4 echo replies", r.out), r
    m = re.search(r"^pong: idle: (\d+) periods, (\d+) sleeps \((\d+) woken by a frame, (\d+) by "
                  r"a timer\), ([\d.]+) s asleep$", r.out, re.M)
    assert m and int(m[2]) >= 2 and int(m[3]) >= 1 and float(m[5]) > 1.0, r
    n = re.search(r"^nfvm: idle: (\d+) arms, (\d+) sleeps", r.out, re.M)
    assert n and int(n[2]) == int(m[2]), r


def nested(results, case):
    if case not in results:
        pytest.skip("nested VM or KVM host only")
    return results[case]


def test_mq_two_queue_pairs_nested(results):
    """pong on two lcores under nfvm --cpus 2: nfvm offers MQ with two
    pairs, the driver sets both through nfvm's control queue, the TAP
    steers the flows of 16 sources over its two queues, both lcores answer
    and every ping is answered."""
    r = nested(results, "mq")
    assert r.status == 0 and "lost:\n" in r.out, r
    assert ("virtio-net: vnet0: 2 queue pairs, the backend picks each frame's queue (no "
            "RSS)\n") in r.out, r
    tx = [int(t) for t in re.findall(r"^pong: lcore \d rx \d+ pkts tx (\d+) pkts", r.out, re.M)]
    assert len(tx) == 2 and all(tx) and sum(tx) >= 16, r


@pytest.mark.parametrize("case", ["console", "console_late"])
def test_console_input_nested(results, case):
    """nfvm's stdin is the guest's COM1 input, through its line discipline
    (echoed), with ^D after the end, as under QEMU (test_console_input);
    typed late, the guest waits for it asleep in nfvm (the console op of
    the idle port), woken by stdin."""
    from conftest import check_tap as posix_tap
    r = nested(results, case)
    text = "first line\nsecond\n" if case == "console" else "late\n"
    posix_tap(r)
    assert f"# stdin: {len(text)} bytes: {text}\n" in r.out, r
    assert r.out.index(text) < r.out.index("# stdin:"), r  # the echo
    m = re.search(r"^nfvm: idle: \d+ arms, (\d+) sleeps \((\d+) woken by a device", r.out + r.err,
                  re.M)
    assert m, r
    if case == "console_late":
        assert int(m[1]) >= 1 and int(m[2]) >= 1, r


def test_smp_two_vcpus(results):
    """smptest on two vCPUs nfvm started itself: every lcore test passes,
    the boot trace shows the AP (woken at CPL3: no CPL0 step), and idle
    lcores slept in nfvm and were woken through it."""
    r = results["smp"]
    from test_smp import check_tap as smp_tap
    smp_tap(r, 2)
    assert re.search(r"^boottrace: cpu1 start \d+ ns, entry \+\d+ ns, cpl3 \+0 ns", r.out, re.M), r
    m = re.search(r"^nfvm: 2 vCPUs: (\d+) waits, (\d+) wakes$", r.err, re.M)
    assert m and int(m[1]) > 0 and int(m[2]) > 0, r


def test_smp_fault_on_the_ap(results):
    """A page fault on vCPU 1 reaches the image's handler through that
    vCPU's own TSS, names cpu 1, and its exit status stops vCPU 0 too."""
    r = results["smp_fault"]
    assert r.status == 126, r
    assert "fatal exception 0x000000000000000e (#PF page fault) on cpu 1" in r.out, r
    assert "the fault did not happen" not in r.out, r


def test_smp_exit_stops_a_sleeping_vcpu(results):
    r = results["smp_1lcore"]
    assert r.status == 0 and "ok 1 - 1 lcores, 1 expected" in r.out, r
    assert re.search(r"^nfvm: 2 vCPUs: \d+ waits, 0 wakes$", r.err, re.M), r


# --- nfvm's own errors: no guest runs, so these need no /dev/kvm --------------

def test_nfvm_command_passes_the_files_archive(tmp_path):
    cmd = guest.nfvm_command("img", 64 << 20, "a", [{"kind": "tap", "arg": "t0"}], "/x.cpio")
    assert cmd[1:] == ["--mem", "65536K", "--net", "tap:t0", "--initrd", "/x.cpio", "img", "--",
                       "a"], cmd
    make_nfvm()
    r = run(["--initrd", "/nonexistent", build("helloworld", "kvm")])
    assert r.returncode == 202 and "nfvm: /nonexistent: No such file" in r.stderr, r
    big = tmp_path / "big"
    big.write_bytes(b"\0" * (3 << 20))
    r = run(["--mem", "2M", "--initrd", str(big), build("helloworld", "kvm")])
    assert r.returncode == 202 and "does not fit in the RAM below 3 GiB" in r.stderr, r


def test_usage():
    make_nfvm()
    r = run([])
    assert r.returncode == 2 and "which image?" in r.stderr, r
    r = run(["--mem", "1M", "x"])
    assert r.returncode == 2 and "--mem" in r.stderr, r
    r = run(["--net", "user:x", "x"])
    assert r.returncode == 2 and "--net: tap:IF, vhost-user:SOCK or none" in r.stderr, r
    for bad in ("0", "17", "-1", "2x", ""):
        r = run(["--net", f"tap:t0,queues={bad}", "x"])
        assert r.returncode == 2 and "--net ...,queues=N: N from 1 to 16" in r.stderr, r
    r = run(["--net", "tap:,queues=2", "x"])
    assert r.returncode == 2 and "--net: tap:IF" in r.stderr, r
    for bad in ("02:00:00:00:00", "02:00:00:00:00:0g", "03:00:00:00:00:01", "02-00-00-00-00-01",
                "02:00:00:00:00:011", ""):
        r = run(["--net", f"tap:t0,mac={bad}", "x"])
        assert r.returncode == 2 and "--net ...,mac=MAC: a unicast" in r.stderr, (bad, r)
    for bad in ("tap:t0,mac=02:00:00:00:00:01,mac=02:00:00:00:00:02", "tap:t0,queues=2,queues=2",
                "tap:t0,queues=2,x=1", "tap:t0,rss,rss"):
        r = run(["--net", bad, "x"])
        assert r.returncode == 2 and "once each" in r.stderr, (bad, r)
    r = run(["--net", "vhost-user:/s,rss", "x"])
    assert r.returncode == 2 and "RSS is the TAP backend's" in r.stderr, r
    for good in ("tap:t0,mac=02:aB:00:00:00:01,queues=2", "tap:t0,queues=2,mac=02:00:00:00:00:01",
                 "tap:t0,rss,queues=2", "tap:t0,queues=2,rss", "tap:t0,rssx"):
        r = run(["--net", good, "x"])  # past the options: the missing image is refused
        assert r.returncode == 202 and "usage" not in r.stderr, (good, r)
    r = run(["--help"])
    assert r.returncode == 0 and "--boot pvh" in r.stdout and "202 set-up" in r.stdout, r
    for bad in ("0", "65", "-1", "2x"):
        r = run(["--cpus", bad, "x"])
        assert r.returncode == 2 and "--cpus: expected 1 to 64" in r.stderr, r


def test_cpus_refused_before_kvm():
    """--cpus N with PVH, or more than the RAM holds blocks for, or for an
    image built without SMP (its note has no AP entry): refused by name
    before /dev/kvm is opened."""
    make_nfvm()
    smp = build("smptest", "kvm")  # SMP on in its defconfig
    r = run(["--cpus", "2", "--boot", "pvh", smp])
    assert r.returncode == 202 and "--cpus 2 needs the direct entry" in r.stderr, r
    r = run(["--mem", "2M", "--cpus", "64", smp])
    assert r.returncode == 202 and "give --mem more, or fewer --cpus" in r.stderr, r
    r = run(["--cpus", "2", build("helloworld", "kvm")])
    assert r.returncode == 202 and "the image starts no other CPU (no AP entry)" in r.stderr, r
    assert guest.nfvm_command("img", 2 << 20, "", cpus=2)[3:5] == ["--cpus", "2"]


def test_not_an_image():
    make_nfvm()
    r = run([os.path.join(ROOT, "README.md")])
    assert r.returncode == 202 and "not an ELF file" in r.stderr, r


def test_nfos_run_refuses_without_kvm(monkeypatch):
    monkeypatch.setenv("NFOS_ACCEL", "tcg")
    r = nfos("run", "helloworld", "--vmm", "nfvm")
    assert r.status == 2 and "--vmm nfvm needs /dev/kvm" in r.err, r


# --- ./nfos run --vmm nfvm: on /dev/kvm only ----------------------------------

needs_kvm = pytest.mark.skipif(not nfos_cli.kvm_usable(),
                               reason="./nfos run --vmm nfvm needs /dev/kvm")


@needs_kvm
def test_nfos_run_hello():
    r = nfos("run", "helloworld", "--vmm", "nfvm", "--", "a", "b c", "exit=4")
    assert r.status == 4, r
    check_hello(r, ["a", "b c", "exit=4"])


@needs_kvm
def test_nfos_run_selftest():
    check_tap(nfos("run", "selftest", "--vmm", "nfvm"))


@needs_kvm
def test_nfos_run_gives_stdin():
    """./nfos run --vmm nfvm hands nfvm its stdin, which the guest reads
    on COM1 as under QEMU (test_console_input): the text, then ^D."""
    from conftest import check_tap as posix_tap
    text = "first line\nsecond\n"
    r = nfos("run", "posixtest", "--vmm", "nfvm", input=text)
    posix_tap(r)
    assert f"# stdin: {len(text)} bytes: {text}\n" in r.out, r


@needs_kvm
@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
def test_pong_tap():
    """pong under nfvm (the command ./nfos run pong --vmm nfvm --net tap:IF
    starts) answers ping in a namespace of its own."""
    from test_packets import Netns, ping, reap, wait_line
    make_nfvm()
    nets = [{"kind": "tap", "arg": "nt0"}]
    params = nfos_cli.net_params(nets, ["10.11.0.2/24"], [], "kvm")
    cmd = guest.nfvm_command(build("pong", "kvm"), 64 << 20,
                                nfos_cli.guest_cmdline(params, []), nets)
    ns = Netns(f"nfos-nfvm{os.getpid()}")
    try:
        ns.tap("nt0", "10.11.0.1/24")
        proc = ns.popen(*cmd)
        try:
            wait_line(proc, r"pong: port 0 \(vnet0\) answers for 10\.11\.0\.2")
            r = ping(ns, "10.11.0.2")
        finally:
            out, err = reap(proc)
        assert r.returncode == 0 and " 0% packet loss" in r.stdout, (r.stdout, r.stderr, out, err)
    finally:
        ns.remove()


def test_nfos_run_nfvm_refuses_other_nets(monkeypatch):
    r = nfos("run", "pong", "--vmm", "nfvm", "--net", "user:udp:7")
    assert r.status == 2 and "only --net tap:IF and vhost-user:SOCK" in r.err, r
    cmd = guest.nfvm_command("img", 2 << 20, "", [{"kind": "vhost-user", "arg": "/s"}])
    assert cmd[3:5] == ["--net", "vhost-user:/s"], cmd
    cmd = guest.nfvm_command("img", 2 << 20, "", [{"kind": "tap", "arg": "t0",
                                                   "mac": "02:00:00:00:00:07"}])
    assert cmd[3:5] == ["--net", "tap:t0,mac=02:00:00:00:00:07"], cmd
    cmd = guest.nfvm_command("img", 2 << 20, "", [{"kind": "tap", "arg": "t0", "rss": True}])
    assert cmd[3:5] == ["--net", "tap:t0,rss"], cmd


# --- idle: the guest side under QEMU (TCG here) and linuxu --------------------

def idle_pings(ns):
    """Two pings, a pause with nothing to do, two more: all answered."""
    for _ in range(2):
        from test_packets import ping
        r = ping(ns, "10.11.0.2", count=2)
        assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout + r.stderr
        time.sleep(1.5)


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
@pytest.mark.parametrize("plat,idle_us", [("linuxu", None), ("linuxu", 0), ("kvm", None)])
def test_idle_pong_answers_after_a_pause(plat, idle_us):
    """nfapp's idle hook (nfos.idle_us, default 50 us): pong still answers
    after idling, and its report counts the idle periods. linuxu sleeps in
    ppoll() on the TAP's fd, and the pings wake it; QEMU cannot sleep the
    CPU (README, "Idle"): 0 sleeps, said why; with nfos.idle_us=0 it never
    counts. nfvm's sleeps: test_idle_sleeps_nested, and the unit tests."""
    from test_packets import Netns, kvm, linuxu, stop, wait_line
    ns = Netns(f"nfos-idle{os.getpid()}")
    params = [] if idle_us is None else [f"nfos.idle_us={idle_us}"]
    try:
        ns.tap("tap0", "10.11.0.1/24")
        if plat == "linuxu":
            proc = linuxu(ns, "pong", ["netdev.dev=tap:tap0", "netdev.ip=10.11.0.2/24"] + params)
        else:
            proc = kvm(ns, "pong", "microvm", ["tap0"], ["10.11.0.2/24"], ["--time", "15"])
        wait_line(proc, r"pong: port 0 .* answers for 10\.11\.0\.2", timeout=120)
        idle_pings(ns)
        if plat == "linuxu":
            out, err = stop(proc)
        else:
            out, err = proc.communicate(timeout=120)
    finally:
        ns.remove()
    assert re.search(r"pong: port 0: \d+ ARP replies, 4 echo replies", out), out + err
    m = re.search(r"^pong: idle: (\d+) periods, 0 sleeps \(this platform cannot sleep the CPU: "
                  r"polled\)$", out, re.M)
    slept = re.search(r"^pong: idle: (\d+) periods, (\d+) sleeps \((\d+) woken by a frame, "
                      r"\d+ by a timer\)", out, re.M)
    if idle_us == 0:
        assert "idle:" not in out, out
    elif plat == "linuxu" or nfvm_switch.wanted():
        # Each pause ends with a ping that wakes it (NFOS_VMM=nfvm: the kvm
        # run is nfvm's, where the guest sleeps too).
        assert slept and int(slept[2]) >= 2 and int(slept[3]) >= 2, out + err
    else:
        assert m and int(m[1]) >= 2, out + err


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
def test_density_driver_linuxu():
    """./nfos bench density's driver with linuxu pongs (nfvm's instances
    need /dev/kvm): three start on TAPs on one bridge, all answer, and the
    namespace and every process are gone afterwards; --vmm nfvm without
    /dev/kvm says why and stops."""
    r = nfos("bench", "density", "--vmm", "linuxu", "--counts", "3", "--idle-seconds", "1",
             "--smoke")
    assert r.status == 0 and "3 pong instances under linuxu" in r.out, r
    assert re.search(r"PSS \d+ KiB each, idle CPU [\d.]+% of a core, all answer", r.out), r
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "nfos-density-" not in left, left
    if not nfos_cli.kvm_usable():
        r = nfos("bench", "density", "--smoke")
        assert r.status == 0 and "skipped: nfvm needs a usable /dev/kvm" in r.out, r


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
def test_density_driver_nfvm():
    """./nfos bench density's own subject, pongs under nfvm: three start on
    TAPs on one bridge, all answer a ping, and the namespace and every
    nfvm are gone afterwards. Needs /dev/kvm: here, in the nested VM
    (python3 -m vmm.tests.nested_suite -- tests/integration/test_nfvm.py
    -k density)."""
    if not nfos_cli.kvm_usable():
        pytest.skip("nfvm's pongs need a usable /dev/kvm (none here; the nested VM has one)")
    r = nfos("bench", "density", "--counts", "3", "--idle-seconds", "1", "--smoke", timeout=600)
    assert r.status == 0 and "3 pong instances under nfvm" in r.out, r
    assert re.search(r"PSS \d+ KiB each, idle CPU [\d.]+% of a core, all answer", r.out), r
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "nfos-density-" not in left, left
    nfvms = subprocess.run(["pgrep", "-f", NFVM], capture_output=True, text=True).stdout
    assert nfvms == "", nfvms

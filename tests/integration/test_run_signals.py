"""`./nfos run` never leaves a guest behind. SIGINT, SIGTERM and SIGHUP to
./nfos stop the guest and ./nfos exits 128+signal; SIGKILL to ./nfos takes
the guest with it (PR_SET_PDEATHSIG). On kvm: `./nfos run kvstore` under QEMU
with its default user network, 127.0.0.1:11211 forwarded, in a network
namespace of the test's own so that the port is ours, and the port must be
free again afterwards. On linuxu: rxsink on the null device, which must stop
itself (its exit report) on the three signals. The guest is found by walking
/proc for the children of ./nfos, and every process of ./nfos's session must
be gone. Also: QEMU option values with commas (a TAP's name, a vhost-user
socket's path) reach QEMU escaped, and an image path with a comma boots.
Needs root (namespaces, TAPs)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

import nfvm_switch
from conftest import ROOT, accel, build, nfos_argv, nfos_cli
from test_packets import Netns

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

NFOS = os.path.join(ROOT, "nfos")
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL]
REPORT = re.compile(r"rxsink: .*rx \d+ pkts")  # rxsink's exit report


def proc_stat(pid):
    """(ppid, pgid, starttime) of a live process, None when it is gone (or
    a zombie, which is gone too: nothing of it runs)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[2]), int(fields[19])


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [w.decode() for w in f.read().split(b"\0")[:-1]]
    except (FileNotFoundError, ProcessLookupError):
        return []


def live_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def children(pid):
    """{pid: (starttime, argv)} of pid's live children."""
    found = {}
    for p in live_pids():
        st = proc_stat(p)
        if st and st[0] == pid:
            found[p] = (st[2], cmdline(p))
    return found


def session(pgid):
    """The live processes of a process group (./nfos leads its own)."""
    return [p for p in live_pids() if (proc_stat(p) or (0, None))[1] == pgid]


def wait_for(cond, timeout, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def start(argv, ns=None):
    """./nfos ARGV (in namespace ns) in a session of its own, output into
    files (no pipe for a stray child to hold); (proc, stdout path, stderr path)."""
    out = tempfile.NamedTemporaryFile("w+", prefix="nfos-out-", delete=False)
    err = tempfile.NamedTemporaryFile("w+", prefix="nfos-err-", delete=False)
    cmd = nfos_argv("run", *argv)  # NFOS_VMM=nfvm: kvm runs through nfvm or skipped
    if ns:
        cmd = ["ip", "netns", "exec", ns.name] + cmd  # execs ./nfos: same pid
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                            start_new_session=True)
    return proc, out.name, err.name


def read(path):
    with open(path) as f:
        return f.read()


def port_free(ns, port):
    """Can a UDP socket bind 127.0.0.1:port in the namespace?"""
    r = ns.run("/usr/bin/python3", "-c", "import socket; s = socket.socket(socket.AF_INET, "
               f"socket.SOCK_DGRAM); s.bind(('127.0.0.1', {port}))", check=False)
    return r.returncode == 0


def signal_and_check(proc, out, err, guest_argv0, sig):
    """The guest (one child of ./nfos running guest_argv0) is up: signal
    ./nfos, then ./nfos ends with 128+sig (or dies by SIGKILL) and neither
    the guest nor anything of the session is left. Returns ./nfos's output."""
    guests = wait_for(lambda: {p: v for p, v in children(proc.pid).items()
                               if v[1][:1] == [guest_argv0]}, 30)
    assert len(guests) == 1, (children(proc.pid), read(out), read(err))
    (gpid, (gstart, _)), = guests.items()
    os.kill(proc.pid, sig)
    try:
        rc = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(f"./nfos still running 60 s after {sig.name}")
    text = read(out) + read(err)
    expect = -signal.SIGKILL if sig == signal.SIGKILL else 128 + sig
    gone = wait_for(lambda: (proc_stat(gpid) or (0, 0, None))[2] != gstart, 10)
    left = wait_for(lambda: not session(proc.pid), 10) or session(proc.pid)
    if not gone or left is not True:
        os.killpg(proc.pid, signal.SIGKILL)  # clean up before failing
    assert rc == expect, (rc, text)
    assert gone, f"guest {gpid} {guest_argv0} still runs after {sig.name} to ./nfos: {text}"
    assert left is True, f"left of ./nfos's session after {sig.name}: {left}"
    return text


@pytest.fixture(scope="module")
def kvstore_kvm():
    return build("kvstore", "kvm")


@pytest.fixture(scope="module")
def rxsink_linuxu():
    return build("rxsink", "linuxu")


# On kvm, SIGINT, SIGTERM and SIGHUP take one path (tools/guest.py's
# run_qemu: QEMU gets SIGTERM whichever came); that ./nfos catches each of
# them and ends with 128+signal is test_linuxu_signal_stops_the_app's. Here
# one of them and SIGKILL (PR_SET_PDEATHSIG): each case is a TCG boot.
KVM_SIGNALS = [signal.SIGTERM, signal.SIGKILL]


@pytest.mark.parametrize("sig", KVM_SIGNALS, ids=lambda s: s.name)
def test_kvm_signal_leaves_no_qemu_and_frees_the_port(kvstore_kvm, sig):
    ns = Netns(f"nfos-sig{os.getpid()}")
    try:
        proc, out, err = start(["kvstore", "--timeout", "300"], ns)
        assert wait_for(lambda: "kvstore: ready" in read(out) or proc.poll() is not None,
                        240), read(out) + read(err)
        assert "kvstore: ready" in read(out), read(out) + read(err)
        assert not port_free(ns, 11211), "QEMU's user network should hold 127.0.0.1:11211"
        signal_and_check(proc, out, err, "qemu-system-x86_64", sig)
        assert port_free(ns, 11211), f"127.0.0.1:11211 still bound after {sig.name}"
    finally:
        ns.remove()


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_linuxu_signal_stops_the_app(rxsink_linuxu, sig):
    proc, out, err = start(["rxsink", "--plat", "linuxu", "--net", "null", "--timeout", "300"])
    assert wait_for(lambda: "rxsink: receiving" in read(out) or proc.poll() is not None,
                    120), read(out) + read(err)
    assert "rxsink: receiving" in read(out), read(out) + read(err)
    text = signal_and_check(proc, out, err, rxsink_linuxu, sig)
    if sig != signal.SIGKILL:
        # Its own stop: the exit report, after it received frames.
        assert REPORT.search(text), text


def test_linuxu_ctrl_c_to_the_group():
    """Ctrl-C reaches ./nfos and the app alike: one clean stop, status 130."""
    image = build("rxsink", "linuxu")
    proc, out, err = start(["rxsink", "--plat", "linuxu", "--net", "null", "--timeout", "300"])
    assert wait_for(lambda: "rxsink: receiving" in read(out) or proc.poll() is not None, 120)
    guests = children(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    rc = proc.wait(timeout=60)
    assert rc == 130 and REPORT.search(read(out)), (rc, read(out), read(err))
    assert all(proc_stat(p) is None or cmdline(p)[:1] != [image] for p in guests)


def test_signal_during_build_ends_the_command(tmp_path):
    """Before the guest starts, a signal ends the command with 128+signal
    and ends the build in progress. The build is held up by a `make` first
    on PATH that only sleeps, so that the signal surely lands in it."""
    fake = tmp_path / "make"
    fake.write_text("#!/bin/sh\nexec sleep 120\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    proc = subprocess.Popen([NFOS, "run", "helloworld", "--plat", "linuxu"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    make = wait_for(lambda: [p for p, v in children(proc.pid).items() if "sleep" in v[1]], 60)
    assert make, children(proc.pid)
    os.kill(proc.pid, signal.SIGTERM)
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 128 + signal.SIGTERM, (proc.returncode, out)
    assert wait_for(lambda: not session(proc.pid), 30), session(proc.pid)


# --- QEMU option values with commas -----------------------------------------------

def test_qemu_command_escapes_commas():
    nets = [{"kind": "tap", "arg": "t,a=p"}, {"kind": "vhost-user", "arg": "/tmp/a,b.sock"}]
    cmd = nfos_cli.qemu_command("/x,y/img", 64 << 20, "microvm,pcie=on", "tcg", "a,b", nets)
    assert "tap,id=n0,ifname=t,,a=p,script=no,downscript=no" in cmd, cmd
    assert "socket,id=c1,path=/tmp/a,,b.sock" in cmd, cmd
    # -kernel and -append are not option lists: their values go whole.
    assert cmd[cmd.index("-kernel") + 1] == "/x,y/img"
    assert cmd[cmd.index("-append") + 1] == "a,b"


def test_tap_with_a_comma_and_image_path_with_a_comma(hello_kvm):
    """`./nfos run` attaches a TAP named 'nf,t0' (helloworld exits 0 with
    it), and QEMU boots an image from a path with a comma."""
    nfvm_switch.qemu_only("the test is of commas in QEMU's option values")
    ns = Netns(f"nfos-comma{os.getpid()}")
    tmp = tempfile.mkdtemp(prefix="nfos,img-")
    try:
        ns.tap("nf,t0")
        r = ns.run(NFOS, "run", "helloworld", "--net", "tap:nf,t0", check=False, timeout=120)
        assert r.returncode == 0 and "Hello" in r.stdout, r.stdout + r.stderr
        image = os.path.join(tmp, "hello,world")
        shutil.copy(hello_kvm, image)
        cmd = nfos_cli.qemu_command(image, 64 << 20, "microvm", accel(), "")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        assert nfos_cli.map_qemu_status(r.returncode, []) == 0, r.stdout + r.stderr
        assert "Hello" in r.stdout, r.stdout
    finally:
        shutil.rmtree(tmp)
        ns.remove()


def test_vhost_user_socket_with_a_comma(hello_kvm):
    """QEMU connects to a vhost-user socket whose path has a comma (the
    listener accepts; it never answers, so QEMU is stopped then)."""
    nfvm_switch.qemu_only("the test is of commas in QEMU's option values")
    tmp = tempfile.mkdtemp(prefix="nfos-vu-")
    path = os.path.join(tmp, "vhost,0.sock")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(1)
    lsock.settimeout(60)
    proc = None
    try:
        net = nfos_cli.parse_net(f"vhost-user:{path}", "kvm")  # connects once itself
        lsock.accept()[0].close()
        cmd = nfos_cli.qemu_command(hello_kvm, 64 << 20, "microvm,pcie=on", accel(), "", [net])
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        got = []
        t = threading.Thread(target=lambda: got.append(lsock.accept()[0]), daemon=True)
        t.start()
        t.join(60)
        assert got, "QEMU did not connect to " + path
        got[0].close()
    finally:
        if proc:
            proc.kill()
            proc.communicate(timeout=30)
        lsock.close()
        shutil.rmtree(tmp)

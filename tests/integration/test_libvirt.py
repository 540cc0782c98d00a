"""`./nfos libvirt` against a real libvirtd: pong and kvstore as libvirt
domains on a bridge the test makes (no address in the root namespace), a
veth from it into a namespace the test makes, ping and a memcached get from
there; then virsh destroy and undefine, and nothing left behind. libvirtd
and virtlogd are started here when they are not running (in the foreground,
as our children) and stopped again. Needs root and Debian's libvirt
(./nfos deps)."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import nfvm_switch
from conftest import BOOT_TIMEOUT, ROOT, boot, nfos
from test_kvstore import case, run_cases, wait_ready
from test_packets import Netns, sh
from test_vhost_user import TESTPMD, Backend
from tools import libvirt

PID = os.getpid()
BRIDGE, VETH, PEER = f"nflvbr{PID % 100000}", f"nflv{PID % 100000}a", f"nflv{PID % 100000}b"
HOST, GUEST = "10.14.0.1", "10.14.0.2"


def virsh(*argv, check=True):
    return sh("virsh", "-q", "-c", libvirt.URI, *argv, check=check)


def daemon_up():
    return virsh("version", check=False).returncode == 0


def start_daemon(cmd, log, ready):
    """One daemon in the foreground, in a session of its own; waits for
    ready() (30 s)."""
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        if ready() or proc.poll() is not None:
            break
        time.sleep(0.1)
    return proc


def stop_daemon(proc):
    """SIGTERM (both daemons shut down cleanly on it), SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def libvirtd(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root (libvirt's system daemon, bridges, namespaces)")
    if not all(shutil.which(b) for b in ("virsh", "libvirtd", "virtlogd")):
        pytest.skip("libvirt is not installed (./nfos deps installs it)")
    started = []
    log = open(tmp_path_factory.mktemp("libvirt") / "daemons.log", "w+")
    try:
        if not daemon_up():
            # libvirtd down: `nfos libvirt` must say so in one clear line.
            r = nfos("libvirt", "helloworld", "--name", f"nfos-t{PID}", "--define")
            assert r.status == 1 and "libvirtd is not running" in r.err, r
            assert not os.path.exists(os.path.join(libvirt.BOOT_DIR, f"nfos-t{PID}.elf"))
            if not os.path.exists("/run/libvirt/virtlogd-sock"):
                started.append(start_daemon(["virtlogd"], log, lambda: os.path.exists(
                    "/run/libvirt/virtlogd-sock")))
            started.append(start_daemon(["libvirtd"], log, daemon_up))
            if not daemon_up():
                log.seek(0)
                pytest.skip(f"libvirtd cannot run here: {log.read()[-600:]}")
        yield
    finally:
        for proc in reversed(started):
            stop_daemon(proc)
        log.close()


@pytest.fixture
def lan(libvirtd):
    """A bridge with no address and a veth from it into a namespace whose
    end is HOST/24."""
    nfvm_switch.qemu_only("libvirt's domains are QEMU guests (./nfos libvirt)")
    ns = Netns(f"nfos-lv{PID}")
    try:
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("sysctl", "-qw", f"net.ipv6.conf.{BRIDGE}.disable_ipv6=1")
        sh("ip", "link", "set", BRIDGE, "up")
        sh("ip", "link", "add", VETH, "type", "veth", "peer", "name", PEER, "netns", ns.name)
        sh("ip", "link", "set", VETH, "master", BRIDGE, "up")
        ns.run("ip", "addr", "add", f"{HOST}/24", "dev", PEER)
        ns.run("ip", "link", "set", PEER, "up")
        yield ns
    finally:
        sh("ip", "link", "del", VETH, check=False)
        sh("ip", "link", "del", BRIDGE, check=False)
        ns.remove()


class Domain:
    """One domain `nfos libvirt --start` made; remove() destroys, undefines
    and deletes its image copy and console log."""

    def __init__(self, app, *args):
        # libvirt's domains are QEMU's (its qemu driver): under NFOS_VMM=nfvm
        # a test that starts one would test QEMU, not nfvm.
        nfvm_switch.qemu_only("libvirt's domains are QEMU guests (./nfos libvirt)")
        self.name = f"nfos-t{app}{PID}"
        self.console = os.path.join(libvirt.CONSOLE_DIR, f"{self.name}.console.log")
        self.image = os.path.join(libvirt.BOOT_DIR, f"{self.name}.elf")
        self.qemu_log = os.path.join(libvirt.CONSOLE_DIR, f"{self.name}.log")  # libvirt's
        r = nfos("libvirt", app, "--name", self.name, "--start", *args, timeout=600)
        assert r.status == 0, r
        assert re.search(r"type '(kvm|qemu)'", r.err), r
        self.taps = [t for t in os.listdir("/sys/class/net") if self.tap_of(t)]

    def tap_of(self, dev):
        r = virsh("domiflist", self.name, check=False)
        return r.returncode == 0 and re.search(rf"^\s*{re.escape(dev)}\s", r.stdout, re.M)

    def log(self):
        try:
            with open(self.console, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=BOOT_TIMEOUT):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, self.log(), re.M):
                return
            time.sleep(0.5)
        raise AssertionError(f"no {pattern!r} in the console: {self.log()!r}")

    def state(self):
        return virsh("domstate", self.name, check=False).stdout.strip()

    def remove(self):
        virsh("destroy", self.name, check=False)
        virsh("undefine", self.name, check=False)
        for f in (self.image, self.console, self.qemu_log):
            if os.path.exists(f):
                os.unlink(f)


def check_gone(dom):
    assert virsh("dominfo", dom.name, check=False).returncode != 0
    assert not any(os.path.exists(f"/sys/class/net/{t}") for t in dom.taps), dom.taps
    assert not any(os.path.exists(f) for f in (dom.image, dom.console, dom.qemu_log))


@pytest.mark.parametrize("machine", ["microvm", "q35"])  # virtio-mmio, virtio-net-pci
def test_pong_on_a_bridge_answers_ping(lan, machine):
    dom = Domain("pong", "--net", f"bridge:{BRIDGE}", "--ip", f"{GUEST}/24", "--machine", machine)
    try:
        assert dom.state() == "running"
        dom.wait_log(rf"pong: port 0 \(.*\) answers for {GUEST}")
        r = lan.run("ping", "-c", "3", "-i", "0.5", "-W", "10", GUEST, check=False)
        assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout + dom.log()
        virsh("destroy", dom.name)
        assert dom.state() == "shut off"
        assert lan.run("ping", "-c", "1", "-W", "1", GUEST, check=False).returncode != 0
    finally:
        dom.remove()
    check_gone(dom)


def test_kvstore_on_a_bridge_answers_get(lan):
    dom = Domain("kvstore", "--net", f"bridge:{BRIDGE}", "--ip", f"{GUEST}/24", "--mem", "256M",
                 "--", "--mem-limit", "64M")
    try:
        dom.wait_log(r"kvstore: ready")
        wait_ready(lan, GUEST)
        got = run_cases(lan, [case(b"set k 0 0 5\r\nhello\r\n"), case(b"get k\r\n")], GUEST)
        assert [bytes.fromhex(d[0])[8:] for d in got] == [
            b"STORED\r\n", b"VALUE k 0 5\r\nhello\r\nEND\r\n"], got
    finally:
        dom.remove()
    check_gone(dom)


def test_exit_status_in_the_console_log(libvirtd):
    dom = Domain("helloworld", "--", "exit=3")
    try:
        dom.wait_log(r"^nfos: exit status \d+")
        assert libvirt.exit_status(dom.log()) == 3, dom.log()
        for _ in range(100):  # on_poweroff: destroy, shut off without us
            if dom.state() == "shut off":
                break
            time.sleep(0.1)
        assert dom.state() == "shut off"
    finally:
        dom.remove()
    check_gone(dom)


def test_unreadable_image_is_refused(libvirtd):
    d = tempfile.mkdtemp()  # 0700: libvirt's QEMU user cannot enter it
    try:
        image = os.path.join(d, "image.elf")
        shutil.copyfile(os.path.join(ROOT, "nfos"), image)
        with pytest.raises(libvirt.UsageError, match="not readable by libvirt's QEMU user"):
            libvirt.place_image(image, "unused", copy=False)
    finally:
        shutil.rmtree(d)


def test_bad_arguments_are_one_line(libvirtd):
    for args, msg in ((["--net", "bridge:nfos-no-such-br"], "no bridge 'nfos-no-such-br'"),
                      (["--net", "user:udp:11211"], "no port forwards"),
                      (["--name", "a b"], "--name a b"),
                      (["--machine", "pc"], "microvm (virtio-mmio) or q35")):
        r = nfos("libvirt", "pong", *args)
        assert r.status == 2 and msg in r.err and len(r.err.strip().splitlines()) == 1, r


@pytest.mark.skipif(not TESTPMD, reason="needs dpdk-testpmd (Debian dpdk-dev, ./nfos deps)")
def test_pong_on_vhost_user_comes_up(libvirtd):
    """A vhost-user port: the domain's RAM must be a shared memfd for the
    backend (testpmd) to map it; the port coming up on both sides shows it
    was. The socket's folder is open to libvirt's QEMU user."""
    d = tempfile.mkdtemp(prefix="nfos-lv")
    os.chmod(d, 0o755)
    sock, prefix = os.path.join(d, "vhost.sock"), f"nfos-lv{PID}"
    tp = dom = None
    try:
        tp = Backend(sock, prefix, "io")
        os.chmod(sock, 0o666)
        dom = Domain("pong", "--net", f"vhost-user:{sock}", "--ip", f"{GUEST}/24")
        dom.wait_log(rf"pong: port 0 \(.*\) answers for {GUEST}")
        tp.wait_for(r"Port 0: link state change event")
        assert "memfd" in open(dom.qemu_log).read()
    finally:
        if dom:
            dom.remove()
        if tp:
            tp.kill()
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
        shutil.rmtree(d)
    check_gone(dom)


def test_exitline_is_the_status_only_when_asked(hello_kvm):
    """nfos.exitline=1 (what `nfos libvirt` sets) writes the image's status
    on the console, however it ends (main's return, a refused boot); without
    it the console is as before."""
    r = boot(hello_kvm, params=["nfos.exitline=1"], args=["exit=3"])
    assert r.status == 3 and libvirt.exit_status(r.out) == 3, r
    r = boot(hello_kvm, params=["nfos.exitline=1", "nfos.nosuchkey=1"])
    assert r.status == 2 and libvirt.exit_status(r.out) == 2, r
    r = boot(hello_kvm, args=["exit=3"])
    assert r.status == 3 and "nfos: exit status" not in r.out, r

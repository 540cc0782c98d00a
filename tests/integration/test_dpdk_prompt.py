"""DPDK's testpmd, unmodified, interactive on the console: `nfos run
dpdk-testpmd ... -- -i` prints "testpmd> ", answers `show port stats all`
typed on its stdin (the serial console on kvm, the process's stdin on
linuxu) and `quit` ends it with status 0. Also: end of input (^D at the
prompt) ends it cleanly, and the console's line discipline serves a plain
canonical read (posixtest) with the text of nfos.stdin first.

Skipped only when Debian's DPDK source cannot be fetched, or (linuxu) while
DPDK images build for kvm only."""

import os
import re
import select
import signal
import subprocess
import time

import pytest

from conftest import ROOT, boot, image_fixture, nfos_argv
from test_dpdk import dpdk  # noqa: F401 (the fixture: builds DPDK or skips)

NULL_PORTS = ["--vdev", "net_null0", "--vdev", "net_null1"]
PROMPT = "testpmd> "
STATS_END = re.compile(r"NIC statistics for port 1 +#+\n(?:.*\n)*? +#{20,}\n")
WAIT = 240  # seconds for one answer: TCG on a loaded 2-core machine
LINUXU_NOT_YET = "DPDK images run on kvm only"

posix_kvm = image_fixture("posixtest", "kvm")


def image_for(plat):
    r = subprocess.run(["make", "-C", ROOT, "-j2", "APP=dpdk-testpmd", f"PLAT={plat}"],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0 and LINUXU_NOT_YET in r.stdout + r.stderr:
        pytest.skip("no linuxu DPDK images yet: " + LINUXU_NOT_YET)
    assert r.returncode == 0, r.stdout + r.stderr


class Session:
    """`nfos run dpdk-testpmd` with pipes: read output until a pattern, type
    a line."""

    def __init__(self, plat, app_args):
        cmd = nfos_argv("run", "dpdk-testpmd", "--plat", plat, "--cpus", "2",
                        "--mem", "64M", "--", *NULL_PORTS, "--", *app_args)
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        self.out = ""

    def until(self, pattern, start=0):
        """Output read until pattern (a str or regex) appears after start;
        returns its match end."""
        deadline = time.monotonic() + WAIT
        rx = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
        while not (m := rx.search(self.out, start)):
            left = deadline - time.monotonic()
            assert left > 0, f"no {rx.pattern!r} within {WAIT} s: ...{self.out[-3000:]}"
            ready, _, _ = select.select([self.p.stdout], [], [], left)
            chunk = os.read(self.p.stdout.fileno(), 4096) if ready else b""
            assert chunk or not ready, f"output ended before {rx.pattern!r}: {self.out}"
            self.out += chunk.decode(errors="replace")
        return m.end()

    def type(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def end(self):
        """Closes stdin, reads the rest; the exit status."""
        self.p.stdin.close()
        self.p.stdin = None  # communicate() would flush it
        try:
            rest, _ = self.p.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            rest, _ = self.p.communicate()
        self.out += rest.decode(errors="replace")
        return self.p.returncode

    def kill(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()


def stats(block):
    """{port: (rx, tx)} from show port stats all's block."""
    got = {}
    for port, body in re.findall(r"NIC statistics for port (\d+) +#+\n(.*?)#{20,}", block,
                                 re.S):
        rx = int(re.search(r"RX-packets: +(\d+)", body).group(1))
        tx = int(re.search(r"TX-packets: +(\d+)", body).group(1))
        got[int(port)] = (rx, tx)
    return got


def prompt_session(plat):
    """The acceptance: the prompt, one show port stats all, quit, 0."""
    s = Session(plat, ["-i", "--auto-start", "--total-num-mbufs", "2048"])
    try:
        at = s.until(PROMPT)
        s.type("show port stats all\n")
        end = s.until(STATS_END, at)
        got = stats(s.out[at:end])
        assert sorted(got) == [0, 1], s.out[at:end]
        # --auto-start: io forwarding between the two null ports runs on
        # lcore 1 while the prompt waits for input on lcore 0.
        assert all(rx > 0 for rx, tx in got.values()), s.out[at:end]
        at = s.until(PROMPT, end)
        s.type("quit\n")
        status = s.end()
    finally:
        s.kill()
    assert status == 0, s.out
    assert "Bye..." in s.out[at:], s.out[at:]
    return s.out


def test_prompt_kvm(dpdk):  # noqa: F811
    image_for("kvm")
    out = prompt_session("kvm")
    assert "show port stats all" in out  # testpmd's own echo (raw mode)


def test_prompt_linuxu(dpdk):  # noqa: F811
    image_for("linuxu")
    prompt_session("linuxu")


def test_end_of_input_at_the_prompt_quits(dpdk):  # noqa: F811
    """No quit: stdin ends (nfos sends the serial line's ^D), testpmd's
    command line takes it as the end, and testpmd exits 0."""
    image_for("kvm")
    s = Session("kvm", ["-i", "--total-num-mbufs", "2048"])
    try:
        s.until(PROMPT)
        status = s.end()
    finally:
        s.kill()
    assert status == 0 and "Bye..." in s.out, s.out


def test_console_lines_after_stdin_text(posix_kvm):
    """posixtest reads fd 0 with stdio until its end: nfos.stdin's text
    first, then the console's lines (canonical, echoed), then ^D."""
    r = boot(posix_kvm, params=["nfos.stdin=from-cmdline,"], console_in="typex\x7fd\r")
    assert r.status == 0, r
    assert "typex\b \bd\n" in r.out, r  # the echo: erase, Enter as a newline
    assert "# stdin: 19 bytes: from-cmdline,typed\n\n" in r.out, r

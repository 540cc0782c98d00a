"""pytest cases to pass through nested_suite when a run in the nested VM
stalls or outlasts its time (docs/NESTED.md, runs R to U), not part of any
suite: `python3 -m vmm.tests.nested_suite -- -s vmm/tests/nested_probes.py::test_heartbeat
...`. test_heartbeat prints, every 60 s, the VM's time, load and newest
processes with where each waits (py-spy is not installed); the others run
bench boot's nfvm part alone and bench boot or bench pps --smoke with each
line's time in the VM."""

import os
import signal
import subprocess
import threading
import time

from bench.boot import nfvm
from tools import nfos_cli

T0 = time.monotonic()


def say(msg):
    print(f"@@ probe {time.monotonic() - T0:7.1f} s: {msg}", flush=True)


def test_nfvm_measure(monkeypatch):
    images = {a: nfos_cli.build(a, "kvm", quiet=True) for a in ("helloworld", "pong")}
    say("helloworld and pong built")
    orig = nfvm.one_run

    def traced(image, params, args, want):
        say(f"nfvm run of {os.path.basename(image)} starts")
        r = orig(image, params, args, want)
        say(f"nfvm run ends: {r}")
        return r

    monkeypatch.setattr(nfvm, "one_run", traced)
    res = nfvm.measure(images, 2)
    say(f"measure: {res}")
    assert "skipped" not in res


def streamed(argv, limit):
    say(f"{' '.join(argv)} starts")
    p = subprocess.Popen([os.path.join(nfos_cli.ROOT, "nfos")] + argv,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         stdin=subprocess.DEVNULL, start_new_session=True,
                         env=dict(os.environ, PYTHONUNBUFFERED="1"))
    def kill():
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    killer = threading.Timer(limit, kill)
    killer.start()
    try:
        for line in p.stdout:
            say("| " + line.rstrip())
        st = p.wait()
    finally:
        killer.cancel()
        kill()
    say(f"status {st}")
    return st


def test_boot_smoke_streamed():
    assert streamed(["bench", "boot", "--smoke"], 2400) == 0


def test_pps_smoke_streamed():
    assert streamed(["bench", "pps", "--smoke"], 420) == 0


def _beat(period):
    def loop():
        while True:
            with open("/proc/loadavg") as f:
                load = f.read().split()[:3]
            with open("/proc/meminfo") as f:
                avail = [l.split()[1] for l in f if l.startswith("MemAvailable")][0]
            ps = subprocess.run(["ps", "-eo", "pid,ppid,etimes,times,stat,wchan:22,args",
                                 "--sort=start_time"], capture_output=True, text=True).stdout
            rows = [r[:190] for r in ps.splitlines()[1:] if "[" not in r.split(None, 6)[-1][:1]]
            say(f"heartbeat: real {time.strftime('%H:%M:%S', time.gmtime())}, load {load}, "
                f"MemAvailable {avail} kB\n" + "\n".join("@@ ps " + r for r in rows[-22:]))
            time.sleep(period)

    threading.Thread(target=loop, daemon=True).start()


def test_heartbeat():
    """Every 60 s: the VM's time, load and newest processes (with where each waits)."""
    _beat(60)

"""Child processes of a benchmark: pinned, in their own session, their
output kept line by line with its time; the errors that stop a run or a
benchmark; and guarded(), which runs a benchmark under its lock and stops
everything it started whatever happens. No figures here."""

import fcntl
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time


class BenchError(Exception):
    """Stops the benchmark with one line and status 1."""


class RunFailed(Exception):
    def __init__(self, msg, tail=()):
        super().__init__(msg)
        self.tail = list(tail)


class Unavailable(Exception):
    """The subject cannot run here; said, not assumed: the reason is what it printed."""


class Stop(BaseException):
    """SIGTERM: unwind through every finally like Ctrl-C."""


# An nfos image that lacks what the subject needs says so in one of these.
ABSENT = re.compile(r"no driver for 'vhost-user'.*|no network port \d.*")

LIVE = []  # every Proc started, for the last-resort cleanup in guarded()


class Proc:
    """A child in its own session (a terminal's Ctrl-C reaches only us; we
    stop it), killed by the kernel if we die (setpriv --pdeathsig), pinned to
    one core, its output read line by line with the time each line came.
    Its stdin is /dev/null, or with stdin_pipe a pipe for say()."""

    def __init__(self, name, argv, core, logdir, stdin_pipe=False):
        self.name = name
        self.argv = argv
        self.lines = []  # (monotonic time, text)
        wrap = ["setpriv", "--pdeathsig", "KILL", "--", "taskset", "-c", str(core)]
        self.log = open(os.path.join(logdir, f"{name}.log"), "w")
        self.p = subprocess.Popen(wrap + argv,
                                  stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, errors="replace",
                                  start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        LIVE.append(self)

    def _read(self):
        for line in self.p.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\r\n")))
            self.log.write(line)
        self.log.flush()

    def alive(self):
        return self.p.poll() is None

    def text(self):
        return [t for _, t in self.lines]

    def tail(self, n=4):
        return [t for t in self.text() if t.strip()][-n:]

    def cpu_seconds(self):
        """User + system time of all its threads so far (None once gone)."""
        try:
            return pid_state(self.p.pid)[1]
        except OSError:
            return None

    def say(self, text):
        """Writes text to its stdin pipe; False when it is gone (or has no pipe)."""
        try:
            self.p.stdin.write(text)
            self.p.stdin.flush()
            return True
        except (AttributeError, OSError, ValueError):
            return False

    def signal(self, sig):
        if self.alive():
            try:
                os.kill(self.p.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        """Waits for it to end; kills its session after timeout. Its status,
        or None when it had to be killed."""
        killed = False
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            killed = True
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.p.wait(timeout=10)
        self.reader.join(5)
        if self.p.stdin and not self.p.stdin.closed:
            try:
                self.p.stdin.close()
            except OSError:
                pass
        if not self.log.closed:
            self.log.close()
        return None if killed else self.p.returncode

    def stop(self, timeout=15):
        self.signal(signal.SIGINT)
        return self.wait(timeout)

    def wait_for(self, pattern, timeout, others=()):
        """The time of its first line matching pattern; fails when it or one
        of others ends first, or after timeout."""
        end = time.monotonic() + timeout
        seen = 0
        while True:
            lines = self.lines
            for t, text in lines[seen:]:
                if pattern.search(text):
                    return t
            seen = len(lines)
            check_alive([self] + list(others))
            if time.monotonic() > end:
                raise RunFailed(f"{self.name} not ready after {timeout:.0f} s", self.tail())
            time.sleep(0.02)


def pid_state(pid):
    """(state letter, user + system seconds of all its threads) of a
    process, from /proc; OSError once it is gone."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_alive(procs):
    for p in procs:
        if not p.alive():
            p.wait(5)
            absent = [m.group(0) for m in map(ABSENT.search, p.text()) if m]
            if absent and p.name != "backend":
                raise Unavailable(absent[0])
            raise RunFailed(f"{p.name} ended early with status {p.p.returncode}", p.tail())


def watch(procs, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        check_alive(procs)
        time.sleep(min(0.05, max(0.0, end - time.monotonic())))


def wait_socket(path, backend, timeout=60):  # a loaded or emulated (nested) host is slow
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        check_alive([backend])
        try:
            if stat.S_ISSOCK(os.stat(path).st_mode):
                time.sleep(0.05)  # bind, then listen
                return
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise RunFailed(f"backend made no socket {path} in {timeout} s", backend.tail())


def keep_logs(ctx, procs, name_of):
    """Copies each process's log into ctx.logs (--logs) as name_of(proc)."""
    if ctx.logs:
        for p in procs:
            shutil.copy(p.log.name, os.path.join(ctx.logs, name_of(p)))


def timed_output(cmd, want, timeout):
    """Runs cmd (stdin /dev/null) and times it from exec to its first stdout
    line holding want, and to its exit. It is killed once it has run timeout
    s: a guest that never ends ends this run, not the benchmark (reading its
    output to the end alone would wait for ever). It stays in our process
    group, so that whoever ends ours (a test's timeout) ends it too; a
    monitor (QEMU, nfvm) starts no process that could hold its output open.
    stderr is read beside stdout, so that neither pipe can fill. Returns
    (s to want or None, s to exit, stdout, stderr, status, rusage); status
    None when it had to be killed."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace")
    gone, killed = threading.Lock(), []

    def kill():
        with gone:  # never after the reaping below: its id could be another's
            if not killed:
                killed.append(True)
                os.kill(p.pid, signal.SIGKILL)  # not p.kill(): its poll() could reap it

    timer = threading.Timer(timeout, kill)
    timer.start()
    err = []
    reader = threading.Thread(target=lambda: err.append(p.stderr.read()), daemon=True)
    reader.start()
    t_want, lines = None, []
    for line in p.stdout:
        lines.append(line)
        if t_want is None and want in line:
            t_want = time.perf_counter() - t0
    os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)  # ended, not yet reaped
    t_exit = time.perf_counter() - t0
    with gone:
        timer.cancel()
        was_killed = bool(killed)
        killed.append(False)  # kill() does nothing from here on
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    p.stdout.close()
    p.stderr.close()
    return (t_want, t_exit, "".join(lines), "".join(err),
            None if was_killed else p.returncode, ru)


# --- a benchmark under its lock -------------------------------------------------

# One lock for every benchmark that runs DPDK processes (pps, kv): they
# share cores 0 and 1, and the hugetlbfs mount and nr_hugepages that each
# sets up and undoes at its exit (bench/common/dpdk.py), so one of them
# ending while another runs took the other's hugepages away.
DPDK_LOCK = os.path.join(tempfile.gettempdir(), "nfos-bench-dpdk.lock")


def guarded(name, lock_path, ctx, logs, start):
    """Runs start() under the benchmark's lock, with ctx.tmp a temporary
    folder, ctx.logs made, SIGTERM turned into Stop, and at the end every
    process it started killed, its DPDK memory (ctx.mem, which start sets)
    scrubbed and restored. Returns start()'s status, 130 when interrupted, 1
    on a BenchError or when another run holds the lock (one line each)."""
    lock = open(lock_path, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print(f"nfos bench {name}: another benchmark is running ({lock_path})",
              file=sys.stderr)
        return 1
    old_term = signal.signal(signal.SIGTERM, _on_term)
    ctx.tmp = tempfile.mkdtemp(prefix=f"nfos-{name}-")
    ctx.mem = None
    ctx.logs = logs and os.path.abspath(logs)
    if ctx.logs:
        os.makedirs(ctx.logs, exist_ok=True)
    try:
        return start()
    except (KeyboardInterrupt, Stop):
        print(f"nfos bench {name}: interrupted; everything it started is stopped",
              file=sys.stderr)
        return 130
    except BenchError as e:
        print(f"nfos bench {name}: {e}", file=sys.stderr)
        return 1
    finally:
        _clean_up(ctx)
        signal.signal(signal.SIGTERM, old_term)
        lock.close()


def _clean_up(ctx):
    for p in LIVE:
        if p.alive():
            p.signal(signal.SIGKILL)
            p.wait(10)
    if ctx.mem:
        ctx.mem.scrub()
        ctx.mem.restore()
    shutil.rmtree(ctx.tmp, ignore_errors=True)


def _on_term(signum, frame):
    raise Stop()

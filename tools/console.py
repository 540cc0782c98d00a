"""The guest's console input for `nfos run`: what the guest reads on fd 0.

QEMU (-serial stdio): a terminal in the foreground is given to QEMU as it
is; QEMU puts it in raw mode (keystrokes go to the guest one by one, ^C
still stops the run) and the guest's line discipline echoes and edits
(lib/syscall/tty.c). Anything else (a pipe, a file, /dev/null, a terminal
in the background) is relayed through a pipe with ^D after its end: a
serial line has no end of file, the guest reads ^D on an empty line as one.
linuxu: the process's own stdin, unless it is a terminal in the
background (reading it would stop the process: /dev/null instead).
nfvm: as linuxu (nfvm feeds its stdin to COM1, a foreground terminal in
raw mode, ^D after a pipe's end). The terminal's settings are put back
afterwards, whoever changed them (a killed QEMU or app cannot)."""

import os
import subprocess
import termios
import threading

EOF_MARK = b"\x04"  # ^D: VEOF of the guest's console
RELAY_CHUNK = 4096


def foreground_tty(fd=0):
    """fd is a terminal and this process group owns it."""
    try:
        return os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False


def relay(src, dst):
    """Copies src to dst until src ends (or fails), then writes ^D; stops
    early when the reader went away. Closes dst, and src unless it is 0."""
    try:
        while True:
            try:
                chunk = os.read(src, RELAY_CHUNK)
            except OSError:
                chunk = b""
            if not chunk:
                break
            os.write(dst, chunk)
        os.write(dst, EOF_MARK)
    except OSError:  # EPIPE: the guest ended first
        pass
    finally:
        os.close(dst)
        if src != 0:
            os.close(src)


class ConsoleInput:
    """Context manager: .stdin is Popen's stdin argument for the guest's
    process; started() after Popen begins the relay, if any."""

    def __init__(self, kind):
        if kind not in ("qemu", "linuxu", "none"):
            raise ValueError(kind)
        self.kind, self.saved, self.pipe = kind, None, None
        self.tty = foreground_tty() and kind != "none"
        # A terminal we do not own would stop us (SIGTTIN) at the first read.
        self.src = None if os.isatty(0) and not self.tty else 0
        if kind == "none" or (kind == "linuxu" and self.src is None):
            self.stdin = subprocess.DEVNULL
        elif self.tty or kind == "linuxu":
            self.stdin = None  # inherited
        else:
            self.pipe = os.pipe()
            self.stdin = self.pipe[0]

    def __enter__(self):
        if self.tty:
            self.saved = termios.tcgetattr(0)
        return self

    def started(self):
        if self.pipe:
            r, w = self.pipe
            os.close(r)
            src = 0 if self.src == 0 else os.open(os.devnull, os.O_RDONLY)
            threading.Thread(target=relay, args=(src, w), daemon=True).start()
            self.pipe = None

    def __exit__(self, *exc):
        if self.pipe:  # the guest never started
            for fd in self.pipe:
                os.close(fd)
        if self.saved is not None:
            try:
                termios.tcsetattr(0, termios.TCSADRAIN, self.saved)
            except (OSError, termios.error):
                pass

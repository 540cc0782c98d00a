"""The host a benchmark ran on, for its JSON: CPU, cores, kernel and the
versions of the Debian packages that took part."""

import os
import platform
import subprocess


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def pkg_version(pkg):
    """The installed version of a Debian package, or None."""
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                           text=True, timeout=10)
        return r.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def qemu_version():
    r = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True)
    return r.stdout.splitlines()[0] if r.stdout else "unknown"


def describe(**more):
    """{"cpu", "cores", "kernel"} and then more, in the order given."""
    return dict({"cpu": cpu_model(), "cores": os.cpu_count(), "kernel": platform.release()},
                **more)

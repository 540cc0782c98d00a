"""nfos images for the benchmarks: built all at once, asked whether they
have the vhost-user driver, and the statistics line the nfos apps print
with nfos.stats=1."""

import os
import re
import signal
import subprocess
import time

from bench.common.proc import ABSENT, Unavailable
from tools import nfos_cli
from tools.nfos_cli import ROOT

# "APP: interval|total rx N pkts R Mpp/s | tx N pkts R Mpp/s | drops N |
# busy C cycles/pkt | S s"
NFOS_LINE = re.compile(r"^(\w+): (interval|total) rx (\d+) pkts ([\d.]+) Mpp/s \| tx (\d+) pkts "
                       r"([\d.]+) Mpp/s \| drops (\d+) \| busy ([\d.]+) cycles/pkt \| ([\d.]+) s")
BUILD_TIMEOUT = 900


def build_images(wanted, cpus=1):
    """{(app, plat): image path or Unavailable with the build's last line},
    all built at once (each build has its own folder); for cpus lcores (the
    SMP variants where cpus > 1: nfos_cli.smp_variant)."""
    out, makes, smp = {}, {}, {}
    # Each image once: two makes of one folder at a time break each other.
    for app, plat in dict.fromkeys(wanted):
        smp[app] = nfos_cli.smp_variant(app, cpus)
        makes[(app, plat)] = subprocess.Popen(
            ["make", "-C", ROOT, f"-j{os.cpu_count() or 1}", f"APP={app}", f"PLAT={plat}"]
            + (["SMP=1"] if smp[app] else []),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True)
    end = time.monotonic() + BUILD_TIMEOUT
    for (app, plat), p in makes.items():
        try:
            text = p.communicate(timeout=max(1, end - time.monotonic()))[0]
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            out[(app, plat)] = Unavailable(f"build of {app} for {plat} still running after "
                                           f"{BUILD_TIMEOUT} s")
            continue
        last = [l for l in text.splitlines() if l.strip()][-1:] or ["?"]
        out[(app, plat)] = (nfos_cli.image_path(app, plat, smp[app]) if p.returncode == 0 else
                            Unavailable(f"build of {app} for {plat} failed: {last[0]}"))
    return out


def probe_linuxu(image, tmp):
    """Does the image have a vhost-user driver? Asks it: with no backend, an
    image without one says 'no driver for ...' at once."""
    try:
        r = subprocess.run([image, f"netdev.dev=vhost-user:{os.path.join(tmp, 'probe.sock')}",
                            "--", "--time", "0.01"], capture_output=True, text=True, timeout=5,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return  # it waits for a backend: it has a driver
    m = ABSENT.search(r.stdout + r.stderr)
    if m:
        raise Unavailable(f"{os.path.basename(image)}: {m.group(0)}")


def check_images(images, plats, status, tmp):
    """Marks each subject of plats ({subject: plat}) whose image (images:
    {plat: image or Unavailable}) failed to build, or whose linuxu image
    lacks the vhost-user driver, unavailable in status."""
    for subject, plat in plats.items():
        try:
            for image in images(plat):
                if isinstance(image, Unavailable):
                    raise image
                if plat == "linuxu":
                    probe_linuxu(image, tmp)
        except Unavailable as e:
            status[subject] = f"unavailable: {e}"

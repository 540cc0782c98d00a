"""Image sizes alone: `./nfos bench boot --sizes` builds the kvm images of
helloworld and the network functions and prints each stripped ELF's size
in bytes (the figure bench boot reports) and how many of them SMP's
objects hold (lib/lcore, the kvm CPU bring-up and LAPIC: smp_bytes), without
booting anything.

    ./nfos bench boot --sizes                     # one line per app
    ./nfos bench boot --sizes --smp               # their SMP variants (make SMP=1)
    ./nfos bench boot --sizes --against /tmp/old  # beside another checkout's images
    ./nfos bench boot --sizes --symbols 15        # each app's largest symbols too

--against DIR reads DIR/build's images (built there first: `make APP=..
PLAT=kvm` in DIR; an app not built there is said) and prints the
difference; with --symbols N it also prints, per app, the N symbols whose
size changed most (nm --size-sort of the unstripped .dbg images: the
per-symbol story of a growth)."""

import os
import struct
import subprocess
from collections import defaultdict

from bench.common import cli
from bench.common.images import build_images
from bench.common.proc import Unavailable
from tools import nfos_cli
from tools.nfos_cli import ROOT

APPS = ("helloworld", "pong", "kvstore", "l2fwd", "rxsink", "txgen")


def image_in(root, app, smp):
    """The stripped kvm image of app in the checkout at root."""
    return os.path.join(root, os.path.relpath(nfos_cli.image_path(app, "kvm", smp), ROOT))


def loaded_bytes(image):
    """Bytes of the image's PT_LOAD segments in the file (code, read-only
    data, initialised data): the stripped size without the page padding
    between segments, so it moves by the byte where the file size moves in
    4 KiB steps (the data segment starts on a page)."""
    with open(image, "rb") as f:
        ehdr = f.read(64)
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
        total = 0
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, _, _, _, filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type == 1:
                total += filesz
    return total


def symbols(image):
    """{name: bytes} of the unstripped image beside the stripped one (same
    names summed: static functions of several files), {} without it. Only
    what the file holds (code, read-only and initialised data): .bss
    symbols (nm's b, B) take RAM, not image bytes."""
    dbg = image + ".dbg"
    if not os.path.exists(dbg):
        return {}
    out = subprocess.run(["nm", "--size-sort", "-S", dbg], capture_output=True, text=True,
                         check=True).stdout
    sizes = defaultdict(int)
    for line in out.splitlines():
        w = line.split()
        if len(w) == 4 and w[2] not in "bB":
            sizes[w[3]] += int(w[1], 16)
    return dict(sizes)


# The objects SMP (issue 13) brought: lib/lcore, the kvm platform's CPU
# bring-up and LAPIC, an app's own lcore file. What of them an image holds
# is what SMP costs it (smp_bytes).
SMP_OBJECTS = ("/liblcore/", "/plat/kvm/smp", "/plat/kvm/nfvm_smp", "/plat/kvm/lapic",
               "/lcores.c.o")


def smp_bytes(image):
    """Bytes of the image's code and data that come from SMP_OBJECTS: the
    names each of those objects defines, sized in the unstripped image
    (a static name another file also uses counts whole: an upper bound).
    None without the .dbg image or its objects."""
    obj_dir = os.path.join(os.path.dirname(image), "obj")
    if not os.path.exists(image + ".dbg") or not os.path.isdir(obj_dir):
        return None
    objs = [os.path.join(d, f) for d, _, fs in os.walk(obj_dir) for f in fs
            if f.endswith(".o") and any(k in os.path.join(d, f) for k in SMP_OBJECTS)]
    names = set()
    for o in objs:
        out = subprocess.run(["nm", "--defined-only", o], capture_output=True, text=True,
                             check=True).stdout
        names.update(w[2] for w in (line.split() for line in out.splitlines()) if len(w) == 3)
    return sum(b for n, b in symbols(image).items() if n in names)


def measure(apps=APPS, smp=False, against=None, build=True):
    """{app: {"bytes", "path"[, "against_bytes"]} or {"error"}}."""
    built = (build_images([(a, "kvm") for a in apps], cpus=2 if smp else 1) if build
             else {(a, "kvm"): nfos_cli.image_path(a, "kvm", smp) for a in apps})
    res = {}
    for app in apps:
        path = built[(app, "kvm")]
        if isinstance(path, Unavailable) or not os.path.exists(path):
            res[app] = {"error": str(path) if isinstance(path, Unavailable) else "not built"}
            continue
        smp_app = smp and nfos_cli.smp_variant(app, 2)
        res[app] = {"path": os.path.relpath(path, ROOT), "bytes": os.path.getsize(path),
                    "loaded": loaded_bytes(path), "smp_bytes": smp_bytes(path)}
        if against:
            old = image_in(against, app, smp_app)
            res[app]["against"] = old
            if os.path.exists(old):
                res[app]["against_bytes"] = os.path.getsize(old)
                res[app]["against_loaded"] = loaded_bytes(old)
    return res


def symbol_rows(new, old, top):
    """The top symbols of new (old None), or the top changes old -> new."""
    if old is None:
        items = sorted(new.items(), key=lambda kv: -kv[1])[:top]
        return [f"    {b:>7}  {name}" for name, b in items]
    names = set(new) | set(old)
    delta = {n: new.get(n, 0) - old.get(n, 0) for n in names}
    items = sorted((n for n in names if delta[n]), key=lambda n: -abs(delta[n]))[:top]
    return [f"    {delta[n]:>+7}  {n} ({old.get(n, 0)} -> {new.get(n, 0)})" for n in items]


def report(res, top=0, smp=False):
    print(f"nfos bench boot --sizes: kvm images{' (SMP variants)' if smp else ''}: stripped "
          f"ELF bytes (loaded: its segments' bytes, without the page padding)")
    for app, r in res.items():
        if "error" in r:
            print(f"  {app:<10}  {r['error']}")
            continue
        line = f"  {app:<10}  {r['bytes']:>8}  loaded {r['loaded']:>8}"
        if r.get("smp_bytes") is not None:
            line += f"  SMP's {r['smp_bytes']:>6}"
        if "against" in r:
            old, old_l = r.get("against_bytes"), r.get("against_loaded")
            line += (f"   against {old:>8} ({r['bytes'] - old:+d})  loaded {old_l:>8} "
                     f"({r['loaded'] - old_l:+d})" if old is not None
                     else f"   against: {r['against']} not built")
        print(line)
        if top:
            path = os.path.join(ROOT, r["path"])
            old = r.get("against_bytes") is not None and symbols(r["against"])
            rows = symbol_rows(symbols(path), old if old else None, top)
            print("\n".join(rows) if rows else "    (no .dbg image: no symbols)")


def main(args):
    """args: bench boot's parsed options (--sizes, --smp, --against, --symbols;
    --json FILE writes them there too)."""
    res = measure(smp=args.smp, against=args.against)
    report(res, args.symbols, args.smp)
    if args.json:
        out = {"benchmark": "sizes", "date": cli.now(), "smp": args.smp, "images": res}
        print(f"results: {cli.write_json(out, args.json)}")
    bad = [a for a, r in res.items() if "error" in r]
    return 1 if bad else 0

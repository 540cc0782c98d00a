"""Debian source packages for the build (musl, lua5.4, dpdk): the deb-src entry
`apt-get source` needs, written beside the system's binary entries.

The entry copies the URIs and Suites of every `Types: deb` stanza of
/etc/apt/sources.list.d/debian.sources (so it follows the same mirror or
snapshot) into nfos-src.sources with `Types: deb-src`.
"""
import os

DEB_SOURCES = "/etc/apt/sources.list.d/debian.sources"
NFOS_SOURCES = "/etc/apt/sources.list.d/nfos-src.sources"


def stanzas(text):
    """The deb822 stanzas of text as lists of 'Key: value' lines."""
    out, cur = [], []
    for line in text.splitlines():
        if not line.strip():
            if cur:
                out.append(cur)
            cur = []
        elif not line.lstrip().startswith("#"):
            cur.append(line)
    if cur:
        out.append(cur)
    return out


def deb_src_text(text):
    """The deb-src stanzas for the `Types: deb` stanzas of text, or ''."""
    result = []
    for st in stanzas(text):
        fields = {ln.split(":", 1)[0].strip().lower(): ln for ln in st if ":" in ln}
        types = fields.get("types", "").split(":", 1)[-1].split()
        if "deb" not in types or "uris" not in fields:
            continue
        keep = [ln for ln in st if ln.split(":", 1)[0].strip().lower() != "types"]
        result.append("\n".join(["Types: deb-src"] + keep))
    return "\n\n".join(result) + "\n" if result else ""


def has_deb_src(sources_dir="/etc/apt/sources.list.d", list_file="/etc/apt/sources.list"):
    """True when some apt source already offers deb-src."""
    paths = [list_file] + [os.path.join(sources_dir, f) for f in sorted(os.listdir(sources_dir))
                           if f.endswith((".sources", ".list"))] \
        if os.path.isdir(sources_dir) else [list_file]
    for p in paths:
        try:
            with open(p) as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("deb-src ") or (s.lower().startswith("types:") and "deb-src" in s):
                return True
    return False


def ensure_deb_src():
    """Writes NFOS_SOURCES when no deb-src entry exists. Returns True when it
    wrote one (the caller runs apt-get update), False when none was needed.
    Raises OSError when it cannot (not root, no debian.sources)."""
    if has_deb_src():
        return False
    with open(DEB_SOURCES) as f:
        text = deb_src_text(f.read())
    if not text:
        raise OSError(f"{DEB_SOURCES} has no 'Types: deb' stanza to copy")
    with open(NFOS_SOURCES, "w") as f:
        f.write("# Written by `./nfos deps`: source packages (musl, lua5.4) for the build.\n")
        f.write(text)
    return True

"""`./nfos run APP --files DIR`: DIR packed into a cpio archive ("newc", the
format lib/cpiofs reads and `cpio -o -H newc` writes), which the image gets
as its initrd. Inside the image DIR appears under the path given here, as
the guest resolves it from its working directory "/": `--files tests/lua`
then `tests/lua/x.lua` (or `/tests/lua/x.lua`) opens the host's file.

Regular files (symlinks followed) and directories only; anything else in
DIR is a usage error, as is a file over 4 GiB (newc's size field)."""

import hashlib
import os
import stat

from tools.base import ROOT, UsageError

TRAILER = "TRAILER!!!"


def entry(name, mode, data=b"", mtime=0, ino=0, nlink=1):
    """One newc entry: header, NUL-terminated name, data, each padded to 4."""
    raw = name.encode()
    fields = (ino, mode, 0, 0, nlink, mtime, len(data), 0, 0, 0, 0, len(raw) + 1, 0)
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + raw + b"\0"
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)


def guest_prefix(d):
    """DIR as the guest names it: no leading '/', '.' or '..' components
    (the guest's "/.." is "/", as the host's is)."""
    parts = [p for p in os.path.normpath(d).split(os.sep) if p not in ("", ".", "..")]
    return "/".join(parts)


def _walk(d):
    """(relative path, os.stat) of DIR's directories and files, sorted."""
    out = []
    for top, dirs, files in os.walk(d):
        dirs.sort()
        rel = os.path.relpath(top, d)
        for n in sorted(dirs + files):
            path = os.path.join(top, n)
            st = os.stat(path)
            if os.path.islink(path) and stat.S_ISDIR(st.st_mode):
                raise UsageError(f"--files: {path}: a symlink to a directory is not supported")
            if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
                raise UsageError(f"--files: {path}: only regular files and directories")
            if st.st_size >= 1 << 32:
                raise UsageError(f"--files: {path}: larger than a cpio entry holds (4 GiB)")
            out.append((os.path.normpath(os.path.join(rel, n)), st))
    return out


def archive(d):
    """The cpio archive (bytes) of directory d, under guest_prefix(d)."""
    if not os.path.isdir(d):
        raise UsageError(f"--files {d}: not a directory")
    prefix = guest_prefix(d)
    parts = prefix.split("/") if prefix else []
    ino = 1
    chunks = [entry(".", stat.S_IFDIR | 0o555, ino=ino, nlink=2)]
    for i in range(len(parts)):  # DIR's parents, then DIR: lookup needs each
        ino += 1
        chunks.append(entry("/".join(parts[:i + 1]), stat.S_IFDIR | 0o555, ino=ino, nlink=2))
    for rel, st in _walk(d):
        ino += 1
        name = f"{prefix}/{rel}" if prefix else rel
        if stat.S_ISDIR(st.st_mode):
            chunks.append(entry(name, stat.S_IFDIR | (st.st_mode & 0o7777), mtime=int(st.st_mtime),
                                ino=ino, nlink=2))
        else:
            with open(os.path.join(d, rel), "rb") as f:
                data = f.read()
            chunks.append(entry(name, st.st_mode, data, int(st.st_mtime), ino))
    chunks.append(entry(TRAILER, 0))
    return b"".join(chunks)


def pack(d):
    """Writes d's archive to build/files/ and returns its path (one file per
    DIR, replaced whole: concurrent runs of the same DIR read a whole one)."""
    data = archive(d)
    out = os.path.join(ROOT, "build", "files")
    os.makedirs(out, exist_ok=True)
    key = hashlib.sha1(os.path.abspath(d).encode()).hexdigest()[:12]
    path = os.path.join(out, f"{os.path.basename(os.path.abspath(d)) or 'root'}-{key}.cpio")
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return path

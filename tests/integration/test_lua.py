"""apps/lua: Debian's Lua 5.4, unmodified, on musl, as a kvm image (QEMU,
KVM or TCG) and a linuxu process. Debian's lua5.4 source has no test suite
(upstream ships it apart, as lua-5.4.x-tests), so the scripts here are ours:
tests/integration/lua/lang.lua (the language and its libraries) and
files.lua (the image's file tree from --files: io, dofile, require, EROFS)."""

import os
import shutil
import subprocess

import pytest

from conftest import ROOT, boot, check_tap, image_fixture, nfos, run_linuxu
from test_musl import syscall_insns
from tools import files

lua_kvm = image_fixture("lua", "kvm")
lua_linuxu = image_fixture("lua", "linuxu")
SCRIPTS = os.path.join(ROOT, "tests", "integration", "lua")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """The scripts in a fresh folder, with a 100000-byte file made here."""
    d = str(tmp_path_factory.mktemp("luatree") / "t")
    shutil.copytree(SCRIPTS, d)
    with open(os.path.join(d, "lib", "big.bin"), "wb") as f:
        f.write(b"x" * (100000 - 5) + b"end\n\0")
    return d


def boot_files(image, d, args):
    return boot(image, args=args, extra=["-initrd", files.pack(d)])


def test_version_kvm(lua_kvm):
    r = boot(lua_kvm, args=["-e", "print(_VERSION)"])
    assert r.status == 0 and r.out.splitlines()[-1] == "Lua 5.4", r


def test_version_linuxu(lua_linuxu):
    r = run_linuxu(lua_linuxu, args=["-e", "print(_VERSION)"])
    assert r.status == 0 and r.out == "Lua 5.4\n", r


def test_exit_status_and_error(lua_kvm):
    assert boot(lua_kvm, args=["-e", "os.exit(7)"]).status == 7
    r = boot(lua_kvm, args=["-e", "error('boom')"])
    assert r.status == 1 and "boom" in r.text, r


@pytest.mark.parametrize("plat", ["kvm", "linuxu"])
def test_script_from_files(tree, plat):
    """The issue's command: ./nfos run lua --files DIR -- DIR/script.lua ARGS."""
    r = nfos("run", "lua", "--plat", plat, "--files", tree, "--",
             f"{tree}/files.lua", "a", "b c")
    check_tap(r)
    assert "args: a,b c\n" in r.out, r


def test_language_kvm(lua_kvm, tree):
    check_tap(boot_files(lua_kvm, tree, [f"{tree}/lang.lua"]))


def test_language_linuxu(lua_linuxu, tree):
    r = run_linuxu(lua_linuxu, params=[f"nfos.initrd={files.pack(tree)}"],
                   args=[f"{tree}/lang.lua"])
    check_tap(r)


def test_relative_files_dir(lua_kvm, tree):
    """--files with a relative DIR: the guest finds it under that path."""
    rel = os.path.relpath(tree)
    check_tap(boot_files(lua_kvm, rel, [f"{rel}/files.lua"]))


def test_debian_cpio_archive_as_initrd(lua_kvm, tree, tmp_path):
    """An archive Debian's cpio wrote (names "./lib/mod.lua") is read too,
    and tools/files.py's archive lists the same under `cpio -t`."""
    if not shutil.which("cpio"):
        pytest.fail("cpio is not installed (./nfos deps installs it)")
    names = subprocess.run("find . | cpio -o -H newc --quiet", shell=True, cwd=tree,
                           capture_output=True, check=True).stdout
    rd = tmp_path / "debian.cpio"
    rd.write_bytes(names)
    r = boot(lua_kvm, args=["-e", "print(dofile('/lib/mod.lua').answer)"],
             extra=["-initrd", str(rd)])
    assert r.status == 0 and r.out.splitlines()[-1] == "42", r
    ours = subprocess.run(["cpio", "-t", "--quiet"], input=files.archive(tree),
                          capture_output=True, check=True).stdout.decode().split()
    prefix = files.guest_prefix(tree)
    assert f"{prefix}/lib/mod.lua" in ours and f"{prefix}/files.lua" in ours, ours


def test_bad_initrd_is_one_line(lua_kvm, tmp_path):
    """An initrd that is not a cpio archive: one line saying why, then no
    files (the script is not found), never a crash."""
    rd = tmp_path / "junk"
    rd.write_bytes(b"070701" + b"z" * 200)
    r = boot(lua_kvm, args=["/x.lua"], extra=["-initrd", str(rd)])
    assert "nfos: the initrd is not a usable cpio archive: header field is not " \
           "hexadecimal at byte 0; no files" in r.out, r
    assert r.status == 1 and "cannot open /x.lua" in r.text, r


def test_image_size_and_no_syscall(lua_kvm):
    assert os.path.getsize(lua_kvm) <= 512 * 1024, os.path.getsize(lua_kvm)
    # kvm_smp_halt's is the deliberate one: a console read halts there.
    assert syscall_insns(lua_kvm + ".dbg") == []

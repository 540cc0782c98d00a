"""musl in nfos images (lib/musl, lib/syscall): the POSIX sample passes on
kvm and linuxu, an unknown system call is named once on the console, and no
kvm image holds a system call instruction (the link-time check fires)."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, boot, build, image_fixture, run_linuxu
from conftest import check_tap as conftest_check_tap
from test_build import add_files, copy_tree, make
from tools import srcpkg

posix_kvm = image_fixture("posixtest", "kvm")
posix_linuxu = image_fixture("posixtest", "linuxu")
hello_kvm = image_fixture("helloworld", "kvm")

ENOSYS_LINE = "nfos: system call acct (163) is not implemented: -ENOSYS"


def check_tap(r):
    conftest_check_tap(r)
    # Two calls, one line: the first sight of a number is named, even at
    # the default (and an explicit) nfos.verbose=0.
    assert r.out.count(ENOSYS_LINE) == 1, r
    assert "# stdin: 0 bytes: \n" in r.out, r


def test_posixtest_kvm(posix_kvm):
    check_tap(boot(posix_kvm, params=["nfos.verbose=0"], args=["x"]))


def test_posixtest_linuxu(posix_linuxu):
    r = run_linuxu(posix_linuxu, params=["nfos.verbose=0"])
    check_tap(r)
    out = subprocess.run(["file", posix_linuxu], capture_output=True, text=True).stdout
    assert "statically linked" in out, out  # musl only: no host glibc


def check_smp(r):
    """A --cpus 2 run: the first thread ran on lcore 1, beside main."""
    check_tap(r)
    assert "# 2 lcores\n" in r.out, r
    assert "# the first thread ran on lcore 1, the second on lcore 0, main on 0\n" in r.out, r
    assert "# lcore_launch: lcore 1 prints with musl's stdio\n" in r.out, r


def test_posixtest_kvm_2cpus(posix_kvm):
    check_smp(boot(posix_kvm, params=["nfos.cpus=2"], args=["x"], extra=["-smp", "2"]))


def test_posixtest_linuxu_2cpus(posix_linuxu):
    check_smp(run_linuxu(posix_linuxu, params=["nfos.cpus=2"]))


def test_deadlock_between_lcores_is_reported(posix_kvm, posix_linuxu):
    """Main holds a mutex and joins a thread on lcore 1 that waits for it:
    the image names the deadlock and ends with the crash status."""
    runs = [boot(posix_kvm, params=["nfos.cpus=2"], args=["deadlock"], extra=["-smp", "2"]),
            run_linuxu(posix_linuxu, params=["nfos.cpus=2"], args=["deadlock"])]
    for r in runs:
        assert r.status == 126, r
        assert "# lock_held runs on lcore 1\n" in r.out, r
        assert re.search(r"nfos: deadlock: thread \d+ waits", r.text), r
        assert "the join returned" not in r.out, r


def test_kvm_stdin_from_cmdline(posix_kvm):
    """fd 0 of a kvm image reads the text of nfos.stdin=..., then end of
    file; without it stdin is empty."""
    r = boot(posix_kvm, params=["nfos.stdin=hello,stdin"])
    assert r.status == 0, r
    assert "# stdin: 11 bytes: hello,stdin\n" in r.out, r


def syscall_insns(image):
    """System call instructions outside kvm_smp_halt, the one deliberate
    CPL0 entry (an idle lcore's halt; mk/nosyscall.sh allows it too)."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", image], capture_output=True,
                         text=True, check=True).stdout
    found, fn = [], None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            fn = m.group(1)
        elif re.search(r"\t(syscall|sysenter|int +\$0x80)\s*$", line) and fn != "kvm_smp_halt":
            found.append(f"{fn}: {line.strip()}")
    return found


@pytest.mark.parametrize("app", ["posixtest", "helloworld"])
def test_no_syscall_instruction_in_kvm_images(app):
    assert syscall_insns(build(app, "kvm") + ".dbg") == []


def test_syscall_check_fires(posix_linuxu, tmp_path):
    """mk/nosyscall.sh refuses an image with syscall instructions (the
    linuxu image has them, in its host pass-through) and removes it."""
    img = tmp_path / "img"
    shutil.copy(posix_linuxu + ".dbg", img)
    assert syscall_insns(str(img)), "the linuxu image should hold host syscalls"
    r = subprocess.run(["sh", os.path.join(ROOT, "mk", "nosyscall.sh"), str(img)],
                       capture_output=True, text=True)
    assert r.returncode == 1, r
    assert "holds system call instructions" in r.stderr, r.stderr
    assert "<syscall_host>" in r.stderr, r.stderr
    assert not img.exists()


SC_APP = {
    "apps/sc/Config.uk": 'config APPSC\n\tbool "sc"\n\tdefault y\n\tselect LIBNOLIBC if PLAT_KVM\n',
    "apps/sc/defconfig": "CONFIG_APPSC=y\n",
    "apps/sc/Makefile.uk": "$(eval $(call addlib,appsc,$(CONFIG_APPSC)))\n"
                           "APPSC_SRCS-y += $(APPSC_BASE)/main.c\n",
    "apps/sc/exportsyms.uk": "main\n",
    "apps/sc/main.c": "__attribute__((noinline)) long raw_getpid(void)\n{\n    long r;\n"
                      "    __asm__ volatile(\"syscall\" : \"=a\"(r) : \"a\"(39L) : \"rcx\", \"r11\");\n"
                      "    return r;\n}\n\nint main(void)\n{\n    return (int)raw_getpid();\n}\n",
}


def test_kvm_build_with_a_syscall_instruction_fails(tmp_path):
    """An app holding a raw syscall builds on linuxu but not for kvm: the
    link names the function and leaves no image behind."""
    tree = copy_tree(tmp_path / "tree")
    add_files(tree, SC_APP)
    r = make("APP=sc", "PLAT=linuxu", cwd=str(tree))
    assert r.returncode == 0, r.stdout + r.stderr
    r = make("APP=sc", "PLAT=kvm", cwd=str(tree))
    assert r.returncode != 0, r.stdout
    assert "holds system call instructions" in r.stderr, r.stderr
    assert "<raw_getpid>" in r.stderr, r.stderr
    assert not (tree / "build/sc_kvm-x86_64/sc_kvm-x86_64.dbg").exists()


def test_deps_writes_deb_src_like_the_binary_entries():
    """./nfos deps copies each `Types: deb` stanza (URIs, Suites, keys) as
    `Types: deb-src`, so apt-get source musl uses the same mirror."""
    text = ("Types: deb\n# snapshot\nURIs: http://deb.debian.org/debian\n"
            "Suites: bookworm bookworm-updates\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
            "Types: deb-src\nURIs: http://x\nSuites: y\nComponents: main\n")
    out = srcpkg.deb_src_text(text)
    assert out == ("Types: deb-src\nURIs: http://deb.debian.org/debian\n"
                   "Suites: bookworm bookworm-updates\nComponents: main\n"
                   "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"), out
    assert srcpkg.deb_src_text("Types: deb-src\nURIs: http://x\n") == ""

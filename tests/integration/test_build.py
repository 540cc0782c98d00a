"""The build system: Kconfig resolution, only enabled libraries compile,
exported-symbol checks between libraries, reproducible images, errors."""

import os
import shutil
import subprocess

import pytest

from conftest import ROOT, build


def make(*args, cwd=ROOT, env=None):
    return subprocess.run(["make", "-C", cwd, f"-j{os.cpu_count()}"] + list(args),
                          capture_output=True, text=True, env=env)


def config_of(app, plat):
    with open(os.path.join(ROOT, "build", f"{app}_{plat}-x86_64", ".config")) as f:
        return f.read()


def test_selects_resolve(selftest_kvm):
    cfg = config_of("selftest", "kvm")
    for sym in ("LIBPOOL", "LIBALLOC", "LIBPGALLOC", "LIBNOLIBC", "LIBCORE", "PLAT_KVM"):
        assert f"CONFIG_{sym}=y" in cfg, sym


def test_only_enabled_libraries_compile(hello_kvm, hello_linuxu):
    objs = os.listdir(os.path.join(ROOT, "build", "helloworld_kvm-x86_64", "obj"))
    assert "libnolibc" in objs and "libkvmplat" in objs
    assert "liballoc" not in objs and "libpool" not in objs
    assert "CONFIG_LIBNOLIBC=y" not in config_of("helloworld", "linuxu")


def test_image_is_reproducible(tmp_path):
    one = make("APP=helloworld", "PLAT=kvm", f"BUILD={tmp_path}/a")
    two = make("APP=helloworld", "PLAT=kvm", f"BUILD={tmp_path}/b")
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    a = open(f"{tmp_path}/a/helloworld_kvm-x86_64", "rb").read()
    b = open(f"{tmp_path}/b/helloworld_kvm-x86_64", "rb").read()
    assert a == b


def test_unexported_symbol_fails_the_link(tmp_path):
    """An app calling a libcore function that libcore does not export."""
    tree = tmp_path / "tree"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True).stdout.split()
    for f in files:
        if os.path.isfile(os.path.join(ROOT, f)):
            os.makedirs(tree / os.path.dirname(f), exist_ok=True)
            shutil.copy(os.path.join(ROOT, f), tree / f)
    app = tree / "apps" / "sneaky"
    app.mkdir()
    (app / "Config.uk").write_text("config APPSNEAKY\n\tbool \"sneaky\"\n\tdefault y\n"
                                   "\tselect LIBCORE\n")
    (app / "defconfig").write_text("CONFIG_APPSNEAKY=y\n")
    (app / "exportsyms.uk").write_text("main\n")
    (app / "Makefile.uk").write_text("$(eval $(call addlib,appsneaky,$(CONFIG_APPSNEAKY)))\n"
                                     "APPSNEAKY_SRCS-y += $(APPSNEAKY_BASE)/main.c\n")
    (app / "main.c").write_text("void core_boottrace_print(void);\n"
                                "int main(void) { core_boottrace_print(); return 0; }\n")
    r = make("APP=sneaky", "PLAT=linuxu", cwd=str(tree))
    assert r.returncode != 0
    assert ("appsneaky uses `core_boottrace_print`, defined in libcore but not exported "
            "by") in r.stdout + r.stderr, r.stdout + r.stderr


@pytest.mark.parametrize("args,message", [
    (["APP=nope"], "unknown app 'nope'"),
    (["APP=helloworld", "PLAT=xen"], "unknown platform 'xen'"),
])
def test_make_errors(args, message):
    r = make(*args)
    assert r.returncode != 0 and message in r.stderr, r.stderr


def test_nfos_build_prints_image(hello_kvm):
    from conftest import nfos
    r = nfos("build", "helloworld")
    assert r.status == 0, r
    assert r.out.strip().splitlines()[-1] == f"image: {hello_kvm}"


def test_image_size(hello_kvm):
    """The stripped helloworld image; the acceptance bound is 64 KiB."""
    size = os.path.getsize(hello_kvm)
    print(f"helloworld kvm image: {size} bytes")
    assert size <= 64 * 1024

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


def copy_tree(dest):
    """The checkout's files (tracked and untracked, not ignored) under dest."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True).stdout.split()
    for f in files:
        if os.path.isfile(os.path.join(ROOT, f)):
            os.makedirs(dest / os.path.dirname(f), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, f), dest / f)
    return dest


def test_unexported_symbol_fails_the_link(tmp_path):
    """An app calling a libcore function that libcore does not export."""
    tree = copy_tree(tmp_path / "tree")
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


# A new netdev driver: drivers/foo/, a vdev (netdev.dev=foo) whose port
# receives nothing and frees what it sends.
FOO_DRIVER = r"""
#include <errno.h>
#include <nfos/bus.h>
#include <nfos/netdev_driver.h>

static struct netdev foo_dev;
static int foo_q;

static uint16_t foo_rx(void *q, struct netbuf **pkts, uint16_t n) { return 0; }
static uint16_t foo_tx(void *q, struct netbuf **pkts, uint16_t n)
{
    netbuf_free_bulk(pkts, n);
    return n;
}
static int foo_info(struct netdev *d, struct netdev_info *i)
{
    i->driver = "foo";
    i->max_rx_queues = i->max_tx_queues = 1;
    i->min_mtu = 68;
    i->max_mtu = 1500;
    return 0;
}
static int foo_configure(struct netdev *d, const struct netdev_conf *c) { return 0; }
static int foo_rxq(struct netdev *d, uint16_t q, uint16_t r, struct pool *p, void **qp)
{
    *qp = &foo_q;
    return 0;
}
static int foo_txq(struct netdev *d, uint16_t q, uint16_t r, void **qp)
{
    *qp = &foo_q;
    return 0;
}
static int foo_start(struct netdev *d) { return 0; }
static const struct netdev_ops foo_ops = {
    .info = foo_info, .configure = foo_configure, .rxq_setup = foo_rxq,
    .txq_setup = foo_txq, .start = foo_start,
};
static int foo_probe(struct bus_device *bdev)
{
    foo_dev.ops = &foo_ops;
    foo_dev.rx_burst = foo_rx;
    foo_dev.tx_burst = foo_tx;
    foo_dev.mac[0] = 0x02;
    return netdev_register(&foo_dev);
}
static const struct bus_driver foo_driver = {
    .name = "foo", .bus = "vdev", .ids = "foo", .probe = foo_probe,
};
BUS_DRIVER_REGISTER(foo_driver);
"""

# A new app: apps/bar/, which names the driver of every port it is given.
BAR_APP = r"""
#include <stdio.h>
#include <nfos/netdev.h>

int main(int argc, char **argv)
{
    struct netdev_info info;
    unsigned p;

    printf("bar: %u ports\n", netdev_count());
    for (p = 0; p < netdev_count(); p++) {
        if (netdev_info(netdev_get(p), &info))
            return 1;
        printf("bar: port %u driver %s\n", p, info.driver);
    }
    return 0;
}
"""


def add_files(tree, files):
    for path, text in files.items():
        os.makedirs(tree / os.path.dirname(path), exist_ok=True)
        (tree / path).write_text(text.lstrip("\n"))


def test_new_app_and_driver_need_only_their_folders(tmp_path):
    """docs/ARCHITECTURE.md's recipe: an app and a netdev driver are each one
    new folder; nothing else in the tree is edited, and both are found (the
    build links the driver into an app that links every driver; ./nfos runs
    the app by name)."""
    tree = copy_tree(tmp_path / "tree")
    add_files(tree, {
        "drivers/foo/Config.uk": "config LIBFOO\n\tbool \"foo: a test driver\"\n"
                                 "\tdefault y if LIBNETDEV_ALL_DRIVERS\n"
                                 "\tselect LIBNETDEV\n\tselect LIBBUS\n",
        "drivers/foo/Makefile.uk": "$(eval $(call addlib,libfoo,$(CONFIG_LIBFOO)))\n"
                                   "LIBFOO_SRCS-y += $(LIBFOO_BASE)/foo.c\n",
        "drivers/foo/exportsyms.uk": "# nothing: reached through the netdev API\n",
        "drivers/foo/foo.c": FOO_DRIVER,
        "drivers/foo/vdev.conf": "kind = foo\narg = none\n",
        "apps/bar/Config.uk": "config APPBAR\n\tbool \"bar\"\n\tdefault y\n"
                              "\tselect LIBNETDEV\n\tselect LIBNETDEV_ALL_DRIVERS\n"
                              "\tselect LIBNOLIBC if PLAT_KVM\n",
        "apps/bar/defconfig": "CONFIG_APPBAR=y\n",
        "apps/bar/Makefile.uk": "$(eval $(call addlib,appbar,$(CONFIG_APPBAR)))\n"
                                "APPBAR_SRCS-y += $(APPBAR_BASE)/main.c\n",
        "apps/bar/exportsyms.uk": "main\n",
        "apps/bar/main.c": BAR_APP,
    })
    for plat in ("linuxu", "kvm"):
        r = make("APP=bar", f"PLAT={plat}", cwd=str(tree))
        assert r.returncode == 0, r.stdout + r.stderr
        assert "recursive dependency" not in r.stdout + r.stderr, r.stderr  # Kconfig's
    assert "CONFIG_LIBFOO=y" in open(tree / "build/bar_kvm-x86_64/.config").read()
    r = subprocess.run([str(tree / "nfos"), "run", "bar", "--plat", "linuxu", "--net", "foo",
                        "--timeout", "60"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "bar: 1 ports" in r.stdout and "bar: port 0 driver foo" in r.stdout, r.stdout
    r = subprocess.run([str(tree / "nfos"), "run", "nosuchapp"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "bar" in r.stderr, r.stderr  # listed among the apps

"""`./nfos run` gives its stdin to the guest (tools/console.py): a kvm image
reads it on the serial console, through its line discipline, with ^D after
its end; a linuxu image reads it as its own stdin. The relay alone first:
it copies, marks the end, and stops quietly when the guest went away."""

import os

from conftest import check_tap, image_fixture, nfos
from tools import console

posix_kvm = image_fixture("posixtest", "kvm")
posix_linuxu = image_fixture("posixtest", "linuxu")

TYPED = "first line\nsecond\n"


def test_relay_copies_then_marks_the_end():
    src_r, src_w = os.pipe()
    dst_r, dst_w = os.pipe()
    os.write(src_w, b"abc\ndef")
    os.close(src_w)
    console.relay(src_r, dst_w)  # closes both
    with os.fdopen(dst_r, "rb") as f:
        assert f.read() == b"abc\ndef" + console.EOF_MARK


def test_relay_stops_when_the_reader_is_gone():
    src_r, src_w = os.pipe()
    dst_r, dst_w = os.pipe()
    os.close(dst_r)
    os.write(src_w, b"x" * 100)
    os.close(src_w)
    console.relay(src_r, dst_w)  # EPIPE: no exception, both closed


def run_with_stdin(plat, text):
    return nfos("run", "posixtest", "--plat", plat, input=text)


def test_kvm_reads_the_serial_console(posix_kvm):
    r = run_with_stdin("kvm", TYPED)
    check_tap(r)
    assert f"# stdin: {len(TYPED)} bytes: {TYPED}\n" in r.out, r
    # A terminal echoes what it reads in canonical mode, a pipe or not.
    assert r.out.index(TYPED) < r.out.index("# stdin:"), r


def test_linuxu_reads_its_stdin(posix_linuxu):
    r = run_with_stdin("linuxu", TYPED)
    check_tap(r)
    assert f"# stdin: {len(TYPED)} bytes: {TYPED}\n" in r.out, r
    assert r.out.count(TYPED) == 1, r  # no echo from a pipe


def test_no_stdin_is_an_empty_one(posix_kvm):
    r = nfos("run", "posixtest")  # stdin /dev/null
    check_tap(r)
    assert "# stdin: 0 bytes: \n" in r.out, r

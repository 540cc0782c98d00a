"""bench boot --sizes (bench/boot/sizes.py) without building: the loaded
bytes of an ELF's PT_LOAD segments, the per-symbol rows, and the options
that belong to --sizes alone."""

import struct

import pytest

from bench.boot import bench_boot, sizes


def elf(path, segments):
    """A minimal ELF64 header and program headers: (p_type, filesz) each."""
    ph = b"".join(struct.pack("<IIQQQQQQ", t, 0, 0, 0, 0, filesz, filesz, 0x1000)
                  for t, filesz in segments)
    ehdr = bytearray(64)
    ehdr[:5] = b"\x7fELF\x02"
    struct.pack_into("<Q", ehdr, 32, 64)
    struct.pack_into("<HH", ehdr, 54, 56, len(segments))
    path.write_bytes(bytes(ehdr) + ph)


def test_loaded_bytes_adds_the_load_segments_only(tmp_path):
    elf(tmp_path / "img", [(1, 0x13ed0), (1, 0x44a0), (4, 0x7c)])
    assert sizes.loaded_bytes(str(tmp_path / "img")) == 0x13ed0 + 0x44a0


def test_symbol_rows_top_and_changes():
    new = {"main": 900, "big": 5000, "gone_in_new": 0, "added": 30}
    assert sizes.symbol_rows(new, None, 2) == ["       5000  big", "        900  main"]
    old = {"main": 1000, "big": 5000, "removed": 70}
    assert sizes.symbol_rows(new, old, 3) == [
        "       -100  main (1000 -> 900)", "        -70  removed (70 -> 0)",
        "        +30  added (0 -> 30)"]


@pytest.mark.parametrize("opt", [["--smp"], ["--against", "/tmp"], ["--symbols", "3"]])
def test_size_options_need_sizes(opt, capsys):
    with pytest.raises(SystemExit) as e:
        bench_boot.main(opt)
    assert e.value.code == 2
    assert "go with --sizes" in capsys.readouterr().err


def test_smp_bytes_counts_the_smp_objects_only(tmp_path):
    """Two objects linked into an image: only the names lib/lcore's object
    defines count, sized as linked (its bss does not: no image bytes)."""
    import subprocess
    lcore, other = tmp_path / "obj" / "liblcore", tmp_path / "obj" / "libother"
    lcore.mkdir(parents=True)
    other.mkdir(parents=True)
    (tmp_path / "l.c").write_text("int lcore_n[8];\nint lcore_f(int x) { return x * 3 + 1; }\n"
                                  "int lcore_t[4] = {1, 2, 3, 4};\n")
    (tmp_path / "o.c").write_text("int other_f(int x) { return x + 7; }\n"
                                  "void _start(void) { for (;;) ; }\n")
    for src, out in (("l.c", lcore / "l.c.o"), ("o.c", other / "o.c.o")):
        subprocess.run(["gcc", "-O2", "-c", str(tmp_path / src), "-o", str(out)], check=True)
    img = tmp_path / "img"
    subprocess.run(["gcc", "-nostdlib", "-static", "-o", f"{img}.dbg", str(lcore / "l.c.o"),
                    str(other / "o.c.o")], check=True)
    img.write_bytes(b"")
    syms = sizes.symbols(str(img))
    assert sizes.smp_bytes(str(img)) == syms["lcore_f"] + syms["lcore_t"] == \
        syms["lcore_f"] + 16, syms
    assert sizes.smp_bytes(str(tmp_path / "none")) is None

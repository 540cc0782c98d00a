/* nfvm's guest memory accessor, image loader and boot set-up against
 * hand-made ELF images: what a hostile image file can and cannot make
 * nfvm do. No /dev/kvm. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <string.h>
#include "layout.h"
#include "nfvm.h"
#include "testvm.h"

#define MIB (1ULL << 20)

static struct nfvm_mem mem;
static char err[256];

static void setup(void)
{
    cr_assert_eq(nfvm_mem_create(&mem, 4 * MIB), 0);
}

static void teardown(void)
{
    nfvm_mem_destroy(&mem);
}

TestSuite(mem, .init = setup, .fini = teardown);

Test(mem, accessor_checks_every_byte)
{
    cr_assert_eq(nfvm_gpa(&mem, 0, 4 * MIB), mem.host);
    cr_assert_not_null(nfvm_gpa(&mem, 4 * MIB - 1, 1));
    cr_assert_null(nfvm_gpa(&mem, 4 * MIB - 1, 2));
    cr_assert_null(nfvm_gpa(&mem, 4 * MIB, 1));
    cr_assert_null(nfvm_gpa(&mem, ~0ULL, 2), "no wrap-around");
    cr_assert_null(nfvm_gpa(&mem, 16, ~0ULL - 8));
    cr_assert_null(nfvm_gpa(&mem, NFVM_HIGH_BASE, 1), "nothing above 4 GiB here");
    cr_assert_eq((uintptr_t)mem.host % NFVM_RAM_ALIGN, 0, "2 MiB aligned");
}

Test(mem, sizes_refused)
{
    struct nfvm_mem m;

    cr_assert_eq(nfvm_mem_create(&m, MIB), -EINVAL);
    cr_assert_eq(nfvm_mem_create(&m, 3 * MIB), -EINVAL);
    cr_assert_eq(nfvm_mem_create(&m, NFVM_RAM_MAX + NFVM_RAM_ALIGN), -EINVAL);
}

Test(mem, ram_above_the_hole)
{
    struct nfvm_mem m;

    cr_assert_eq(nfvm_mem_create(&m, NFVM_MMIO_HOLE + 4 * MIB), 0);
    cr_assert_eq(m.low, NFVM_MMIO_HOLE);
    cr_assert_eq(m.high, 4 * MIB);
    cr_assert_null(nfvm_gpa(&m, NFVM_MMIO_HOLE, 1), "the MMIO hole is not RAM");
    cr_assert_eq(nfvm_gpa(&m, NFVM_HIGH_BASE, 4 * MIB), m.host + NFVM_MMIO_HOLE);
    cr_assert_null(nfvm_gpa(&m, NFVM_HIGH_BASE + 4 * MIB - 4, 8));
    nfvm_mem_destroy(&m);
}

/* A small image: one PT_LOAD of 16 bytes at 1 MiB (memsz 64 KiB) and a
 * PT_NOTE with the PVH and nfvm notes. */
struct img {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[2];
    uint8_t code[16];
    uint32_t xen_hdr[3];
    char xen_name[4];
    uint64_t xen_entry;
    uint32_t nfvm_hdr[3];
    char nfvm_name[8];
    struct nfvm_note note;
} __attribute__((packed));

static struct img img;

static void img_make(void)
{
    memset(&img, 0, sizeof(img));
    memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
    img.eh.e_ident[EI_CLASS] = ELFCLASS64;
    img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    img.eh.e_type = ET_EXEC;
    img.eh.e_machine = EM_X86_64;
    img.eh.e_phoff = offsetof(struct img, ph);
    img.eh.e_phentsize = sizeof(Elf64_Phdr);
    img.eh.e_phnum = 2;
    img.ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
                              .p_offset = offsetof(struct img, code),
                              .p_paddr = MIB,
                              .p_filesz = 16,
                              .p_memsz = 0x10000 };
    img.ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE,
                              .p_offset = offsetof(struct img, xen_hdr),
                              .p_filesz = sizeof(img) - offsetof(struct img, xen_hdr) };
    memset(img.code, 0xcc, sizeof(img.code));
    img.xen_hdr[0] = 4;
    img.xen_hdr[1] = 8;
    img.xen_hdr[2] = 18;
    memcpy(img.xen_name, "Xen", 4);
    img.xen_entry = MIB;
    img.nfvm_hdr[0] = 5;
    img.nfvm_hdr[1] = sizeof(struct nfvm_note);
    img.nfvm_hdr[2] = NFVM_NOTE_ENTRY;
    memcpy(img.nfvm_name, "nfvm", 5);
    img.note = testvm_note();
}

static int load(struct nfvm_image *out)
{
    return nfvm_elf_load(&mem, (const uint8_t *)&img, sizeof(img), out, err, sizeof(err));
}

TestSuite(elf, .init = setup, .fini = teardown);

Test(elf, loads_segments_and_notes)
{
    struct nfvm_image i;

    img_make();
    cr_assert_eq(load(&i), 0, "%s", err);
    cr_assert_eq(i.pvh_entry, MIB);
    cr_assert(i.has_note);
    cr_assert_eq(i.note.tss, MIB + 0x4000);
    cr_assert_eq(i.end, MIB + 0x10000);
    cr_assert_eq(memcmp(mem.host + MIB, img.code, 16), 0);
}

Test(elf, refuses_what_is_not_an_image)
{
    struct nfvm_image i;

    img_make();
    cr_assert_eq(nfvm_elf_load(&mem, (const uint8_t *)"hello", 5, &i, err, sizeof(err)), -1);
    cr_assert_eq(nfvm_elf_load(&mem, (const uint8_t *)&img, 63, &i, err, sizeof(err)), -1);
    img.eh.e_machine = EM_AARCH64;
    cr_assert_eq(load(&i), -1);
    cr_assert_str_eq(err, "not an x86-64 ELF64 executable");
}

Test(elf, refuses_tables_outside_the_file)
{
    struct nfvm_image i;

    img_make();
    img.eh.e_phnum = 1000;
    cr_assert_eq(load(&i), -1);
    img_make();
    img.ph[0].p_offset = ~0ULL - 4;
    cr_assert_eq(load(&i), -1);
    img_make();
    img.ph[0].p_filesz = 0x20000; /* more than memsz and than the file */
    cr_assert_eq(load(&i), -1);
    img_make();
    img.nfvm_hdr[1] = 0xfffffff0; /* a note larger than its segment */
    cr_assert_eq(load(&i), -1);
    cr_assert_str_eq(err, "a note runs past its segment");
}

Test(elf, refuses_segments_outside_ram)
{
    struct nfvm_image i;

    img_make();
    img.ph[0].p_memsz = 4 * MIB;
    cr_assert_eq(load(&i), -1);
    cr_assert(strstr(err, "give more --mem"), "%s", err);
    img_make();
    img.ph[0].p_paddr = 0x1000;
    cr_assert_eq(load(&i), -1, "below 1 MiB is nfvm's");
    img_make();
    img.ph[0].p_paddr = ~0ULL - 8;
    cr_assert_eq(load(&i), -1);
}

Test(elf, needs_an_entry_note)
{
    struct nfvm_image i;

    img_make();
    img.eh.e_phnum = 1;
    cr_assert_eq(load(&i), -1);
    cr_assert(strstr(err, "not an nfos kvm image"), "%s", err);
}

TestSuite(boot, .init = setup, .fini = teardown);

Test(boot, direct_entry)
{
    struct nfvm_cpu_features f = { .fsgsbase = 1, .xsave = 1, .avx = 1 };
    struct nfvm_boot_info bi;
    struct nfvm_memmap_entry me;
    struct nfvm_image i;
    struct kvm_sregs s = { 0 };
    struct kvm_regs r;
    uint64_t xcr0, rsp0;
    uint8_t *tss;

    img_make();
    cr_assert_eq(load(&i), 0);
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_DIRECT,
                                 &(struct nfvm_boot_args){ .cmdline = "a b", .tsc_khz = 2000000 },
                                 err, sizeof(err)),
                 0, "%s", err);
    memcpy(&bi, mem.host + NFVM_BOOTINFO_GPA, sizeof(bi));
    cr_assert_eq(bi.magic, NFVM_BOOT_MAGIC);
    cr_assert_eq(bi.tsc_khz, 2000000);
    cr_assert_str_eq((char *)mem.host + bi.cmdline, "a b");
    cr_assert_eq(bi.memmap_entries, 1);
    cr_assert_eq(bi.cpus, 1, "one vCPU unless --cpus says more");
    cr_assert_eq(bi.cpu_table, 0);
    memcpy(&me, mem.host + bi.memmap, sizeof(me));
    cr_assert_eq(me.size, 4 * MIB);
    tss = mem.host + i.note.tss;
    memcpy(&rsp0, tss + NFVM_TSS_RSP0_OFF, 8);
    cr_assert_eq(rsp0, i.note.stack0_top);
    cr_assert_eq(tss[NFVM_TSS_IOMAP_OFF], NFVM_TSS_HEAD_SIZE);
    cr_assert_eq(tss[NFVM_TSS_SIZE - 1], 0xff);

    nfvm_boot_cpu(&i, NFVM_BOOT_DIRECT, &f, 0, &s, &r, &xcr0);
    cr_assert_eq(s.cs.dpl, 3);
    cr_assert_eq(s.cs.l, 1);
    cr_assert_eq(s.ss.selector, NFVM_SEL_UDATA | 3);
    cr_assert_eq(s.tr.base, i.note.tss);
    cr_assert_eq(s.cr3, i.note.pml4);
    cr_assert_eq(r.rflags & 0x3000, 0x3000, "IOPL 3");
    cr_assert_eq(r.rip, i.note.entry);
    cr_assert_eq(r.rdi, NFVM_BOOTINFO_GPA);
    cr_assert_eq((r.rsp + 8) % 16, 0);
    cr_assert_eq(xcr0, 7);
}

Test(boot, pvh_entry)
{
    struct nfvm_cpu_features f = { 0 };
    struct nfvm_image i;
    struct kvm_sregs s = { 0 };
    struct kvm_regs r;
    uint64_t xcr0;
    uint32_t magic;

    img_make();
    cr_assert_eq(load(&i), 0);
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_PVH,
                                 &(struct nfvm_boot_args){ .cmdline = "", .tsc_khz = 0 }, err,
                                 sizeof(err)),
                 0);
    memcpy(&magic, mem.host + NFVM_BOOTINFO_GPA, 4);
    cr_assert_eq(magic, 0x336ec578);
    nfvm_boot_cpu(&i, NFVM_BOOT_PVH, &f, 0, &s, &r, &xcr0);
    cr_assert_eq(s.cr0, 0x11);
    cr_assert_eq(s.cs.db, 1);
    cr_assert_eq(r.rip, MIB);
    cr_assert_eq(r.rbx, NFVM_BOOTINFO_GPA);
    cr_assert_eq(xcr0, 0);
}

Test(boot, refuses_a_note_pointing_outside_ram)
{
    struct nfvm_image i;

    img_make();
    img.note.tss = 4 * MIB - 100; /* the TSS would run past RAM */
    cr_assert_eq(load(&i), 0);
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_DIRECT,
                                 &(struct nfvm_boot_args){ .cmdline = "", .tsc_khz = 0 }, err,
                                 sizeof(err)),
                 -1);
    img_make();
    img.note.stack3_top = 8;
    cr_assert_eq(load(&i), 0);
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_DIRECT,
                                 &(struct nfvm_boot_args){ .cmdline = "", .tsc_khz = 0 }, err,
                                 sizeof(err)),
                 -1);
    img_make();
    img.note.abi_version = 1;
    cr_assert_eq(load(&i), 0);
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_DIRECT,
                                 &(struct nfvm_boot_args){ .cmdline = "", .tsc_khz = 0 }, err,
                                 sizeof(err)),
                 -1);
    cr_assert(strstr(err, "ABI version 1"), "%s", err);
}

/* An image of ABI version 2 (a note 8 bytes shorter, no AP entry): found,
 * and refused by name for the direct entry instead of booted wrongly. */
Test(boot, refuses_an_image_of_the_old_abi)
{
    struct nfvm_image i;

    img_make();
    img.note.abi_version = 2;
    img.note.ap_entry = MIB + 8; /* past a version 2 note's end: not read */
    img.nfvm_hdr[1] = 72;        /* sizeof(struct nfvm_note) in version 2 */
    cr_assert_eq(load(&i), 0, "%s", err);
    cr_assert(i.has_note);
    cr_assert_eq(i.note.abi_version, 2);
    cr_assert_eq(i.note.ap_entry, 0);
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_DIRECT,
                                 &(struct nfvm_boot_args){ .cmdline = "" }, err, sizeof(err)),
                 -1);
    cr_assert(strstr(err, "the image speaks nfvm ABI version 2, this nfvm version 3: rebuild the "
                          "image, or boot it with --boot pvh"),
              "%s", err);
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_PVH, &(struct nfvm_boot_args){ .cmdline = "" },
                                 err, sizeof(err)),
                 0, "PVH still boots it: %s", err);
    img.nfvm_hdr[1] = 2; /* too short even for a version; the segment ends there */
    img.ph[1].p_filesz = offsetof(struct img, note) + 4 - offsetof(struct img, xen_hdr);
    cr_assert_eq(load(&i), 0, "%s", err);
    cr_assert(!i.has_note);
}

Test(boot, refuses_a_long_command_line)
{
    static char line[NFVM_CMDLINE_MAX + 1];
    struct nfvm_image i;

    img_make();
    cr_assert_eq(load(&i), 0);
    memset(line, 'a', NFVM_CMDLINE_MAX);
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_PVH,
                                 &(struct nfvm_boot_args){ .cmdline = line, .tsc_khz = 0 }, err,
                                 sizeof(err)),
                 -1);
    line[NFVM_CMDLINE_MAX - 1] = 0;
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_PVH,
                                 &(struct nfvm_boot_args){ .cmdline = line, .tsc_khz = 0 }, err,
                                 sizeof(err)),
                 0);
}

/* --initrd: the file's bytes at the top of RAM, named by the boot info
 * (direct) or as PVH's first module, with the idle flag passed through. */
Test(boot, initrd_in_the_boot_info)
{
    static const char rd[] = "070701 a cpio archive, or so";
    struct nfvm_boot_info bi;
    struct nfvm_image i;
    uint64_t gpa, mod[4];
    uint32_t si[4];

    img_make();
    cr_assert_eq(load(&i), 0);
    cr_assert_eq(nfvm_initrd_place(&mem, &i, rd, sizeof(rd), &gpa, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(gpa % 4096, 0);
    cr_assert(gpa >= i.end && gpa + sizeof(rd) <= 4 * MIB, "at %#lx", gpa);
    cr_assert_eq(memcmp(mem.host + gpa, rd, sizeof(rd)), 0);
    struct nfvm_boot_args a = {
        .cmdline = "x", .initrd = gpa, .initrd_size = sizeof(rd), .flags = NFVM_BOOT_F_IDLE
    };
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_DIRECT, &a, err, sizeof(err)), 0, "%s", err);
    memcpy(&bi, mem.host + NFVM_BOOTINFO_GPA, sizeof(bi));
    cr_assert_eq(bi.abi_version, NFVM_ABI_VERSION);
    cr_assert_eq(bi.initrd, gpa);
    cr_assert_eq(bi.initrd_size, sizeof(rd));
    cr_assert_eq(bi.flags, NFVM_BOOT_F_IDLE);

    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_PVH, &a, err, sizeof(err)), 0, "%s", err);
    memcpy(si, mem.host + NFVM_BOOTINFO_GPA, sizeof(si));
    cr_assert_eq(si[3], 1, "nr_modules");
    memcpy(mod, mem.host + NFVM_MODLIST_GPA, sizeof(mod));
    cr_assert_eq(mod[0], gpa);
    cr_assert_eq(mod[1], sizeof(rd));
}

Test(boot, initrd_that_does_not_fit)
{
    static uint8_t big[4 * MIB];
    struct nfvm_image i;
    uint64_t gpa = 0;

    img_make();
    cr_assert_eq(load(&i), 0);
    cr_assert_eq(nfvm_initrd_place(&mem, &i, big, sizeof(big), &gpa, err, sizeof(err)), -1);
    cr_assert(strstr(err, "does not fit"), "%s", err);
    cr_assert_eq(nfvm_initrd_place(&mem, &i, big, 4 * MIB - i.end + 1, &gpa, err, sizeof(err)), -1,
                 "one byte into the image");
    cr_assert_eq(nfvm_initrd_place(&mem, &i, big, 0, &gpa, err, sizeof(err)), -1, "empty");
    struct nfvm_boot_args a = { .initrd = 4 * MIB - 10, .initrd_size = 11 };
    cr_assert_eq(nfvm_boot_write(&mem, &i, NFVM_BOOT_DIRECT, &a, err, sizeof(err)), -1);
}

/* What the guest finds at its entry: the memory map, the command line and
 * the boot info in low memory (layout.h), each AP's block (several vCPUs),
 * and the vCPU state, either PVH's
 * (32-bit protected mode, paging off, %ebx = hvm_start_info: the image's
 * entry.S does the rest at CPL0) or the direct entry's (64-bit CPL3, every
 * table loaded: nfos/plat/nfvm_abi.h). Writes guest memory only through
 * nfvm_gpa(); calls no KVM ioctl. */
#include <stdio.h>
#include <string.h>
#include "layout.h"
#include "nfvm.h"

/* PVH's start info, version 1 (Xen's hvm_start_info). */
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};

#define CR0_PE         (1ULL << 0)
#define CR0_MP         (1ULL << 1)
#define CR0_ET         (1ULL << 4)
#define CR0_NE         (1ULL << 5)
#define CR0_WP         (1ULL << 16)
#define CR0_PG         (1ULL << 31)
#define CR4_PAE        (1ULL << 5)
#define CR4_OSFXSR     (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define CR4_FSGSBASE   (1ULL << 16)
#define CR4_OSXSAVE    (1ULL << 18)
#define EFER_LME       (1ULL << 8)
#define EFER_LMA       (1ULL << 10)
#define RFLAGS_IOPL3   0x3000ULL
#define RFLAGS_FIXED   0x2ULL
#define XCR0_X87_SSE   0x3ULL
#define XCR0_AVX       0x4ULL
#define SEG_CODE       11 /* execute/read, accessed */
#define SEG_DATA       3  /* read/write, accessed */
#define SEG_TSS_BUSY   11 /* 64-bit (or 32-bit) TSS, busy */

/* RAM below the hole, less the APs' blocks [cut0, cut1) (0, 0: none),
 * and RAM above 4 GiB. */
static unsigned memmap_write(struct nfvm_mem *m, uint64_t cut0, uint64_t cut1)
{
    struct nfvm_memmap_entry e[NFVM_MEMMAP_MAX];
    unsigned n = 0;

    if (cut1 > cut0) {
        e[n++] = (struct nfvm_memmap_entry){ .addr = 0, .size = cut0, .type = NFVM_MEM_RAM };
        if (cut1 < m->low)
            e[n++] = (struct nfvm_memmap_entry){ .addr = cut1,
                                                 .size = m->low - cut1,
                                                 .type = NFVM_MEM_RAM };
    } else {
        e[n++] = (struct nfvm_memmap_entry){ .addr = 0, .size = m->low, .type = NFVM_MEM_RAM };
    }
    if (m->high)
        e[n++] = (struct nfvm_memmap_entry){ .addr = NFVM_HIGH_BASE,
                                             .size = m->high,
                                             .type = NFVM_MEM_RAM };
    memcpy(nfvm_gpa(m, NFVM_MEMMAP_GPA, sizeof(e)), e, n * sizeof(e[0]));
    return n;
}

/* A TSS's RSP0, bitmap offset and terminator: what the ABI puts on nfvm. */
static void tss_fill(uint8_t *tss, uint64_t rsp0)
{
    uint16_t iomap = NFVM_TSS_HEAD_SIZE;

    memcpy(tss + NFVM_TSS_RSP0_OFF, &rsp0, 8);
    memcpy(tss + NFVM_TSS_IOMAP_OFF, &iomap, 2);
    tss[NFVM_TSS_SIZE - 1] = 0xff;
}

/* Each AP's block head and TSS, and the table naming them; the blocks'
 * span into *cut0, *cut1 (left alone with one vCPU). */
static int cpus_write(struct nfvm_mem *m, const struct nfvm_image *img,
                      const struct nfvm_boot_args *a, struct nfvm_boot_info *bi, uint64_t *cut0,
                      uint64_t *cut1, char *err, size_t errlen)
{
    const struct nfvm_cpus *c = a->cpus;

    bi->cpus = c ? c->n : 1;
    if (!c || c->n == 1)
        return 0;
    if (c->n > img->note.cpus_max)
        return nfvm_fail(err, errlen, "%u vCPUs: the image runs at most %u", c->n,
                         img->note.cpus_max);
    if (nfvm_cpus_check(m, img, c, a->initrd, a->initrd_size, err, errlen) < 0)
        return -1;
    *cut0 = ~0ULL;
    for (unsigned i = 1; i < c->n; i++) {
        uint64_t b = c->block[i];
        struct nfvm_cpu head = { .id = i,
                                 .stack3_top = b + NFVM_CPU_STACK3_TOP,
                                 .stack0_top = b + NFVM_CPU_STACK0_TOP,
                                 .tss = b + NFVM_CPU_TSS_OFF };
        uint8_t *blk = nfvm_gpa(m, b, NFVM_CPU_BLOCK_SIZE); /* fresh RAM: zero */

        memcpy(blk, &head, sizeof(head));
        tss_fill(blk + NFVM_CPU_TSS_OFF, head.stack0_top);
        *cut0 = b < *cut0 ? b : *cut0;
        *cut1 = b + NFVM_CPU_BLOCK_SIZE > *cut1 ? b + NFVM_CPU_BLOCK_SIZE : *cut1;
    }
    memcpy(nfvm_gpa(m, NFVM_CPUTABLE_GPA, c->n * 8ULL), c->block, c->n * 8ULL);
    bi->cpu_table = NFVM_CPUTABLE_GPA;
    return 0;
}

/* The image's tables must lie in RAM; nfvm writes the TSS fields the ABI
 * gives it (RSP0, the bitmap offset, the bitmap's terminator). */
static int tables_check(struct nfvm_mem *m, const struct nfvm_note *n, char *err, size_t errlen)
{
    uint8_t *tss = nfvm_gpa(m, n->tss, NFVM_TSS_SIZE);

    if (!tss || !nfvm_gpa(m, n->gdt, (uint64_t)n->gdt_limit + 1) ||
        !nfvm_gpa(m, n->idt, (uint64_t)n->idt_limit + 1) || !nfvm_gpa(m, n->pml4, 4096) ||
        (n->pml4 & 0xfff) || !nfvm_gpa(m, n->entry, 1) || n->stack3_top < 16 ||
        !nfvm_gpa(m, n->stack3_top - 16, 16) || n->stack0_top < 16 ||
        !nfvm_gpa(m, n->stack0_top - 16, 16) || (uint64_t)n->gdt_limit + 1 < NFVM_SEL_TSS + 16)
        return nfvm_fail(err, errlen, "the image's nfvm note points outside guest RAM");
    if (n->ap_entry && !nfvm_gpa(m, n->ap_entry, 1))
        return nfvm_fail(err, errlen, "the image's AP entry lies outside guest RAM");
    tss_fill(tss, n->stack0_top);
    return 0;
}

int nfvm_initrd_place(struct nfvm_mem *m, const struct nfvm_image *img, const void *data,
                      uint64_t size, uint64_t *gpa, char *err, size_t errlen)
{
    uint64_t top = img->cpus_end > img->end ? img->cpus_end : img->end;
    uint64_t floor = (top + 0xfff) & ~0xfffULL, at;

    if (!size || size > m->low || m->low - size < floor)
        return nfvm_fail(err, errlen,
                         "the initrd (%llu bytes) does not fit in the RAM below 3 GiB above the "
                         "image: give --mem more",
                         (unsigned long long)size);
    at = (m->low - size) & ~0xfffULL;
    memcpy(nfvm_gpa(m, at, size), data, size);
    *gpa = at;
    return 0;
}

int nfvm_boot_write(struct nfvm_mem *m, const struct nfvm_image *img, enum nfvm_boot_mode mode,
                    const struct nfvm_boot_args *a, char *err, size_t errlen)
{
    const char *cmdline = a->cmdline ? a->cmdline : "";
    size_t len = strlen(cmdline);
    uint64_t cut0 = 0, cut1 = 0;

    if (len >= NFVM_CMDLINE_MAX)
        return nfvm_fail(err, errlen, "command line longer than %d bytes", NFVM_CMDLINE_MAX - 1);
    if (mode == NFVM_BOOT_DIRECT && !img->has_note)
        return nfvm_fail(err, errlen, "the image has no nfvm note: boot it with --boot pvh");
    if (mode == NFVM_BOOT_DIRECT && img->note.abi_version != NFVM_ABI_VERSION)
        return nfvm_fail(err, errlen,
                         "the image speaks nfvm ABI version %u, this nfvm version %u: rebuild "
                         "the image, or boot it with --boot pvh",
                         img->note.abi_version, NFVM_ABI_VERSION);
    if (mode == NFVM_BOOT_PVH && a->cpus && a->cpus->n > 1)
        return nfvm_fail(err, errlen, "--cpus %u needs the direct entry, not --boot pvh",
                         a->cpus->n);
    if (mode == NFVM_BOOT_PVH && !img->pvh_entry)
        return nfvm_fail(err, errlen, "the image has no PVH note");
    memcpy(nfvm_gpa(m, NFVM_CMDLINE_GPA, len + 1), cmdline, len + 1);
    if (a->initrd_size && !nfvm_gpa(m, a->initrd, a->initrd_size))
        return nfvm_fail(err, errlen, "the initrd lies outside guest RAM");
    if (mode == NFVM_BOOT_PVH) {
        struct hvm_start_info si = { .magic = HVM_START_MAGIC,
                                     .version = 1,
                                     .cmdline_paddr = NFVM_CMDLINE_GPA,
                                     .memmap_paddr = NFVM_MEMMAP_GPA,
                                     .memmap_entries = memmap_write(m, 0, 0) };
        struct hvm_modlist_entry mod = { .paddr = a->initrd, .size = a->initrd_size };

        if (a->initrd_size) {
            si.nr_modules = 1;
            si.modlist_paddr = NFVM_MODLIST_GPA;
            memcpy(nfvm_gpa(m, NFVM_MODLIST_GPA, sizeof(mod)), &mod, sizeof(mod));
        }
        memcpy(nfvm_gpa(m, NFVM_BOOTINFO_GPA, sizeof(si)), &si, sizeof(si));
        return 0;
    }
    struct nfvm_boot_info bi = { .magic = NFVM_BOOT_MAGIC,
                                 .abi_version = NFVM_ABI_VERSION,
                                 .cmdline = NFVM_CMDLINE_GPA,
                                 .memmap = NFVM_MEMMAP_GPA,
                                 .tsc_khz = a->tsc_khz,
                                 .initrd = a->initrd_size ? a->initrd : 0,
                                 .initrd_size = a->initrd_size,
                                 .flags = a->flags };

    if (tables_check(m, &img->note, err, errlen) < 0 ||
        cpus_write(m, img, a, &bi, &cut0, &cut1, err, errlen) < 0)
        return -1;
    bi.memmap_entries = memmap_write(m, cut0, cut1);
    memcpy(nfvm_gpa(m, NFVM_BOOTINFO_GPA, sizeof(bi)), &bi, sizeof(bi));
    return 0;
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, uint8_t dpl, int code64)
{
    return (struct kvm_segment){ .base = 0,
                                 .limit = 0xffffffff,
                                 .selector = sel,
                                 .type = type,
                                 .present = 1,
                                 .dpl = dpl,
                                 .db = !code64,
                                 .s = 1,
                                 .l = code64,
                                 .g = 1 };
}

static void cpu_pvh(const struct nfvm_image *img, struct kvm_sregs *s, struct kvm_regs *r)
{
    s->cs = seg(0x08, SEG_CODE, 0, 0);
    s->ds = s->es = s->fs = s->gs = s->ss = seg(0x10, SEG_DATA, 0, 0);
    s->tr = (struct kvm_segment){ .limit = 0x67, .type = SEG_TSS_BUSY, .present = 1 };
    s->cr0 = CR0_PE | CR0_ET;
    s->cr4 = 0;
    s->efer = 0;
    r->rip = img->pvh_entry;
    r->rbx = NFVM_BOOTINFO_GPA;
    r->rsp = NFVM_PVH_STACK;
    r->rflags = RFLAGS_FIXED;
}

static void cpu_direct(const struct nfvm_image *img, const struct nfvm_cpu_features *f,
                       uint64_t block, struct kvm_sregs *s, struct kvm_regs *r, uint64_t *xcr0)
{
    const struct nfvm_note *n = &img->note;

    s->cs = seg(NFVM_SEL_UCODE | 3, SEG_CODE, 3, 1);
    s->ds = s->es = s->fs = s->gs = s->ss = seg(NFVM_SEL_UDATA | 3, SEG_DATA, 3, 0);
    s->tr = (struct kvm_segment){ .base = n->tss,
                                  .limit = NFVM_TSS_SIZE - 1,
                                  .selector = NFVM_SEL_TSS,
                                  .type = SEG_TSS_BUSY,
                                  .present = 1 };
    s->gdt.base = n->gdt;
    s->gdt.limit = n->gdt_limit;
    s->idt.base = n->idt;
    s->idt.limit = n->idt_limit;
    s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    s->cr3 = n->pml4;
    s->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (f->fsgsbase)
        s->cr4 |= CR4_FSGSBASE;
    if (f->xsave) {
        s->cr4 |= CR4_OSXSAVE;
        *xcr0 = XCR0_X87_SSE | (f->avx ? XCR0_AVX : 0);
    }
    s->efer = EFER_LME | EFER_LMA;
    r->rip = n->entry;
    r->rsp = n->stack3_top - 8; /* as if called: SysV wants rsp + 8 16-aligned */
    r->rdi = NFVM_BOOTINFO_GPA;
    r->rflags = RFLAGS_IOPL3 | RFLAGS_FIXED;
    if (block) { /* an AP: its own stack, TSS and GS base (nfvm_abi.h) */
        s->tr.base = block + NFVM_CPU_TSS_OFF;
        s->gs.base = block;
        r->rip = n->ap_entry;
        r->rsp = block + NFVM_CPU_STACK3_TOP - 8;
        r->rdi = block;
    }
}

void nfvm_boot_cpu(const struct nfvm_image *img, enum nfvm_boot_mode mode,
                   const struct nfvm_cpu_features *f, uint64_t block, struct kvm_sregs *s,
                   struct kvm_regs *r, uint64_t *xcr0)
{
    memset(r, 0, sizeof(*r));
    *xcr0 = 0;
    if (mode == NFVM_BOOT_PVH)
        cpu_pvh(img, s, r);
    else
        cpu_direct(img, f, block, s, r, xcr0);
}

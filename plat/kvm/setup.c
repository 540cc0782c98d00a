/* kvm platform start, at CPL3: everything after the iretq of entry.S. It
 * finishes what boot left to ordinary code, reads the PVH start info and
 * hands the command line to the core; it does not probe devices. */
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/core.h>
#include <nfos/plat/exit.h>
#include <nfos/plat/nfvm_abi.h>
#include "kvm_priv.h"
#include "x86_64/cpu_defs.h"

#define KVM_CMDLINE_MAX 4096
#define KVM_ARGV_MAX    256

static struct {
    char cmdline[KVM_CMDLINE_MAX];
    char *argv[KVM_ARGV_MAX];
} boot;

/* Copies the command line out of guest memory the loader owns. */
static int kvm_cmdline_copy(const struct hvm_start_info *si)
{
    const char *src = (const char *)(uintptr_t)si->cmdline_paddr;
    size_t i;

    if (!si->cmdline_paddr)
        return 0;
    for (i = 0; i < KVM_CMDLINE_MAX; i++) {
        boot.cmdline[i] = src[i];
        if (!src[i])
            return 0;
    }
    return -1;
}

void kvm_start64(uint32_t start_info)
{
    const struct hvm_start_info *si = (const struct hvm_start_info *)(uintptr_t)start_info;
    int argc;

    core_boottrace_mark(CORE_BT_ENTRY, kvm_tsc_entry);
    core_boottrace_mark(CORE_BT_LONGMODE, kvm_tsc_longmode);
    core_boottrace_mark(CORE_BT_CPL3, arch_rdtsc());

    /* Exceptions are fatal until this has run: the IDT is still empty. */
    kvm_traps_init();

    if (si->magic != HVM_START_MAGIC) {
        kvm_puts("nfos: bad PVH start info magic: boot through the "
                 "image's PVH ELF note\n");
        plat_exit(2);
    }
    if (kvm_cmdline_copy(si) < 0) {
        kvm_puts("nfos: kernel command line longer than 4095 bytes\n");
        plat_exit(2);
    }
    if (kvm_memory_init(si) < 0)
        plat_exit(2);
    kvm_acpi_init(si);

    argc = core_cmdline_split(boot.cmdline, boot.argv, KVM_ARGV_MAX);
    if (argc < 0) {
        kvm_puts("nfos: malformed kernel command line: ");
        kvm_puts(argc == CORE_CMDLINE_EQUOTE ? "unterminated quote\n" : "too many words\n");
        plat_exit(2);
    }
    core_boot(argc, boot.argv);
}

_Static_assert(sizeof(struct nfvm_memmap_entry) == sizeof(struct hvm_memmap_entry),
               "nfvm's memory map is PVH's");

/* nfvm's direct entry (nfos/plat/nfvm_abi.h): the monitor has done at once
 * what entry.S does at CPL0, so this starts at CPL3 with no guest CPL0
 * instruction run. Its boot info becomes a PVH start info, so both paths
 * share everything after. */
void kvm_nfvm_start64(const struct nfvm_boot_info *bi)
{
    static struct hvm_start_info si;
    static struct hvm_modlist_entry initrd;

    kvm_tsc_entry = kvm_tsc_longmode = arch_rdtsc();
    if (bi->magic != NFVM_BOOT_MAGIC || bi->abi_version != NFVM_ABI_VERSION) {
        kvm_traps_init();
        kvm_puts("nfos: bad nfvm boot info (magic or ABI version): this image "
                 "speaks nfvm ABI version " NFVM_STR(NFVM_ABI_VERSION) "\n");
        plat_exit(2);
    }
    kvm_boot_tsc_khz = bi->tsc_khz;
    si.magic = HVM_START_MAGIC;
    si.version = 1;
    si.cmdline_paddr = bi->cmdline;
    si.memmap_paddr = bi->memmap;
    si.memmap_entries = bi->memmap_entries;
    if (bi->initrd_size) { /* memory.c checks where it lies */
        initrd.paddr = bi->initrd;
        initrd.size = bi->initrd_size;
        si.nr_modules = 1;
        si.modlist_paddr = (uintptr_t)&initrd;
    }
    kvm_idle_nfvm = bi->flags & NFVM_BOOT_F_IDLE ? (int)bi->flags : 0;
    if (kvm_nfvm_smp_init(bi) < 0) {
        kvm_traps_init();
        kvm_puts("nfos: bad nfvm boot info: ");
        kvm_putdec(bi->cpus);
        kvm_puts(" CPUs (this image runs 1 to " NFVM_STR(KVM_SMP_MAX) "), or a CPU table no "
                                                                      "nfvm writes\n");
        plat_exit(2);
    }
    kvm_start64((uint32_t)(uintptr_t)&si);
}

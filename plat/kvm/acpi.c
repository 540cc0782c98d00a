/* The ACPI RSDP: the PVH loader's rsdp_paddr (qboot on microvm and SeaBIOS
 * on q35 both pass it), else a search of the BIOS read-only area
 * 0xE0000-0xFFFFF on 16-byte boundaries, where QEMU's firmware puts it (the
 * EBDA, which the spec also names, is not searched). The first MiB is in
 * the prebuilt map. Nothing is parsed here beyond the RSDP's checksum. */
#include <stdint.h>
#include <string.h>
#include <nfos/plat/acpi.h>
#include "kvm_priv.h"

#define RSDP_V1_LEN   20
#define BIOS_RO_START 0xe0000
#define BIOS_RO_END   0x100000

static uint64_t rsdp_paddr;

static int rsdp_valid(const uint8_t *p)
{
    uint8_t sum = 0;
    int i;

    if (memcmp(p, "RSD PTR ", 8))
        return 0;
    for (i = 0; i < RSDP_V1_LEN; i++)
        sum += p[i];
    return sum == 0;
}

static uint64_t rsdp_scan(uintptr_t start, uintptr_t end)
{
    for (uintptr_t a = start; a + RSDP_V1_LEN <= end; a += 16)
        if (rsdp_valid((const uint8_t *)a))
            return a;
    return 0;
}

void kvm_acpi_init(const struct hvm_start_info *si)
{
    rsdp_paddr = si->rsdp_paddr;
}

uint64_t plat_acpi_rsdp(void)
{
    if (!rsdp_paddr)
        rsdp_paddr = rsdp_scan(BIOS_RO_START, BIOS_RO_END);
    return rsdp_paddr;
}

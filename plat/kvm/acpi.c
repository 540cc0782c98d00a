/* ACPI tables: the RSDP from the PVH loader's rsdp_paddr (qboot on microvm
 * and SeaBIOS on q35 both pass it), else from a search of the BIOS
 * read-only area 0xE0000-0xFFFFF on 16-byte boundaries, where QEMU's
 * firmware puts it (the EBDA, which the spec also names, is not searched);
 * then a table by signature through the XSDT (RSDT for ACPI 1.0). Tables
 * are mapped before they are read (firmware may put them in reserved RAM
 * above the first GiB) and their checksums checked. No AML. */
#include <stdint.h>
#include <string.h>
#include <nfos/plat/acpi.h>
#include <nfos/plat/mmio.h>
#include "kvm_priv.h"

#define RSDP_V1_LEN     20
#define RSDP_REVISION   15
#define RSDP_RSDT       16
#define RSDP_XSDT       24
#define BIOS_RO_START   0xe0000
#define BIOS_RO_END     0x100000
#define ACPI_HDR_LEN    36
#define ACPI_MAX_LEN    (1u << 20) /* no table here is near that: a bad pointer */
#define ACPI_MAX_TABLES 256

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

/* The table at pa, mapped and checksummed, or NULL. */
static const uint8_t *acpi_map(uint64_t pa)
{
    const uint8_t *t = (const uint8_t *)(uintptr_t)pa;
    uint32_t len;
    uint8_t sum = 0;

    if (!pa || plat_mmio_map(pa, ACPI_HDR_LEN))
        return NULL;
    memcpy(&len, t + 4, 4);
    if (len < ACPI_HDR_LEN || len > ACPI_MAX_LEN || plat_mmio_map(pa, len))
        return NULL;
    for (uint32_t i = 0; i < len; i++)
        sum += t[i];
    return sum ? NULL : t;
}

const void *plat_acpi_table(const char *sig)
{
    const uint8_t *rsdp = (const uint8_t *)(uintptr_t)plat_acpi_rsdp(), *root, *t;
    uint64_t root_pa = 0;
    uint32_t len, esize;

    if (!rsdp)
        return NULL;
    if (rsdp[RSDP_REVISION] >= 2)
        memcpy(&root_pa, rsdp + RSDP_XSDT, 8);
    esize = root_pa ? 8 : 4;
    if (!root_pa)
        memcpy(&root_pa, rsdp + RSDP_RSDT, 4);
    root = acpi_map(root_pa);
    if (!root)
        return NULL;
    memcpy(&len, root + 4, 4);
    len =
        len > ACPI_HDR_LEN + ACPI_MAX_TABLES * esize ? ACPI_HDR_LEN + ACPI_MAX_TABLES * esize : len;
    for (uint32_t off = ACPI_HDR_LEN; off + esize <= len; off += esize) {
        uint64_t pa = 0;

        memcpy(&pa, root + off, esize);
        t = acpi_map(pa);
        if (t && !memcmp(t, sig, 4))
            return t;
    }
    return NULL;
}

/* linuxu has no firmware tables and no device memory of its own: devices
 * are host objects (TAP, AF_PACKET, vhost-user), reached through the vdev
 * bus. These stubs keep the platform contract whole. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/plat/acpi.h>
#include <nfos/plat/mmio.h>

uint64_t plat_acpi_rsdp(void)
{
    return 0;
}

const void *plat_acpi_table(const char *sig)
{
    return NULL;
}

int plat_mmio_map(uint64_t addr, uint64_t len)
{
    return -ENOTSUP;
}

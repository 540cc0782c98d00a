/* In-image page-table coverage: every 2 MiB page of every RAM region the
 * platform reports is mapped and writable (a missing mapping faults). */
#include <stdint.h>
#include <nfos/compiler.h>
#include <nfos/plat/memory.h>
#include "tap.h"

#define STEP (2ULL << 20)

void selftest_memmap(void)
{
    const struct plat_mem_region *r;
    int n = plat_mem_regions(&r), i;
    uint64_t touched = 0, bytes = 0;

    TAP_OK(n > 0, "memmap: %d RAM region(s), %llu KiB in all", n,
           (unsigned long long)(plat_mem_total() >> 10));
    for (i = 0; i < n; i++) {
        uintptr_t a, end = r[i].base + r[i].len;

        TAP_DIAG("region %d: %#lx..%#lx (%lu KiB)", i, (unsigned long)r[i].base, (unsigned long)end,
                 (unsigned long)(r[i].len >> 10));
        /* One word in each 2 MiB page, and the region's last word. */
        for (a = r[i].base; a < end; a = NFOS_ALIGN_DOWN(a + STEP, STEP)) {
            volatile uint64_t *w = (volatile uint64_t *)a;
            uint64_t old = *w;

            *w = a ^ 0x5a5a5a5a5a5a5a5aULL;
            if (*w == (a ^ 0x5a5a5a5a5a5a5a5aULL))
                touched++;
            *w = old;
        }
        *(volatile uint64_t *)(end - 8) = 1;
        bytes += r[i].len;
    }
    TAP_OK(touched > 0, "memmap: %llu pages of 2 MiB written and read back over %llu KiB",
           (unsigned long long)touched, (unsigned long long)(bytes >> 10));
}

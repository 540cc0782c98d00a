/* The OS calls the virtio-net driver makes, for the unit tests on the host
 * (host_fakes.h). */
#include <errno.h>
#include <stdlib.h>
#include <nfos/alloc.h>
#include <nfos/compiler.h>
#include "host_fakes.h"

uint64_t fake_ns;

unsigned core_verbose(void)
{
    return 0;
}

const char *core_param(const char *key)
{
    return NULL;
}

uint64_t plat_time_ns(void)
{
    return fake_ns += 1000000;
}

/* 1 kHz: a stalled tx ring's millisecond is one TSC cycle, so that the
 * second stalled burst always finds it passed. */
uint64_t plat_tsc_hz(void)
{
    return 1000;
}

int alloc_memalign(void **out, size_t align, size_t size)
{
    *out = aligned_alloc(align, NFOS_ALIGN_UP(size, align));
    return *out ? 0 : -ENOMEM;
}

void alloc_free(void *p)
{
    free(p);
}

/* The host unit tests' stand-ins for lib/core, lib/alloc and the platform's
 * clock (fakes.h says what each does). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/alloc.h>
#include <nfos/compiler.h>
#include <nfos/core.h>
#include <nfos/plat/time.h>

#include "fakes.h"

static const char *params[FAKE_PARAMS_MAX][2];
unsigned fake_core_verbose;
bool fake_alloc_fail;
bool fake_alloc_poison;
uint64_t fake_ns;

void fake_param_set(const char *key, const char *value)
{
    unsigned i;

    for (i = 0; i < FAKE_PARAMS_MAX && params[i][0]; i++)
        if (!strcmp(params[i][0], key))
            break;
    if (i == FAKE_PARAMS_MAX) {
        fprintf(stderr, "fake_param_set: more than %d keys\n", FAKE_PARAMS_MAX);
        abort();
    }
    params[i][0] = key;
    params[i][1] = value;
}

const char *core_param(const char *key)
{
    unsigned i;

    for (i = 0; i < FAKE_PARAMS_MAX && params[i][0]; i++)
        if (!strcmp(params[i][0], key))
            return params[i][1];
    return NULL;
}

/* A number in C's notation (strtoull, base 0), the whole value. */
int core_param_u64(const char *key, uint64_t *value)
{
    char *end;
    const char *v = core_param(key);

    if (!v)
        return -ENOENT;
    *value = strtoull(v, &end, 0);
    return *v && !*end ? 0 : -EINVAL;
}

unsigned core_verbose(void)
{
    return fake_core_verbose;
}

int alloc_memalign(void **out, size_t align, size_t size)
{
    if (fake_alloc_fail)
        return -ENOMEM;
    *out = aligned_alloc(align, NFOS_ALIGN_UP(size, align));
    if (*out && fake_alloc_poison)
        memset(*out, 0xa5, size);
    return *out ? 0 : -ENOMEM;
}

void alloc_free(void *p)
{
    free(p);
}

uint64_t plat_time_ns(void)
{
    return fake_ns += 1000000;
}

uint64_t plat_tsc_hz(void)
{
    return 1000;
}

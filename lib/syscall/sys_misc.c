/* Misc: random bytes from the CPU (RDSEED, else RDRAND; on linuxu the
 * host's getrandom) and resource limits (none are enforced: the soft and
 * hard limits read back as unlimited, except the stack, which is what the
 * thread gets). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <nfos/arch/cpu.h>
#include "syscall_priv.h"

#define RLIMIT_STACK   3
#define RLIMIT_NLIMITS 16
#define RLIM_INFINITY  (~0UL)

static int rand64(uint64_t *v)
{
    static int have = -1; /* 2: rdseed, 1: rdrand, 0: neither */
    uint32_t r[4];
    unsigned char ok;
    int tries;

    if (have < 0) {
        arch_cpuid(7, 0, r);
        have = (r[1] >> 18) & 1 ? 2 : 0;
        arch_cpuid(1, 0, r);
        if (!have && (r[2] >> 30) & 1)
            have = 1;
    }
    for (tries = 0; have && tries < 64; tries++) {
        if (have == 2)
            __asm__ __volatile__("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
        else
            __asm__ __volatile__("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
        if (ok)
            return 0;
    }
    return -EIO;
}

static long sys_getrandom(long buf, long len, long flags, long a4, long a5, long a6)
{
    unsigned char *p = (unsigned char *)buf;
    size_t n = (size_t)len, k;
    uint64_t v;

    if (len < 0)
        return -EINVAL;
    while (n) {
        int r = rand64(&v);

        if (r) {
            syscall_say("nfos: getrandom: the CPU has no working RDSEED/RDRAND\n");
            return (size_t)len == n ? r : (long)((size_t)len - n);
        }
        k = n < 8 ? n : 8;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
    return len;
}

static long sys_prlimit64(long pid, long res, long newp, long oldp, long a5, long a6)
{
    unsigned long *old = (unsigned long *)oldp;

    if (res < 0 || res >= RLIMIT_NLIMITS)
        return -EINVAL;
    if (newp)
        return -EPERM;
    if (old)
        old[0] = old[1] = res == RLIMIT_STACK ? 8UL << 20 : RLIM_INFINITY;
    return 0;
}

SYSCALL_DEFINE(318, getrandom, sys_getrandom, SYSCALL_F_HOST);
SYSCALL_DEFINE(302, prlimit64, sys_prlimit64, 0);

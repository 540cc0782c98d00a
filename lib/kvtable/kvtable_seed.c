/* kvtable's hash key on kvm: RDSEED (entropy straight from the CPU's
 * source), else RDRAND, both allowed at CPL3; QEMU's TCG offers them with
 * -cpu max, KVM when the host CPU has them. Without either, the TSC: a key
 * an attacker can guess, said once on the console. (linuxu:
 * kvtable_seed_linuxu.c.) */
#include <stdio.h>
#include <string.h>
#include <nfos/arch/cpu.h>
#include "kvtable_priv.h"

#define RETRIES 64 /* the instructions may fail transiently (CF=0) */

static int rdseed64(uint64_t *v)
{
    unsigned char ok;

    __asm__ __volatile__("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
    return ok;
}

static int rdrand64(uint64_t *v)
{
    unsigned char ok;

    __asm__ __volatile__("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
    return ok;
}

static int fill(uint8_t key[16], int (*insn)(uint64_t *))
{
    unsigned i, tries;
    uint64_t v;

    for (i = 0; i < 2; i++) {
        for (tries = 0; tries < RETRIES && !insn(&v); tries++)
            arch_pause();
        if (tries == RETRIES)
            return 0;
        memcpy(key + 8 * i, &v, 8);
    }
    return 1;
}

const char *kvtable_seed_random(uint8_t key[16])
{
    uint32_t r[4];
    uint64_t t;
    unsigned i;

    arch_cpuid(0, 0, r);
    if (r[0] >= 7) {
        arch_cpuid(7, 0, r);
        if ((r[1] & (1u << 18)) && fill(key, rdseed64))
            return "rdseed";
    }
    arch_cpuid(1, 0, r);
    if ((r[2] & (1u << 30)) && fill(key, rdrand64))
        return "rdrand";
    for (i = 0; i < 16; i += 8) { /* the low bits of a few TSC reads */
        t = arch_rdtsc() * 0x9e3779b97f4a7c15ULL;
        t ^= arch_rdtsc() << 17;
        memcpy(key + i, &t, 8);
    }
    printf("kvtable: no RDSEED or RDRAND on this CPU: the hash key comes from the TSC and can "
           "be guessed (QEMU: -cpu max or host)\n");
    return "tsc";
}

/* Where the application processors' blocks go (nfos/plat/nfvm_abi.h): one
 * NFVM_CPU_BLOCK_SIZE block per AP, page-aligned right above the image,
 * where the image's boot-time map covers them, and the check every block
 * passes before the boot info names it. Plain arithmetic on guest
 * addresses; nothing here writes guest memory or calls /dev/kvm. */
#include <stdio.h>
#include "layout.h"
#include "nfvm.h"

#define PAGE 0x1000ULL

/* [a, a + alen) and [b, b + blen) share a byte. */
static int overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

int nfvm_cpus_place(const struct nfvm_mem *m, struct nfvm_image *img, unsigned n,
                    struct nfvm_cpus *c, char *err, size_t errlen)
{
    unsigned max = img->note.cpus_max < NFVM_CPUS_MAX ? img->note.cpus_max : NFVM_CPUS_MAX;
    uint64_t base = (img->end + PAGE - 1) & ~(PAGE - 1);

    if (!max)
        max = 1;
    if (n == 0 || n > NFVM_CPUS_MAX)
        return nfvm_fail(err, errlen, "--cpus %u: expected 1 to %d", n, NFVM_CPUS_MAX);
    if (n > 1 && !img->note.ap_entry)
        return nfvm_fail(err, errlen, "--cpus %u: the image starts no other CPU (no AP entry)", n);
    if (n > max)
        return nfvm_fail(err, errlen, "--cpus %u: the image runs at most %u CPUs", n, max);
    c->n = n;
    c->block[0] = 0;
    for (unsigned i = 1; i < n; i++)
        c->block[i] = base + (i - 1) * NFVM_CPU_BLOCK_SIZE;
    img->cpus_end = n > 1 ? base + (n - 1) * NFVM_CPU_BLOCK_SIZE : 0;
    return nfvm_cpus_check(m, img, c, 0, 0, err, errlen);
}

int nfvm_cpus_check(const struct nfvm_mem *m, const struct nfvm_image *img,
                    const struct nfvm_cpus *c, uint64_t avoid, uint64_t avoid_len, char *err,
                    size_t errlen)
{
    if (c->n == 0 || c->n > NFVM_CPUS_MAX)
        return nfvm_fail(err, errlen, "%u vCPUs: expected 1 to %d", c->n, NFVM_CPUS_MAX);
    for (unsigned i = 1; i < c->n; i++) {
        uint64_t b = c->block[i];

        if ((b & (PAGE - 1)) || b < img->end || b >= NFVM_CPU_BLOCKS_LIMIT ||
            NFVM_CPU_BLOCK_SIZE > NFVM_CPU_BLOCKS_LIMIT - b || !nfvm_gpa(m, b, NFVM_CPU_BLOCK_SIZE))
            return nfvm_fail(err, errlen,
                             "CPU %u's block at %#llx: not a page in RAM above the image and "
                             "below 1 GiB (give --mem more, or fewer --cpus)",
                             i, (unsigned long long)b);
        if (overlap(b, NFVM_CPU_BLOCK_SIZE, avoid, avoid_len))
            return nfvm_fail(err, errlen, "CPU %u's block at %#llx overlaps the initrd", i,
                             (unsigned long long)b);
        for (unsigned j = 1; j < i; j++)
            if (overlap(b, NFVM_CPU_BLOCK_SIZE, c->block[j], NFVM_CPU_BLOCK_SIZE))
                return nfvm_fail(err, errlen, "the blocks of CPUs %u and %u overlap", j, i);
    }
    return 0;
}

/* Guest RAM: one memfd (so that a vhost-user backend can map it too),
 * mapped shared at a 2 MiB-aligned host address so that transparent huge
 * pages can back it; and the one accessor through which nfvm reaches any
 * guest address. Fresh memfd pages read as zero: nothing is cleared. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "layout.h"
#include "nfvm.h"

int nfvm_mem_create(struct nfvm_mem *m, uint64_t size)
{
    uint8_t *res, *host;
    size_t total;

    if (size < NFVM_RAM_MIN || size > NFVM_RAM_MAX || size % NFVM_RAM_ALIGN)
        return -EINVAL;
    m->low = size > NFVM_MMIO_HOLE ? NFVM_MMIO_HOLE : size;
    m->high = size - m->low;
    m->fd = memfd_create("nfvm-ram", MFD_CLOEXEC);
    if (m->fd < 0)
        return -errno;
    if (ftruncate(m->fd, (off_t)size) < 0)
        goto err_fd;
    /* Reserve size + 2 MiB, then map the memfd at the aligned address
     * inside; the reservation's ends are returned. */
    total = size + NFVM_RAM_ALIGN;
    res = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (res == MAP_FAILED)
        goto err_fd;
    host = (uint8_t *)(((uintptr_t)res + NFVM_RAM_ALIGN - 1) & ~(NFVM_RAM_ALIGN - 1));
    if (mmap(host, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, m->fd, 0) == MAP_FAILED) {
        munmap(res, total);
        goto err_fd;
    }
    if (host > res)
        munmap(res, (size_t)(host - res));
    if (host + size < res + total)
        munmap(host + size, (size_t)(res + total - (host + size)));
    madvise(host, size, MADV_HUGEPAGE); /* a hint: fine to fail */
    m->host = host;
    return 0;

err_fd : {
    int e = errno;

    close(m->fd);
    m->fd = -1;
    return -e;
}
}

void nfvm_mem_destroy(struct nfvm_mem *m)
{
    if (m->host)
        munmap(m->host, m->low + m->high);
    if (m->fd >= 0)
        close(m->fd);
    m->host = NULL;
    m->fd = -1;
}

void *nfvm_gpa(const struct nfvm_mem *m, uint64_t gpa, uint64_t len)
{
    if (gpa <= m->low && len <= m->low - gpa)
        return m->host + gpa;
    if (gpa >= NFVM_HIGH_BASE && gpa - NFVM_HIGH_BASE <= m->high &&
        len <= m->high - (gpa - NFVM_HIGH_BASE))
        return m->host + m->low + (gpa - NFVM_HIGH_BASE);
    return NULL;
}

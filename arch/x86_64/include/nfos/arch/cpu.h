/* x86_64 CPU helpers usable at any privilege level nfos runs at (CPL3 with
 * IOPL=3 on kvm, so port I/O is allowed there; not on linuxu). */
#ifndef NFOS_ARCH_CPU_H
#define NFOS_ARCH_CPU_H

#include <stdint.h>
#include <stddef.h>

static inline uint64_t arch_rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void arch_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ __volatile__("cpuid"
                         : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                         : "a"(leaf), "c"(sub));
}

static inline void arch_pause(void)
{
    __asm__ __volatile__("pause" ::: "memory");
}

static inline void arch_outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void arch_outl(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t arch_inb(uint16_t port)
{
    uint8_t v;

    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* One string instruction for a whole buffer: KVM and QEMU turn it into one
 * exit per page of data instead of one per byte. */
static inline void arch_outsb(uint16_t port, const void *buf, size_t len)
{
    __asm__ __volatile__("rep outsb" : "+S"(buf), "+c"(len) : "d"(port) : "memory");
}

static inline uint64_t arch_read_rbp(void)
{
    uint64_t v;

    __asm__ __volatile__("mov %%rbp, %0" : "=r"(v));
    return v;
}

#define arch_mb()  __asm__ __volatile__("mfence" ::: "memory")
#define arch_rmb() __asm__ __volatile__("lfence" ::: "memory")
#define arch_wmb() __asm__ __volatile__("sfence" ::: "memory")

#endif /* NFOS_ARCH_CPU_H */

/* Idle under nfvm: one outl to NFVM_PORT_IDLE naming a struct nfvm_idle
 * (nfos/plat/nfvm_abi.h) that says what the guest waits for: every
 * network device's receive queue, and a timeout. nfvm's direct entry
 * announces the port in its boot info (NFVM_BOOT_F_IDLE); a guest that
 * came through PVH asks nfvm's CPUID leaf, once, at its first idle (not
 * at boot: QEMU's boots pay nothing). Under QEMU there is no port to ask,
 * and a CPL3 guest cannot hlt, so this says -ENOTSUP. A guest waiting for
 * console input sleeps the same way until nfvm's COM1 has a byte. */
#include <errno.h>
#include <stddef.h>
#include <nfos/arch/cpu.h>
#include <nfos/plat/idle.h>
#include <nfos/plat/nfvm_abi.h>
#include "kvm_priv.h"

int kvm_idle_nfvm = -1; /* kvm_nfvm_start64 says; -1: PVH, ask CPUID */

/* The flags of an nfvm of this ABI that serves the idle port, else 0. */
static int idle_probe(void)
{
    uint32_t r[4];

    arch_cpuid(NFVM_CPUID_LEAF, 0, r);
    return r[0] == NFVM_CPUID_LEAF && r[1] == NFVM_BOOT_MAGIC && r[2] == NFVM_ABI_VERSION &&
                   (r[3] & NFVM_BOOT_F_IDLE)
               ? (int)r[3]
               : 0;
}

/* rec lives on the caller's stack: each CPU has its own. */
static int idle_ask(struct nfvm_idle *rec, uint32_t op, uint64_t timeout_ns)
{
    if (kvm_idle_nfvm < 0)
        kvm_idle_nfvm = idle_probe();
    if (op == NFVM_IDLE_CONSOLE && !(kvm_idle_nfvm & NFVM_BOOT_F_COM1_IN))
        return -ENOTSUP;
    if (!kvm_idle_nfvm || (uintptr_t)rec > UINT32_MAX - sizeof(*rec))
        return -ENOTSUP; /* no port, or a stack the 32-bit port cannot name */
    rec->op = op;
    rec->devices = NFVM_IDLE_ALL;
    rec->timeout_ns = timeout_ns;
    rec->reserved = 0;
    /* arch_outl without a memory clobber could let the compiler move the
     * record's stores past the exit, or its reads before it. */
    __asm__ __volatile__("outl %0, %1"
                         :
                         : "a"((uint32_t)(uintptr_t)rec), "Nd"((uint16_t)NFVM_PORT_IDLE)
                         : "memory");
    return 0;
}

int plat_idle_arm(void)
{
    struct nfvm_idle rec __attribute__((aligned(8)));

    return idle_ask(&rec, NFVM_IDLE_ARM, 0);
}

int plat_idle_sleep(uint64_t timeout_ns, uint64_t *slept_ns)
{
    struct nfvm_idle rec __attribute__((aligned(8)));
    int rc = idle_ask(&rec, NFVM_IDLE_SLEEP, timeout_ns);

    if (rc)
        return rc;
    if (slept_ns)
        *slept_ns = rec.slept_ns;
    return rec.woken == NFVM_IDLE_WOKE_DEV ? PLAT_IDLE_WOKE_DEVICE : PLAT_IDLE_WOKE_TIMER;
}

int kvm_nfvm_console_wait(void)
{
    struct nfvm_idle rec __attribute__((aligned(8)));

    return idle_ask(&rec, NFVM_IDLE_CONSOLE, 0);
}

/* nfvm disarms the devices at the guest's next sleep. */
void plat_idle_disarm(void)
{
}

/* nfvm watches the devices itself; a kvm image has no host fds. */
int plat_idle_watch(int fd, unsigned flags, void (*arm)(void *ctx, int on), void *ctx)
{
    (void)fd;
    (void)flags;
    (void)arm;
    (void)ctx;
    return -ENOTSUP;
}

void plat_idle_unwatch(int fd)
{
    (void)fd;
}

void plat_idle_unwatchable(void)
{
}

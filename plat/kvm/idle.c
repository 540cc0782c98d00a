/* Idle under nfvm: one outl to NFVM_PORT_IDLE naming a struct nfvm_idle
 * (nfos/plat/nfvm_abi.h) that says what the guest waits for: every
 * network device's receive queue, and a timeout. Only nfvm's direct entry
 * announces the port (NFVM_BOOT_F_IDLE); under QEMU there is no port to
 * ask, and a CPL3 guest cannot hlt, so this says -ENOTSUP. */
#include <errno.h>
#include <stddef.h>
#include <nfos/plat/idle.h>
#include <nfos/plat/nfvm_abi.h>
#include "kvm_priv.h"

int kvm_idle_nfvm; /* set by kvm_nfvm_start64 when nfvm serves the port */

static struct nfvm_idle rec __attribute__((aligned(8)));

static int idle_ask(uint32_t op, uint64_t timeout_ns)
{
    if (!kvm_idle_nfvm)
        return -ENOTSUP;
    rec.op = op;
    rec.devices = NFVM_IDLE_ALL;
    rec.timeout_ns = timeout_ns;
    rec.reserved = 0;
    /* arch_outl without a memory clobber could let the compiler move the
     * record's stores past the exit, or its reads before it. */
    __asm__ __volatile__("outl %0, %1"
                         :
                         : "a"((uint32_t)(uintptr_t)&rec), "Nd"((uint16_t)NFVM_PORT_IDLE)
                         : "memory");
    return 0;
}

int plat_idle_arm(void)
{
    return idle_ask(NFVM_IDLE_ARM, 0);
}

int plat_idle_sleep(uint64_t timeout_ns, uint64_t *slept_ns)
{
    int rc = idle_ask(NFVM_IDLE_SLEEP, timeout_ns);

    if (rc)
        return rc;
    if (slept_ns)
        *slept_ns = rec.slept_ns;
    return rec.woken == NFVM_IDLE_WOKE_DEV ? PLAT_IDLE_WOKE_DEVICE : PLAT_IDLE_WOKE_TIMER;
}

/* Platform contract: idle. A CPU that has found nothing to do for a while
 * asks its monitor to stop running it until a network device received a
 * frame or a timeout passed, so that idle guests cost the host nothing.
 * kvm under nfvm: the idle port (nfos/plat/nfvm_abi.h); kvm under QEMU
 * and linuxu: not served (-ENOTSUP), the caller goes on polling (README,
 * "Idle"). Two steps, so that a frame arriving between the caller's last
 * empty poll and the sleep is never missed:
 *
 *     plat_idle_arm();            then poll every port once more;
 *     nothing: plat_idle_sleep(timeout_ns);
 *
 * Slow path (each call is a VM exit); CPU 0 only. */
#ifndef NFOS_PLAT_IDLE_H
#define NFOS_PLAT_IDLE_H

#include <stdint.h>

#define PLAT_IDLE_WOKE_DEVICE 1 /* a frame reached a receive queue */
#define PLAT_IDLE_WOKE_TIMER  2 /* the timeout passed */

/* 0 (armed: the next frame on any port ends the next plat_idle_sleep), or
 * -ENOTSUP when the platform cannot sleep the CPU. */
int plat_idle_arm(void);

/* Stops this CPU until a frame arrived on any port since plat_idle_arm(),
 * or timeout_ns passed (0: no timeout). Returns PLAT_IDLE_WOKE_* or
 * -ENOTSUP; *slept_ns (may be NULL) is the time the monitor slept. */
int plat_idle_sleep(uint64_t timeout_ns, uint64_t *slept_ns);

#endif /* NFOS_PLAT_IDLE_H */

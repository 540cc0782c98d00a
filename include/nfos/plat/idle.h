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
 * An arm whose second poll found work ends with plat_idle_disarm() instead
 * of a sleep.
 *
 * linuxu sleeps in ppoll() on host fds its drivers name with
 * plat_idle_watch() (a TAP's or AF_PACKET socket's fd, a vhost-user
 * receive ring's call eventfd): one port whose frames no fd announces
 * (plat_idle_unwatchable: the null port) or a second CPU, and it polls.
 *
 * Slow path (each call is a VM exit or a system call); CPU 0 only. */
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

/* After plat_idle_arm(), when the caller found work and will not sleep:
 * devices stop announcing frames (a vhost-user backend would otherwise
 * signal every burst). Under nfvm a no-op, which costs nothing worth an
 * exit: a TAP's wake-up is one-shot in nfvm, and a vhost-user ring armed
 * with EVENT_IDX (the driver takes it from every backend that offers it,
 * DPDK's among them) signals once as the used index passes used_event,
 * then not again for 65,536 entries; only a backend without EVENT_IDX
 * signals every burst until the next sleep disarms it. */
void plat_idle_disarm(void);

/* fd is a counter (an eventfd): read at every arm, so that old wake-ups are
 * forgotten. Else it is a data fd only polled (a TAP, a socket). */
#define PLAT_IDLE_FD_COUNTER 1

/* Drivers: fd becomes readable when a frame may have reached one of the
 * driver's receive queues (a watch of the same fd replaces the one before:
 * a port started again); arm(ctx, 1) before a sleep asks the device to
 * say so (may be NULL), arm(ctx, 0) after it stops that. 0, -ENOSPC (the
 * platform then never sleeps: a frame would go unseen) or -ENOTSUP (kvm:
 * nfvm watches the devices itself). */
int plat_idle_watch(int fd, unsigned flags, void (*arm)(void *ctx, int on), void *ctx);
/* The port stopped: fd is no longer watched. */
void plat_idle_unwatch(int fd);
/* A receive queue whose frames no fd announces: the platform polls. */
void plat_idle_unwatchable(void);

#endif /* NFOS_PLAT_IDLE_H */

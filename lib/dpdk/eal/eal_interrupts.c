/* Interrupts: nfos devices are polled, nothing delivers an interrupt to a
 * DPDK callback. Registering answers -ENOTSUP, as DPDK drivers expect of
 * an EAL without interrupt support (they fall back to polling); there is
 * no interrupt thread. */
#include <errno.h>

#include <rte_common.h>
#include <rte_epoll.h>
#include <rte_interrupts.h>

#include "eal_private.h"

int rte_eal_intr_init(void)
{
    return 0;
}

int rte_intr_callback_register(const struct rte_intr_handle *h __rte_unused,
                               rte_intr_callback_fn cb __rte_unused, void *arg __rte_unused)
{
    return -ENOTSUP;
}

int rte_intr_callback_unregister(const struct rte_intr_handle *h __rte_unused,
                                 rte_intr_callback_fn cb __rte_unused, void *arg __rte_unused)
{
    return -ENOTSUP;
}

int rte_intr_callback_unregister_sync(const struct rte_intr_handle *h __rte_unused,
                                      rte_intr_callback_fn cb __rte_unused, void *arg __rte_unused)
{
    return -ENOTSUP;
}

int rte_intr_callback_unregister_pending(const struct rte_intr_handle *h __rte_unused,
                                         rte_intr_callback_fn cb __rte_unused,
                                         void *arg __rte_unused,
                                         rte_intr_unregister_callback_fn ucb __rte_unused)
{
    return -ENOTSUP;
}

int rte_intr_enable(const struct rte_intr_handle *h __rte_unused)
{
    return -ENOTSUP;
}

int rte_intr_disable(const struct rte_intr_handle *h __rte_unused)
{
    return -ENOTSUP;
}

int rte_intr_ack(const struct rte_intr_handle *h __rte_unused)
{
    return -ENOTSUP;
}

int rte_intr_rx_ctl(struct rte_intr_handle *h __rte_unused, int epfd __rte_unused,
                    int op __rte_unused, unsigned int vec __rte_unused, void *data __rte_unused)
{
    return -ENOTSUP;
}

int rte_intr_efd_enable(struct rte_intr_handle *h __rte_unused, uint32_t nb_efd __rte_unused)
{
    return 0; /* no event fds: rx interrupts stay off */
}

void rte_intr_efd_disable(struct rte_intr_handle *h __rte_unused)
{
}

int rte_intr_dp_is_en(struct rte_intr_handle *h __rte_unused)
{
    return 0;
}

int rte_intr_allow_others(struct rte_intr_handle *h __rte_unused)
{
    return 1;
}

int rte_intr_cap_multiple(struct rte_intr_handle *h __rte_unused)
{
    return 0;
}

int rte_epoll_wait(int epfd __rte_unused, struct rte_epoll_event *events __rte_unused,
                   int maxevents __rte_unused, int timeout __rte_unused)
{
    return -ENOTSUP;
}

int rte_epoll_wait_interruptible(int epfd __rte_unused, struct rte_epoll_event *events __rte_unused,
                                 int maxevents __rte_unused, int timeout __rte_unused)
{
    return -ENOTSUP;
}

int rte_epoll_ctl(int epfd __rte_unused, int op __rte_unused, int fd __rte_unused,
                  struct rte_epoll_event *event __rte_unused)
{
    return -ENOTSUP;
}

int rte_intr_tls_epfd(void)
{
    return -ENOTSUP;
}

void rte_intr_free_epoll_fd(struct rte_intr_handle *h __rte_unused)
{
}

int rte_thread_is_intr(void)
{
    return 0; /* there is no interrupt thread */
}

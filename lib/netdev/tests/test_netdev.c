/* The registry and the checked slow-path calls over a fake driver, and the
 * debug checks (built with CONFIG_NFOS_DEBUG, as every unit test is): a
 * burst on a queue that was not set up, or on a port not started, and a
 * driver that registers without its required ops, end in a failed
 * NFOS_ASSERT (SIGABRT on the host) instead of a jump through NULL. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <nfos/netdev_driver.h>

#ifndef CONFIG_NFOS_DEBUG
#error "unit tests build with -DCONFIG_NFOS_DEBUG=1 (mk/test.mk)"
#endif

struct fake_queue {
    unsigned bursts;
};

static struct fake_queue fake_rx[NETDEV_MAX_QUEUES], fake_tx[NETDEV_MAX_QUEUES];

static int fake_info(struct netdev *dev, struct netdev_info *info)
{
    info->driver = "fake";
    info->max_rx_queues = 2;
    info->max_tx_queues = 2;
    return 0;
}

static int fake_configure(struct netdev *dev, const struct netdev_conf *conf)
{
    return 0;
}

static int fake_rxq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size, struct pool *pool,
                          void **queue)
{
    *queue = &fake_rx[q];
    return 0;
}

static int fake_txq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size, void **queue)
{
    *queue = &fake_tx[q];
    return 0;
}

static int fake_start(struct netdev *dev)
{
    return 0;
}

static uint16_t fake_burst(void *queue, struct netbuf **pkts, uint16_t n)
{
    ((struct fake_queue *)queue)->bursts++;
    return n;
}

static const struct netdev_ops fake_ops = {
    .info = fake_info,
    .configure = fake_configure,
    .rxq_setup = fake_rxq_setup,
    .txq_setup = fake_txq_setup,
    .start = fake_start,
};

static struct netdev fake_dev = {
    .ops = &fake_ops,
    .rx_burst = fake_burst,
    .tx_burst = fake_burst,
};

/* Registered, two queues each way configured, queue 0 set up. */
static struct netdev *fake_configured(void)
{
    struct netdev_conf conf = { .nb_rx_queues = 2, .nb_tx_queues = 2 };
    static char pool; /* only passed along */

    cr_assert_eq(netdev_register(&fake_dev), 0);
    cr_assert_eq(netdev_configure(&fake_dev, &conf), 0);
    cr_assert_eq(netdev_rxq_setup(&fake_dev, 0, 0, (struct pool *)(void *)&pool), 0);
    cr_assert_eq(netdev_txq_setup(&fake_dev, 0, 0), 0);
    return &fake_dev;
}

/* The same with queue 1 set up too, and started. */
static struct netdev *fake_started(void)
{
    struct netdev *dev = fake_configured();
    static char pool;

    cr_assert_eq(netdev_rxq_setup(dev, 1, 0, (struct pool *)(void *)&pool), 0);
    cr_assert_eq(netdev_txq_setup(dev, 1, 0), 0);
    cr_assert_eq(netdev_start(dev), 0);
    return dev;
}

Test(netdev, register_and_checked_calls)
{
    struct netdev *dev = fake_configured();
    struct netbuf *pkts[4];

    cr_assert_eq(dev->port, 0);
    cr_assert_str_eq(dev->name, "net0");
    cr_assert_str_eq(dev->param_prefix, "netdev");
    cr_assert_eq(netdev_next_port(), 1);
    cr_assert_eq(netdev_get(0), dev);
    cr_assert_null(netdev_get(1));
    cr_assert_eq(netdev_rxq_setup(dev, 2, 0, NULL), -EINVAL);
    cr_assert_eq(netdev_txq_setup(dev, 2, 0), -EINVAL);
    cr_assert_eq(netdev_start(dev), -EINVAL, "queue 1 not set up");
    cr_assert_eq(netdev_rxq_setup(dev, 1, 0, (struct pool *)(void *)pkts), 0);
    cr_assert_eq(netdev_txq_setup(dev, 1, 0), 0);
    cr_assert_eq(netdev_start(dev), 0);
    cr_assert_eq(netdev_rx_burst(dev, 0, pkts, 4), 4);
    cr_assert_eq(netdev_tx_burst(dev, 1, pkts, 3), 3);
    cr_assert_eq(fake_rx[0].bursts, 1);
    cr_assert_eq(fake_tx[1].bursts, 1);
    cr_assert_eq(netdev_stats(dev, &(struct netdev_stats){ 0 }), -ENOTSUP);
}

Test(netdev, layout)
{
    /* What netdev_types.h asserts at compile time, seen from outside. */
    cr_assert_lt(offsetof(struct netdev, queue[0].tx), NFOS_CACHE_LINE);
    cr_assert_eq(sizeof(struct netdev) % NFOS_CACHE_LINE, 0);
}

Test(netdev_debug, rx_burst_on_a_queue_not_configured, .signal = SIGABRT)
{
    struct netdev *dev = fake_started();
    struct netbuf *pkts[4];

    netdev_rx_burst(dev, 2, pkts, 4);
}

Test(netdev_debug, tx_burst_on_a_queue_not_configured, .signal = SIGABRT)
{
    struct netdev *dev = fake_started();
    struct netbuf *pkts[4];

    netdev_tx_burst(dev, NETDEV_MAX_QUEUES, pkts, 4);
}

Test(netdev_debug, burst_on_a_port_not_started, .signal = SIGABRT)
{
    struct netdev *dev = fake_configured();
    struct netbuf *pkts[4];

    netdev_rx_burst(dev, 0, pkts, 4);
}

Test(netdev_debug, burst_on_a_stopped_port, .signal = SIGABRT)
{
    struct netdev *dev = fake_started();
    struct netbuf *pkts[4];

    netdev_stop(dev);
    netdev_tx_burst(dev, 0, pkts, 4);
}

Test(netdev_debug, register_without_required_ops, .signal = SIGABRT)
{
    static const struct netdev_ops no_start = { .configure = fake_configure,
                                                .rxq_setup = fake_rxq_setup,
                                                .txq_setup = fake_txq_setup };
    static struct netdev dev = { .ops = &no_start, .rx_burst = fake_burst, .tx_burst = fake_burst };

    netdev_register(&dev);
}

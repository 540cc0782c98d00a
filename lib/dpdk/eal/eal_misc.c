/* The small OS hooks: device events (no hotplug: -ENOTSUP), the log (the
 * console, through stdout as DPDK's default stream), CPU flags from the
 * auxiliary vector (none: CPUID says it all). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cpuflags.h>
#include <rte_dev.h>
#include <rte_log.h>

#include "eal_private.h"

int rte_dev_event_monitor_start(void)
{
    return -ENOTSUP;
}

int rte_dev_event_monitor_stop(void)
{
    return -ENOTSUP;
}

int rte_dev_hotplug_handle_enable(void)
{
    return -ENOTSUP;
}

int rte_dev_hotplug_handle_disable(void)
{
    return -ENOTSUP;
}

int eal_log_init(const char *id __rte_unused, int facility __rte_unused)
{
    return 0; /* rte_log's default stream (stderr) is the console */
}

unsigned long rte_cpu_getauxval(unsigned long type __rte_unused)
{
    return 0;
}

int rte_cpu_strcmp_auxval(unsigned long type __rte_unused, const char *str __rte_unused)
{
    return -1;
}

/* rte_eal_init on nfos: one primary process, its memory in this image
 * (no runtime directory, no shared config file, no multi-process channel,
 * no telemetry socket, no VFIO, no plugins), lcores on nfos lcores. DPDK's
 * common EAL code does the rest (options, memzones, heaps, buses). What
 * cannot apply here is said in one line and ignored. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_service_component.h>

#include "eal_hugepages.h"
#include "eal_internal_cfg.h"
#include "eal_memcfg.h"
#include "eal_options.h"
#include "eal_private.h"
#include "eal_trace.h"
#include "eal_nfos.h"

/* Memory when no -m/--socket-mem says otherwise. */
#define EAL_NFOS_DEFAULT_MEM (16ULL << 20)

struct lcore_config lcore_config[RTE_MAX_LCORE];

/* rte_rdtsc() reads it; VMware's TSC map does not exist here. */
int rte_cycles_vmware_tsc_map;

int eal_clean_runtime_dir(void)
{
    return 0; /* there is none */
}

static void eal_nfos_init_alert(const char *msg)
{
    fprintf(stderr, "EAL: FATAL: %s\n", msg);
}

static void eal_usage(const char *prgname)
{
    rte_usage_hook_t hook = eal_get_application_usage_hook();

    printf("\nUsage: %s ", prgname);
    eal_common_usage();
    if (hook) {
        printf("===== Application Usage =====\n\n");
        hook(prgname);
    }
}

/* The Linux options the common parser leaves to the OS part: none applies
 * to an image (no hugetlbfs, no files, no syslog, no VFIO). */
static void eal_nfos_option_ignored(const char *name)
{
    printf("EAL: --%s does not apply on nfos (ignored)\n", name);
}

static int eal_parse_args(int argc, char **argv)
{
    struct internal_config *conf = eal_get_internal_configuration();
    const int old_optind = optind, old_optopt = optopt;
    char *const old_optarg = optarg;
    char *prgname = argv[0];
    int opt, ret, option_index;

    optind = 1;
    while ((opt = getopt_long(argc, argv, eal_short_options, eal_long_options, &option_index)) !=
           EOF) {
        if (opt == '?') {
            eal_usage(prgname);
            ret = -1;
            goto out;
        }
        ret = eal_parse_common_option(opt, optarg, conf);
        if (ret < 0) {
            eal_usage(prgname);
            ret = -1;
            goto out;
        }
        if (ret == 0)
            continue;
        switch (opt) {
        case 'h':
            eal_usage(prgname);
            exit(EXIT_SUCCESS);
        case OPT_MBUF_POOL_OPS_NAME_NUM:
            free(conf->user_mbuf_pool_ops_name);
            conf->user_mbuf_pool_ops_name = strdup(optarg);
            break;
        default:
            if (opt >= OPT_LONG_MIN_NUM && opt < OPT_LONG_MAX_NUM)
                eal_nfos_option_ignored(eal_long_options[option_index].name);
            else
                printf("EAL: option -%c does not apply on nfos (ignored)\n", opt);
            break;
        }
    }
    if (eal_adjust_config(conf) != 0 || eal_check_common_options(conf) != 0) {
        eal_usage(prgname);
        ret = -1;
        goto out;
    }
    if (optind >= 0)
        argv[optind - 1] = prgname;
    ret = optind - 1;
out:
    optind = old_optind;
    optopt = old_optopt;
    optarg = old_optarg;
    return ret;
}

/* What an image always is, whatever the command line said: one primary
 * process without shared files, memory in this image, IOVA = VA. */
static int eal_nfos_config_fixup(struct internal_config *conf)
{
    if (conf->process_type != RTE_PROC_PRIMARY) {
        printf("EAL: --proc-type: an nfos image is always the primary process\n");
        return -1;
    }
    if (conf->no_hugetlbfs) {
        printf("EAL: --no-huge: nfos memory is always 2 MiB pages (ignored)\n");
        conf->no_hugetlbfs = 0;
    }
    if (conf->iova_mode == RTE_IOVA_PA)
        printf("EAL: --iova-mode=pa: here IOVA = VA = guest-physical (using va)\n");
    conf->iova_mode = RTE_IOVA_VA;
    conf->no_shconf = 1;
    conf->in_memory = 1;
    conf->legacy_mem = 1; /* one region, no page-by-page allocation */
    conf->no_telemetry = 1;
    if (conf->memory == 0)
        conf->memory = EAL_NFOS_DEFAULT_MEM;
    return 0;
}

static int eal_sync_func(void *arg __rte_unused)
{
    return 0;
}

static int eal_nfos_fail(const char *msg, int err)
{
    eal_nfos_init_alert(msg);
    rte_errno = err;
    return -1;
}

/* Up to the memory: arguments, lcores, buses scanned. */
static int eal_nfos_init_early(int argc, char **argv, int *fctret)
{
    struct internal_config *conf = eal_get_internal_configuration();
    struct rte_config *config = rte_eal_get_configuration();

    eal_reset_internal_config(conf);
    eal_save_args(argc, argv);
    if (rte_eal_cpu_init() < 0)
        return eal_nfos_fail("Cannot detect lcores.", ENOTSUP);
    *fctret = eal_parse_args(argc, argv);
    if (*fctret < 0)
        return eal_nfos_fail("Invalid 'command line' arguments.", EINVAL);
    if (eal_nfos_config_fixup(conf) < 0)
        return eal_nfos_fail("Invalid 'command line' arguments.", EINVAL);
    if (eal_trace_init() < 0)
        return eal_nfos_fail("Cannot init trace", EFAULT);
    if (eal_option_device_parse())
        return eal_nfos_fail("Cannot parse devices", ENODEV);
    config->process_type = RTE_PROC_PRIMARY;
    eal_mcfg_update_from_internal();
    if (rte_eal_intr_init() < 0 || rte_eal_alarm_init() < 0)
        return eal_nfos_fail("Cannot init interrupts and alarms", ENOTSUP);
    if (rte_bus_scan())
        return eal_nfos_fail("Cannot scan the buses for devices", ENODEV);
    rte_bus_get_iommu_class(); /* lets the buses check their DMA masks */
    config->iova_mode = RTE_IOVA_VA;
    if (eal_hugepage_info_init() < 0)
        return eal_nfos_fail("Cannot get hugepage information.", EACCES);
    return 0;
}

int rte_eal_init(int argc, char **argv)
{
    static uint32_t run_once;
    uint32_t has_run = 0;
    struct rte_config *config = rte_eal_get_configuration();
    int fctret = 0, ret;

    if (!rte_cpu_is_supported())
        return eal_nfos_fail("unsupported cpu type.", ENOTSUP);
    if (!__atomic_compare_exchange_n(&run_once, &has_run, 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return eal_nfos_fail("already called initialization.", EALREADY);
    if (eal_nfos_init_early(argc, argv, &fctret) < 0)
        return -1;
    if (rte_eal_memzone_init() < 0)
        return eal_nfos_fail("Cannot init memzone", ENODEV);
    if (rte_eal_memory_init() < 0)
        return eal_nfos_fail("Cannot init memory", ENOMEM);
    if (rte_eal_malloc_heap_init() < 0)
        return eal_nfos_fail("Cannot init malloc heap", ENODEV);
    if (rte_eal_tailqs_init() < 0)
        return eal_nfos_fail("Cannot init tail queues for objects", EFAULT);
    if (rte_eal_timer_init() < 0)
        return eal_nfos_fail("Cannot init TSC timer", ENOTSUP);
    __rte_thread_init(config->main_lcore, &lcore_config[config->main_lcore].cpuset);
    if (eal_nfos_workers_start() < 0)
        return eal_nfos_fail("Cannot start the worker lcores", ENOTSUP);
    /* Every worker answers once before init returns, as on Linux. */
    rte_eal_mp_remote_launch(eal_sync_func, NULL, SKIP_MAIN);
    rte_eal_mp_wait_lcore();
    ret = rte_service_init();
    if (ret)
        return eal_nfos_fail("rte_service_init() failed", -ret);
    if (rte_bus_probe())
        return eal_nfos_fail("Cannot probe devices", ENOTSUP);
    ret = rte_service_start_with_defaults();
    if (ret < 0 && ret != -ENOTSUP) {
        rte_errno = -ret;
        return -1;
    }
    eal_mcfg_complete();
    return fctret;
}

int rte_eal_cleanup(void)
{
    static uint32_t run_once;
    uint32_t has_run = 0;

    if (!__atomic_compare_exchange_n(&run_once, &has_run, 1, 0, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED)) {
        rte_errno = EALREADY;
        return -1;
    }
    rte_service_finalize();
    eal_bus_cleanup();
    rte_eal_alarm_cleanup();
    eal_trace_fini();
    eal_cleanup_config(eal_get_internal_configuration());
    return 0;
}

int rte_eal_iopl_init(void)
{
#if CONFIG_PLAT_LINUXU
    return -1; /* a Linux process: no port I/O (nfos asks for no iopl) */
#else
    return 0; /* all of a kvm image runs with IOPL 3 */
#endif
}

int rte_eal_create_uio_dev(void)
{
    return 0;
}

enum rte_intr_mode rte_eal_vfio_intr_mode(void)
{
    return RTE_INTR_MODE_NONE;
}

void rte_eal_vfio_get_vf_token(rte_uuid_t vf_token __rte_unused)
{
}

int rte_eal_check_module(const char *module_name __rte_unused)
{
    return 0; /* no kernel modules */
}

enum rte_proc_type_t eal_proc_type_detect(void)
{
    return RTE_PROC_PRIMARY; /* nothing to share with: always the primary */
}

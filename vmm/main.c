/* nfvm: the nfos KVM monitor.
 *
 *   nfvm [--mem SIZE] [--cpus N] [--boot direct|pvh]
 *        [--net tap:IF|vhost-user:SOCK[,queues=N][,mac=MAC][,rss]|none]...
 *        [--initrd FILE] [--timeout S] [--trace] IMAGE [-- CMDLINE...]
 *
 * Loads an nfos kvm image (the PVH ELF QEMU boots) into memfd-backed RAM
 * and starts it, by default directly at its 64-bit CPL3 entry (no guest
 * CPL0 instruction before main), or through PVH; with --cpus N its other
 * vCPUs enter the image's AP entry directly too, one thread each, and each
 * --net device has as many queue pairs (VIRTIO_NET_F_MQ), unless its
 * queues=N says otherwise (and with a TAP's ,rss the device's RSS, as
 * the driver programs it, picks each received frame's pair, not the TAP);
 * its MAC is 02:6e:66:76:6d:0K (K: the device's number from 1) unless
 * mac=MAC says otherwise. The guest's console goes to stdout, and its COM1
 * reads stdin (a terminal in the foreground is put in raw mode, as QEMU's
 * -serial stdio does; ^C still stops; one ^D after the end of a pipe or
 * file); nfvm exits with the guest's status (nfvm.h lists its own).
 * SIGINT, SIGTERM and SIGHUP end the guest (status 128 + the signal);
 * --timeout SECONDS ends a guest that runs longer (NFVM_STATUS_TIMEOUT).
 * --trace prints, at the end, when each start-up step finished (from the
 * start of main), how many exits the guest made, the idle counters and
 * each network device's counters.
 * Startup order below: memory, image (and the APs' blocks), KVM, boot
 * info, vCPUs, run. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <termios.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>
#include "kvm.h"
#include "layout.h"
#include "vnet.h"

struct opts {
    uint64_t mem;
    unsigned cpus;
    double timeout; /* seconds, 0: none */
    int trace;
    enum nfvm_boot_mode mode;
    int mode_set;
    const char *image;
    const char *initrd;
    char taps[NFVM_NET_MAX][PATH_MAX]; /* "tap:IF" or "vhost-user:SOCK" */
    unsigned queues[NFVM_NET_MAX];     /* ,queues=N; 0: one pair per vCPU */
    uint8_t mac[NFVM_NET_MAX][6];      /* ,mac=MAC, when has_mac */
    bool has_mac[NFVM_NET_MAX];
    bool rss[NFVM_NET_MAX]; /* ,rss: offer VIRTIO_NET_F_RSS (TAP, several pairs) */
    unsigned nr_taps;
    char cmdline[NFVM_CMDLINE_MAX];
};

static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "nfvm: %s\n", why);
    fprintf(stderr, "usage: nfvm [--mem SIZE] [--cpus N] [--boot direct|pvh] "
                    "[--net tap:IF|vhost-user:SOCK[,queues=N][,mac=MAC][,rss]|none]... "
                    "[--initrd FILE] [--timeout S] [--trace] IMAGE [-- CMDLINE...]\n");
    return NFVM_STATUS_USAGE;
}

#define NFVM_HELPED (-1) /* parse_args: --help printed, exit 0 */

static int help(void)
{
    printf("usage: nfvm [--mem SIZE] [--cpus N] [--boot direct|pvh] "
           "[--net tap:IF|vhost-user:SOCK[,queues=N][,mac=MAC][,rss]|none]...\n"
           "            [--initrd FILE] [--timeout S] [--trace] IMAGE [-- CMDLINE...]\n"
           "Runs an nfos kvm image (the PVH ELF QEMU boots) on /dev/kvm.\n"
           "  --mem SIZE       guest RAM, 2M..256G (default 64M), a shared memfd\n"
           "  --cpus N         vCPUs, 1..64 (default 1): each starts at the image's\n"
           "                   CPL3 entry on a thread of its own (direct entry only)\n"
           "  --boot direct    enter the image's 64-bit CPL3 entry (default)\n"
           "  --boot pvh       enter the PVH entry, as QEMU does\n"
           "  --net tap:IF     a virtio-net device (virtio-mmio) on TAP IF; repeatable\n"
           "  --net vhost-user:SOCK  the same, served by the vhost-user backend at SOCK\n"
           "  --net ...,queues=N  N queue pairs (multiqueue; default: one per vCPU)\n"
           "  --net ...,mac=MAC   the device's MAC, XX:XX:XX:XX:XX:XX, unicast\n"
           "                   (default 02:6e:66:76:6d:0K, K the device's number from 1)\n"
           "  --net tap:IF,rss    offer RSS (with several queue pairs): the device, as the\n"
           "                   driver programs it, picks each received frame's pair\n"
           "  --initrd FILE    FILE in guest RAM as the image's initrd (plat_initrd())\n"
           "  --timeout S      end the guest after S seconds (status 124)\n"
           "  --trace          at the end, print when each start-up step finished, and\n"
           "                   the idle and network devices' counters\n"
           "KVM's supported CPUID table is kept between runs (asking KVM costs ~0.5 ms\n"
           "on a nested host), per host boot and /dev/kvm, in $NFVM_CPUID_CACHE, else\n"
           "/run/nfvm as root, else $XDG_RUNTIME_DIR/nfvm; NFVM_CPUID_CACHE=off: never.\n"
           "The guest's exit status becomes nfvm's; nfvm's own: 2 usage, 124 timeout,\n"
           "125 shutdown or triple fault, 200 a wild access or unknown exit, 201 a KVM\n"
           "entry failure, 202 set-up failed, 128+N signal N.\n");
    return NFVM_HELPED;
}

/* "64M" -> bytes; 0 when malformed. */
static uint64_t parse_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;

    if (end == s || *s == '-')
        return 0;
    switch (*end) {
    case 'G':
    case 'g':
        shift = 30;
        end++;
        break;
    case 'M':
    case 'm':
        shift = 20;
        end++;
        break;
    case 'K':
    case 'k':
        shift = 10;
        end++;
        break;
    }
    if (*end || v > (~0ULL >> shift))
        return 0;
    return (uint64_t)v << shift;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* "XX:XX:XX:XX:XX:XX" at s, two hex digits a byte, into mac: the
 * characters it took (17), or -1. */
static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        int hi = hex_digit(s[3 * i]), lo = hi < 0 ? -1 : hex_digit(s[3 * i + 1]);

        if (lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
            return -1;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 17;
}

/* Whether the option ",rss" starts at p (it ends the value or a comma follows). */
static bool rss_at(const char *p)
{
    return !strncmp(p, ",rss", 4) && (!p[4] || p[4] == ',');
}

/* The first ",rss" option in v, or NULL. */
static const char *rss_opt(const char *v)
{
    for (const char *r = strstr(v, ",rss"); r; r = strstr(r + 1, ",rss"))
        if (rss_at(r))
            return r;
    return NULL;
}

/* The earlier of two option starts (either may be NULL). */
static const char *first_of(const char *a, const char *b)
{
    return a && (!b || a < b) ? a : b;
}

/* --net's value: the backend, then ",queues=N" (1..16), ",mac=MAC"
 * (unicast) and ",rss" (tap only), each at most once, in any order. 0, or
 * the usage status. */
static int parse_net(struct opts *o, const char *v)
{
    /* The options after the backend start at the first of them. */
    const char *opt = first_of(first_of(strstr(v, ",queues="), strstr(v, ",mac=")), rss_opt(v));
    size_t len = opt ? (size_t)(opt - v) : strlen(v);
    unsigned long n = 0;
    bool has_mac = false, rss = false;
    uint8_t mac[6];

    while (opt && *opt) {
        char *end;

        if (!strncmp(opt, ",queues=", 8) && !n) {
            n = strtoul(opt + 8, &end, 10);
            if ((*end && *end != ',') || end == opt + 8 || opt[8] == '-' || n < 1 ||
                n > NFVM_VNET_PAIRS_MAX)
                return usage("--net ...,queues=N: N from 1 to 16");
        } else if (!strncmp(opt, ",mac=", 5) && !has_mac) {
            int k = parse_mac(opt + 5, mac);

            /* The group bit set: a multicast address no device may own. */
            if (k < 0 || (opt[5 + k] && opt[5 + k] != ',') || (mac[0] & 1))
                return usage("--net ...,mac=MAC: a unicast XX:XX:XX:XX:XX:XX");
            end = (char *)opt + 5 + k;
            has_mac = true;
        } else if (rss_at(opt) && !rss) {
            end = (char *)opt + 4;
            rss = true;
        } else {
            return usage("--net: after the backend, ,queues=N, ,mac=MAC and ,rss, once each");
        }
        opt = end;
    }
    if (!((len > 4 && !strncmp(v, "tap:", 4) && len - 4 < IFNAMSIZ) ||
          (len > 11 && !strncmp(v, "vhost-user:", 11) && len < PATH_MAX))) {
        if (strcmp(v, "none"))
            return usage("--net: tap:IF, vhost-user:SOCK or none");
        return 0;
    }
    if (rss && strncmp(v, "tap:", 4))
        return usage("--net vhost-user:SOCK,rss: RSS is the TAP backend's (the vhost-user "
                     "backend moves the frames, not nfvm)");
    if (o->nr_taps == NFVM_NET_MAX)
        return usage("--net: at most 4 devices");
    memcpy(o->taps[o->nr_taps], v, len);
    o->taps[o->nr_taps][len] = 0;
    o->queues[o->nr_taps] = (unsigned)n;
    o->has_mac[o->nr_taps] = has_mac;
    o->rss[o->nr_taps] = rss;
    if (has_mac)
        memcpy(o->mac[o->nr_taps], mac, sizeof(mac));
    o->nr_taps++;
    return 0;
}

/* The words after "--" become the guest's command line, space-separated. */
static int cmdline_join(struct opts *o, int argc, char **argv)
{
    size_t len = 0;

    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);

        if (len + n + (i > 0) >= sizeof(o->cmdline))
            return usage("command line longer than 4095 bytes");
        if (i > 0)
            o->cmdline[len++] = ' ';
        memcpy(o->cmdline + len, argv[i], n + 1);
        len += n;
    }
    return 0;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
    int i;

    for (i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return help();
        if (!strcmp(a, "--trace")) {
            o->trace = 1;
            continue;
        }
        if (!v)
            return usage("an option needs a value");
        i++;
        if (!strcmp(a, "--mem")) {
            o->mem = parse_size(v);
            if (o->mem < NFVM_RAM_MIN || o->mem > NFVM_RAM_MAX)
                return usage("--mem: expected a size from 2M to 256G, e.g. 64M");
            o->mem = (o->mem + NFVM_RAM_ALIGN - 1) & ~(NFVM_RAM_ALIGN - 1);
        } else if (!strcmp(a, "--cpus")) {
            char *end;
            unsigned long n = strtoul(v, &end, 10);

            if (*end || end == v || *v == '-' || n < 1 || n > NFVM_CPUS_MAX)
                return usage("--cpus: expected 1 to 64");
            o->cpus = (unsigned)n;
        } else if (!strcmp(a, "--timeout")) {
            char *end;

            o->timeout = strtod(v, &end);
            if (*end || !(o->timeout > 0 && o->timeout < 1e6))
                return usage("--timeout: seconds, e.g. 10 or 0.5");
        } else if (!strcmp(a, "--initrd")) {
            o->initrd = v;
        } else if (!strcmp(a, "--boot")) {
            if (strcmp(v, "direct") && strcmp(v, "pvh"))
                return usage("--boot: direct or pvh");
            o->mode = strcmp(v, "pvh") ? NFVM_BOOT_DIRECT : NFVM_BOOT_PVH;
            o->mode_set = 1;
        } else if (!strcmp(a, "--net")) {
            int rc = parse_net(o, v);

            if (rc)
                return rc;
        } else {
            return usage("unknown option");
        }
    }
    if (i == argc || !strcmp(argv[i], "--"))
        return usage("which image?");
    o->image = argv[i++];
    if (i < argc && strcmp(argv[i], "--"))
        return usage("one image, then -- and its command line");
    return i < argc ? cmdline_join(o, argc - i - 1, argv + i + 1) : 0;
}

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

enum { T_MAIN, T_MEM, T_IMAGE, T_KVM, T_BOOT, T_VCPU, T_END, T_N };

/* This process's peak resident set in KiB (the guest RAM it touched
 * included), 0 when unknown. /proc's VmHWM, not getrusage(): ru_maxrss
 * keeps the peak of the process nfvm was exec'd from (a vfork of a large
 * parent: a benchmark's Python). */
static unsigned long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    unsigned long kib = 0;
    char line[128];

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %lu kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void trace_print(const double *t, const struct nfvm *vm)
{
    static const char *const names[T_N] = { "main",      "memory", "image", "kvm",
                                            "boot info", "vcpu",   "end" };

    fprintf(stderr, "nfvm: trace (ms after main):");
    for (int i = T_MEM; i < T_N; i++)
        fprintf(stderr, " %s %.3f%s", names[i], t[i] - t[T_MAIN], i == T_N - 1 ? "" : ",");
    fprintf(stderr, "; first exit %.3f; %llu exits\n", vm->first_exit_ms - t[T_MAIN],
            (unsigned long long)vm->exits);
    fprintf(stderr, "nfvm: peak RSS %lu KiB\n", peak_rss_kib());
    fprintf(stderr, "nfvm: KVM's supported CPUID from %s\n", nfvm_kvm_cpuid_from());
    fprintf(stderr,
            "nfvm: idle: %llu arms, %llu sleeps (%llu woken by a device, %llu by the timer), "
            "%.3f ms asleep\n",
            (unsigned long long)vm->idle.arms, (unsigned long long)vm->idle.sleeps,
            (unsigned long long)vm->idle.woken_dev, (unsigned long long)vm->idle.woken_timer,
            (double)vm->idle.slept_ns / 1e6);
    if (vm->nr_cpus > 1)
        fprintf(stderr, "nfvm: %u vCPUs: %llu waits, %llu wakes\n", vm->nr_cpus,
                (unsigned long long)vm->idle.cpu_waits, (unsigned long long)vm->idle.cpu_wakes);
    for (unsigned i = 0; i < vm->nr_net; i++)
        nfvm_vnet_report(vm->net[i], i, stderr);
}

/* Each device: nfvm_vnet_init, then announced to the guest the way Linux
 * and nfos read virtio-mmio devices, in front of the command line. */
static int net_setup(struct nfvm *vm, struct opts *o)
{
    char pre[NFVM_CMDLINE_MAX] = "";
    size_t len = 0;

    for (unsigned i = 0; i < o->nr_taps; i++) {
        uint64_t base = NFVM_MMIO_BASE + i * NFVM_MMIO_SIZE;
        char key[8] = "";

        const char *be = o->taps[i];
        unsigned pairs = o->queues[i] ? o->queues[i] : o->cpus;

        if (pairs > NFVM_VNET_PAIRS_MAX)
            pairs = NFVM_VNET_PAIRS_MAX;
        vm->net[i] = calloc(1, sizeof(*vm->net[i]));
        if (!vm->net[i])
            return -1;
        if (!strncmp(be, "tap:", 4)
                ? nfvm_vnet_init(vm->net[i], &vm->mem, base, be + 4, i, pairs) < 0
                : nfvm_vnet_init_vhost(vm->net[i], &vm->mem, base, be + 11, i, pairs) < 0)
            return -1;
        if (o->rss[i] && nfvm_vnet_offer_rss(vm->net[i]) < 0)
            return -1;
        if (o->has_mac[i]) /* the config space's, which the guest reads */
            memcpy(vm->net[i]->mac, o->mac[i], sizeof(o->mac[i]));
        vm->net[i]->idle_fd = vm->idle_fd;
        vm->nr_net++;
        if (i)
            snprintf(key, sizeof(key), "%u", i);
        len += (size_t)snprintf(pre + len, sizeof(pre) - len, "virtio_mmio.device%s=%lluK@%#llx:5 ",
                                key, NFVM_MMIO_SIZE >> 10, (unsigned long long)base);
    }
    if (len + strlen(o->cmdline) >= sizeof(o->cmdline)) {
        fprintf(stderr, "nfvm: command line too long with the devices' announcements\n");
        return -1;
    }
    memmove(o->cmdline + len, o->cmdline, strlen(o->cmdline) + 1);
    memcpy(o->cmdline, pre, len);
    return 0;
}

/* Maps path read-only: its bytes and size, or NULL after saying why. */
static void *file_map(const char *path, size_t *size)
{
    struct stat st;
    void *file;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
        fprintf(stderr, "nfvm: %s: %s\n", path, fd < 0 ? strerror(errno) : "empty or unreadable");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (file == MAP_FAILED) {
        fprintf(stderr, "nfvm: %s: mmap: %s\n", path, strerror(errno));
        return NULL;
    }
    *size = (size_t)st.st_size;
    return file;
}

/* The guest's QueueNotify writes go to the kick eventfds without an exit
 * to nfvm: the TAP thread's one, or the backend's per queue (the value
 * written is the queue's index). The control queue's still exits: nfvm
 * answers it (vnet.c). Where KVM refuses, the MMIO path kicks. */
static void net_kicks(struct nfvm_kvm *k, struct nfvm_vnet *n)
{
    uint64_t notify = n->base + NFVM_VNET_NOTIFY_OFF;

    if (!n->vhost && n->pairs_max == 1) {
        nfvm_kvm_ioeventfd(k, notify, n->kick, -1);
        return;
    }
    for (unsigned q = 0; q < 2 * n->pairs_max; q++)
        nfvm_kvm_ioeventfd(k, notify, n->vhost ? n->vhost->kick[q] : n->kick, q);
}

static int image_load(struct nfvm_mem *m, const char *path, struct nfvm_image *img)
{
    char err[256];
    size_t size;
    void *file = file_map(path, &size);
    int rc;

    if (!file)
        return -1;
    rc = nfvm_elf_load(m, file, size, img, err, sizeof(err));
    munmap(file, size);
    if (rc < 0)
        fprintf(stderr, "nfvm: %s: %s\n", path, err);
    return rc;
}

/* --initrd FILE: copied to the top of low RAM; its place into a. */
static int initrd_load(struct nfvm_mem *m, const char *path, const struct nfvm_image *img,
                       struct nfvm_boot_args *a)
{
    char err[256];
    size_t size;
    void *file = file_map(path, &size);
    int rc;

    if (!file)
        return -1;
    rc = nfvm_initrd_place(m, img, file, size, &a->initrd, err, sizeof(err));
    munmap(file, size);
    if (rc < 0)
        fprintf(stderr, "nfvm: --initrd %s: %s\n", path, err);
    a->initrd_size = rc < 0 ? 0 : size;
    return rc;
}

static struct nfvm vm = { .con = { .fd = STDOUT_FILENO, .input = 1, .in_fd = STDIN_FILENO },
                          .stop_fd = -1 };
static struct termios term_saved;
static int term_raw;

/* COM1's input: a terminal nfvm's process group owns goes raw (bytes to
 * the guest one by one, the guest echoes; output processing and ^C's
 * signal stay); a terminal in the background is no input (reading it
 * would stop nfvm): the guest reads ^D at once. */
static void stdin_setup(void)
{
    struct termios t;

    if (!isatty(STDIN_FILENO))
        return;
    if (tcgetpgrp(STDIN_FILENO) != getpgrp() || tcgetattr(STDIN_FILENO, &term_saved) < 0) {
        vm.con.in_fd = -1;
        vm.con.rx[0] = NFVM_CONSOLE_EOF;
        vm.con.rx_len = 1;
        return;
    }
    t = term_saved;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
    t.c_cflag = (t.c_cflag & ~(tcflag_t)(CSIZE | PARENB)) | CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    term_raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
}

static void stdin_restore(void)
{
    if (term_raw)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &term_saved);
}

/* A stop signal interrupts KVM_RUN (vCPU 0's thread takes it: the I/O
 * threads and the other vCPUs block it), or an idle sleep (through
 * stop_fd, so that a signal just before the sleep is not lost), so the
 * console is flushed and --trace printed. immediate_exit covers the signal
 * that lands between vcpu_loop's test of stop_signal and its KVM_RUN:
 * that KVM_RUN returns EINTR at once instead of running a guest that may
 * never exit again (KVM's documented answer to that race). */
static void on_stop(int sig)
{
    struct kvm_run *run = vm.run0;
    uint64_t one = 1;

    vm.stop_signal = sig;
    if (run)
        run->immediate_exit = 1;
    if (vm.stop_fd >= 0)
        (void)!write(vm.stop_fd, &one, 8);
}

static void signals_catch(double timeout)
{
    struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART */
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGALRM };
    struct itimerval it = { .it_value = { .tv_sec = (time_t)timeout,
                                          .tv_usec =
                                              (suseconds_t)((timeout - (time_t)timeout) * 1e6) } };

    vm.stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); /* -1: sleeps cannot see signals */
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    if (timeout > 0)
        setitimer(ITIMER_REAL, &it, NULL);
}

int main(int argc, char **argv)
{
    struct opts o = { .mem = 64ULL << 20, .cpus = 1 };
    struct nfvm_boot_args ba = { 0 };
    static struct nfvm_cpus cpus = { .n = 1 };
    struct nfvm_image img;
    struct nfvm_kvm k;
    double t[T_N] = { now_ms() };
    char err[256];
    int rc;

    rc = parse_args(&o, argc, argv);
    if (rc)
        return rc == NFVM_HELPED ? 0 : rc;
    rc = nfvm_mem_create(&vm.mem, o.mem);
    if (rc < 0) {
        fprintf(stderr, "nfvm: guest RAM (memfd of %llu bytes): %s\n", (unsigned long long)o.mem,
                strerror(-rc));
        return NFVM_STATUS_SETUP;
    }
    t[T_MEM] = now_ms();
    if (image_load(&vm.mem, o.image, &img) < 0)
        return NFVM_STATUS_SETUP;
    if (!o.mode_set)
        o.mode = img.has_note ? NFVM_BOOT_DIRECT : NFVM_BOOT_PVH;
    /* The APs' blocks before the initrd, which goes above them. An image
     * of another ABI version is refused by name below (nfvm_boot_write). */
    if (o.cpus > 1 && (o.mode == NFVM_BOOT_PVH || img.note.abi_version == NFVM_ABI_VERSION)) {
        if (o.mode == NFVM_BOOT_PVH) {
            fprintf(stderr, "nfvm: --cpus %u needs the direct entry, not --boot pvh\n", o.cpus);
            return NFVM_STATUS_SETUP;
        }
        if (nfvm_cpus_place(&vm.mem, &img, o.cpus, &cpus, err, sizeof(err)) < 0) {
            fprintf(stderr, "nfvm: %s: %s\n", o.image, err);
            return NFVM_STATUS_SETUP;
        }
        ba.cpus = &cpus;
    }
    if (o.initrd && initrd_load(&vm.mem, o.initrd, &img, &ba) < 0)
        return NFVM_STATUS_SETUP;
    t[T_IMAGE] = now_ms();
    pthread_mutex_init(&vm.lock, NULL);
    vm.nr_cpus = cpus.n;
    for (unsigned i = 0; i < cpus.n; i++) {
        vm.cpu_wake[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        vm.idle_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (vm.cpu_wake[i] < 0 || vm.idle_fd[i] < 0) {
            fprintf(stderr, "nfvm: eventfd for vCPU %u: %s\n", i, strerror(errno));
            return NFVM_STATUS_SETUP;
        }
    }
    if (nfvm_kvm_open(&k, &vm.mem, cpus.n) < 0)
        return NFVM_STATUS_SETUP;
    t[T_KVM] = now_ms();
    if (net_setup(&vm, &o) < 0)
        return NFVM_STATUS_SETUP;
    for (unsigned i = 0; i < vm.nr_net; i++) /* kicks without an exit to nfvm */
        net_kicks(&k, vm.net[i]);
    ba.cmdline = o.cmdline;
    ba.tsc_khz = k.tsc_khz;
    ba.flags = NFVM_BOOT_F_IDLE | NFVM_BOOT_F_CPU | NFVM_BOOT_F_COM1_IN | NFVM_BOOT_F_CONSOLE_BUF;
    if (nfvm_boot_write(&vm.mem, &img, o.mode, &ba, err, sizeof(err)) < 0) {
        fprintf(stderr, "nfvm: %s: %s\n", o.image, err);
        return NFVM_STATUS_SETUP;
    }
    t[T_BOOT] = now_ms();
    if (nfvm_kvm_setup(&k, &img, o.mode, ba.cpus, ba.flags) < 0)
        return NFVM_STATUS_SETUP;
    if (vm.nr_net) {
        sigset_t all, old;

        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old); /* the I/O threads inherit it */
        for (unsigned i = 0; i < vm.nr_net; i++)
            if (!vm.net[i]->vhost && nfvm_vnet_start(vm.net[i]) < 0)
                return NFVM_STATUS_SETUP;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    signals_catch(o.timeout);
    stdin_setup();
    t[T_VCPU] = now_ms();
    vm.trace = o.trace;
    rc = nfvm_kvm_run(&k, &vm);
    nfvm_console_flush(&vm.con);
    stdin_restore();
    if (vm.stop_signal == SIGALRM) {
        fprintf(stderr, "nfvm: the guest still ran after --timeout %g s: ended\n", o.timeout);
        rc = NFVM_STATUS_TIMEOUT;
    }
    t[T_END] = now_ms();
    if (o.trace)
        trace_print(t, &vm);
    return rc;
}

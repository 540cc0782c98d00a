/* The /dev/kvm side: a VM with guest RAM, its vCPUs with the host's CPUID
 * (plus KVM's, the TSC-frequency and nfvm's leaves), each set to the entry
 * state boot.c computed, and the run loops, one thread per vCPU. Every
 * failed ioctl names itself and ends nfvm with NFVM_STATUS_SETUP; the
 * loops hand each exit to nfvm_exit_handle(). */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "cpuid_cache.h"
#include "kvm.h"
#include "layout.h"

#define CPUID_MAX_ENTRIES        256
#define KVM_SIGNATURE            "KVMKVMKVM\0\0\0"
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

static int kfail(const char *call)
{
    fprintf(stderr, "nfvm: %s: %s\n", call, strerror(errno));
    return -1;
}

static int ram_slots(struct nfvm_kvm *k, const struct nfvm_mem *m)
{
    struct kvm_userspace_memory_region r = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = m->low, .userspace_addr = (uintptr_t)m->host
    };

    if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return kfail("KVM_SET_USER_MEMORY_REGION (RAM below 3 GiB)");
    if (!m->high)
        return 0;
    r.slot = 1;
    r.guest_phys_addr = NFVM_HIGH_BASE;
    r.memory_size = m->high;
    r.userspace_addr = (uintptr_t)(m->host + m->low);
    if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return kfail("KVM_SET_USER_MEMORY_REGION (RAM above 4 GiB)");
    return 0;
}

/* KVM's supported CPUID, once for every vCPU: from the cache file when it
 * holds this host's (cpuid_cache.c), else asked and cached. */
static struct {
    struct kvm_cpuid2 h;
    struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
} supported;
static int supported_state; /* 0: not yet, 1: have it */
static const char *supported_from = "not asked";

static int supported_ask(int kvm)
{
    uint32_t max = CPUID_MAX_ENTRIES - 4; /* room for the leaves cpuid_set adds */
    char dirbuf[256], key[160];
    const char *dir = nfvm_cpuid_cache_dir(dirbuf, sizeof(dirbuf));
    int keyed = dir && !nfvm_cpuid_cache_key(kvm, key, sizeof(key));

    if (keyed && !nfvm_cpuid_cache_load(dir, key, &supported.h, max)) {
        supported_from = "the cache";
        return 0;
    }
    supported.h.nent = max;
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &supported.h) < 0)
        return -1;
    supported_from = !keyed                                               ? "KVM (no cache)"
                     : nfvm_cpuid_cache_store(dir, key, &supported.h) < 0 ? "KVM (not cached)"
                                                                          : "KVM (cached)";
    return 0;
}

/* c = KVM's supported CPUID. */
static int supported_get(int kvm, struct kvm_cpuid2 *c)
{
    if (!supported_state) {
        if (supported_ask(kvm) < 0)
            return -1;
        supported_state = 1;
    }
    memcpy(c, &supported, sizeof(supported.h) + supported.h.nent * sizeof(supported.e[0]));
    return 0;
}

const char *nfvm_kvm_cpuid_from(void)
{
    return supported_from;
}

static struct kvm_cpuid_entry2 *leaf(struct kvm_cpuid2 *c, uint32_t fn)
{
    for (uint32_t i = 0; i < c->nent; i++)
        if (c->entries[i].function == fn && !c->entries[i].index)
            return &c->entries[i];
    if (c->nent == CPUID_MAX_ENTRIES)
        return NULL;
    memset(&c->entries[c->nent], 0, sizeof(c->entries[0]));
    c->entries[c->nent].function = fn;
    return &c->entries[c->nent++];
}

/* The host's CPUID as KVM supports it, KVM's signature with kvmclock (the
 * PVH path enables it), leaf 0x40000010 with the TSC frequency, and
 * nfvm's own leaf (nfos/plat/nfvm_abi.h: how a PVH guest finds nfvm). */
static int cpuid_set(struct nfvm_kvm *k, unsigned id, uint32_t flags, struct nfvm_cpu_features *f)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
    struct kvm_cpuid_entry2 *e;
    int rc = -1;

    if (!c)
        return kfail("calloc");
    if (supported_get(k->kvm, c) < 0) {
        kfail("KVM_GET_SUPPORTED_CPUID");
        goto out;
    }
    if ((e = leaf(c, 1))) {
        uint32_t a, b, ecx, d;

        /* kvm-pvm's table strips leaf 1's ECX (no SSE3, XSAVE or AVX) while
         * guest CPL3 code runs on the host CPU, its XSAVE on: XSAVE and AVX
         * as the host has them enabled (OSXSAVE), so that the direct entry
         * sets CR4.OSXSAVE and XCR0 as entry.S does. A no-op where KVM's
         * table already says so (hardware KVM). */
        __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(ecx), "=d"(d) : "a"(1), "c"(0));
        if (ecx & (1u << 27))
            e->ecx |= ecx & ((1u << 26) | (1u << 28));
        f->xsave = !!(e->ecx & (1u << 26));
        f->avx = !!(e->ecx & (1u << 28));
        e->ebx = (e->ebx & 0x00ffffff) | (id << 24); /* initial APIC ID */
    }
    if ((e = leaf(c, 7)))
        f->fsgsbase = !!(e->ebx & 1);
    e = leaf(c, 0x40000000);
    e->eax = 0x40000010;
    memcpy(&e->ebx, KVM_SIGNATURE, 4);
    memcpy(&e->ecx, KVM_SIGNATURE + 4, 4);
    memcpy(&e->edx, KVM_SIGNATURE + 8, 4);
    e = leaf(c, 0x40000001);
    e->eax = KVM_FEATURE_CLOCKSOURCE2;
    e->ebx = e->ecx = e->edx = 0;
    e = leaf(c, 0x40000010);
    e->eax = (uint32_t)k->tsc_khz;
    e->ebx = e->ecx = e->edx = 0;
    e = leaf(c, NFVM_CPUID_LEAF);
    e->eax = NFVM_CPUID_LEAF;
    e->ebx = NFVM_BOOT_MAGIC;
    e->ecx = NFVM_ABI_VERSION;
    e->edx = flags;
    if (ioctl(k->cpu[id].fd, KVM_SET_CPUID2, c) < 0)
        kfail("KVM_SET_CPUID2");
    else
        rc = 0;
out:
    free(c);
    return rc;
}

/* Each vCPU's local APIC in KVM (KVM_CAP_SPLIT_IRQCHIP: no PIC or IOAPIC),
 * which the guest never uses under nfvm (no interrupts: it yields through
 * the idle port). Only for speed: a vCPU without one flips a kernel static
 * key at its creation and again at its end (kvm_has_noapic_vcpu: kernel
 * text patched, every CPU interrupted), ~0.3 ms of KVM_CREATE_VCPU here
 * against ~0.1 with it. Where KVM refuses, vCPUs go without (1 or 0). */
static int lapic_in_kernel(struct nfvm_kvm *k)
{
    struct kvm_enable_cap c = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

    return ioctl(k->vm, KVM_ENABLE_CAP, &c) == 0;
}

int nfvm_kvm_open(struct nfvm_kvm *k, const struct nfvm_mem *m, unsigned nr_cpus)
{
    int n;

    k->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (k->kvm < 0)
        return kfail("open /dev/kvm");
    k->vm = ioctl(k->kvm, KVM_CREATE_VM, 0);
    if (k->vm < 0)
        return kfail("KVM_CREATE_VM");
    k->lapic = lapic_in_kernel(k);
    if (ram_slots(k, m) < 0)
        return -1;
    n = ioctl(k->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (n < (int)sizeof(struct kvm_run))
        return kfail("KVM_GET_VCPU_MMAP_SIZE");
    k->run_size = (size_t)n;
    k->nr_cpus = nr_cpus;
    for (unsigned i = 0; i < nr_cpus; i++) {
        struct nfvm_vcpu *c = &k->cpu[i];

        c->fd = ioctl(k->vm, KVM_CREATE_VCPU, i);
        if (c->fd < 0)
            return kfail("KVM_CREATE_VCPU");
        c->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
        if (c->run == MAP_FAILED)
            return kfail("mmap of the vCPU's kvm_run");
    }
    n = ioctl(k->cpu[0].fd, KVM_GET_TSC_KHZ, 0);
    k->tsc_khz = n > 0 ? (uint64_t)n : 0;
    return 0;
}

static int vcpu_setup(struct nfvm_kvm *k, unsigned id, const struct nfvm_image *img,
                      enum nfvm_boot_mode mode, uint64_t block, uint32_t flags)
{
    struct nfvm_cpu_features f = { 0 };
    int fd = k->cpu[id].fd;
    struct kvm_sregs s;
    struct kvm_regs r;
    uint64_t xcr0;

    if (cpuid_set(k, id, flags, &f) < 0)
        return -1;
    if (id && k->lapic) { /* an AP with a LAPIC waits for INIT/SIPI: none come */
        struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

        if (ioctl(fd, KVM_SET_MP_STATE, &mp) < 0)
            return kfail("KVM_SET_MP_STATE");
    }
    if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
        return kfail("KVM_GET_SREGS");
    nfvm_boot_cpu(img, mode, &f, block, &s, &r, &xcr0);
    if (ioctl(fd, KVM_SET_SREGS, &s) < 0)
        return kfail("KVM_SET_SREGS");
    if (xcr0) {
        struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = xcr0 } } };

        if (ioctl(fd, KVM_SET_XCRS, &x) < 0)
            return kfail("KVM_SET_XCRS");
    }
    if (ioctl(fd, KVM_SET_REGS, &r) < 0)
        return kfail("KVM_SET_REGS");
    return 0;
}

int nfvm_kvm_setup(struct nfvm_kvm *k, const struct nfvm_image *img, enum nfvm_boot_mode mode,
                   const struct nfvm_cpus *cpus, uint32_t flags)
{
    for (unsigned i = 0; i < k->nr_cpus; i++)
        if (vcpu_setup(k, i, img, mode, i && cpus ? cpus->block[i] : 0, flags) < 0)
            return -1;
    return 0;
}

int nfvm_kvm_ioeventfd(struct nfvm_kvm *k, uint64_t addr, int fd, int64_t match)
{
    struct kvm_ioeventfd e = { .addr = addr, .len = 4, .fd = fd };

    if (match >= 0) {
        e.datamatch = (uint64_t)match;
        e.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
    }

    return ioctl(k->vm, KVM_IOEVENTFD, &e) < 0 ? -1 : 0;
}

/* Where the guest stood when nfvm ended it: enough to find the cause. */
static void regs_dump(const struct nfvm_kvm *k, unsigned id)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    char who[24] = "";

    if (ioctl(k->cpu[id].fd, KVM_GET_REGS, &r) < 0 || ioctl(k->cpu[id].fd, KVM_GET_SREGS, &s) < 0)
        return;
    if (k->nr_cpus > 1)
        snprintf(who, sizeof(who), "vcpu %u: ", id);
    fprintf(stderr,
            "nfvm: %srip %#llx rsp %#llx rflags %#llx cs %#x cr0 %#llx cr2 %#llx cr3 %#llx "
            "cr4 %#llx efer %#llx\n",
            who, r.rip, r.rsp, r.rflags, s.cs.selector, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}

/* One vCPU until an exit ends the guest (its status) or another vCPU did
 * (NFVM_RUNNING: the status is that one's). */
static int vcpu_loop(struct nfvm_kvm *k, struct nfvm *vm, unsigned id)
{
    struct nfvm_vcpu *c = &k->cpu[id];

    for (;;) {
        int status;

        if (__atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE))
            return NFVM_RUNNING;
        if (ioctl(c->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR && vm->stop_signal)
                return 128 + vm->stop_signal;
            if (errno == EINTR || errno == EAGAIN)
                continue;
            kfail("KVM_RUN");
            return NFVM_STATUS_KVM;
        }
        if (vm->trace && !__atomic_load_n(&vm->exits, __ATOMIC_RELAXED)) {
            struct timespec t;

            clock_gettime(CLOCK_MONOTONIC, &t);
            vm->first_exit_ms = (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
        }
        status = nfvm_exit_handle(vm, id, c->run, k->run_size);
        if (status != NFVM_RUNNING && !vm->guest_exited)
            regs_dump(k, id);
        if (status != NFVM_RUNNING)
            return status;
        if (vm->stop_signal) /* it came while nfvm served the exit */
            return 128 + vm->stop_signal;
    }
}

/* The first status wins; every other vCPU is kicked out of KVM_RUN (or
 * kept from entering it) and woken from any sleep. */
static void stop_all(struct nfvm_kvm *k, struct nfvm *vm, int status, unsigned self)
{
    int running = NFVM_RUNNING;
    uint64_t one = 1;

    __atomic_compare_exchange_n(&k->status, &running, status, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
    __atomic_store_n(&vm->stopping, 1, __ATOMIC_RELEASE);
    if (vm->stop_fd >= 0)
        (void)!write(vm->stop_fd, &one, 8);
    for (unsigned i = 0; i < k->nr_cpus; i++) {
        if (i == self)
            continue;
        k->cpu[i].run->immediate_exit = 1;
        pthread_kill(k->cpu[i].thread, SIGUSR1);
    }
}

struct vcpu_start {
    struct nfvm_kvm *k;
    struct nfvm *vm;
    unsigned id;
};

static struct vcpu_start starts[NFVM_CPUS_MAX];

static void *vcpu_thread(void *arg)
{
    struct vcpu_start *v = arg;
    int status = vcpu_loop(v->k, v->vm, v->id);

    if (status != NFVM_RUNNING)
        stop_all(v->k, v->vm, status, v->id);
    return NULL;
}

static void on_kick(int sig)
{
    (void)sig; /* only to end KVM_RUN with EINTR */
}

/* Starts vCPUs 1.. on threads that take no signal but the kick. */
static int aps_start(struct nfvm_kvm *k, struct nfvm *vm)
{
    struct sigaction sa = { .sa_handler = on_kick }; /* no SA_RESTART */
    sigset_t all, old;
    unsigned i;

    sigaction(SIGUSR1, &sa, NULL);
    sigfillset(&all);
    sigdelset(&all, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (i = 1; i < k->nr_cpus; i++) {
        starts[i] = (struct vcpu_start){ .k = k, .vm = vm, .id = i };
        if (pthread_create(&k->cpu[i].thread, NULL, vcpu_thread, &starts[i]))
            break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (i < k->nr_cpus) {
        fprintf(stderr, "nfvm: pthread_create for vCPU %u failed\n", i);
        k->nr_cpus = i; /* the ones that run are stopped and joined */
        return -1;
    }
    return 0;
}

int nfvm_kvm_run(struct nfvm_kvm *k, struct nfvm *vm)
{
    int status = NFVM_RUNNING;

    k->status = NFVM_RUNNING;
    k->cpu[0].thread = pthread_self();
    vm->run0 = k->cpu[0].run;
    if (aps_start(k, vm) < 0)
        status = NFVM_STATUS_SETUP;
    else
        status = vcpu_loop(k, vm, 0);
    if (status != NFVM_RUNNING)
        stop_all(k, vm, status, 0);
    for (unsigned i = 1; i < k->nr_cpus; i++) {
        struct timespec t;

        for (;;) { /* kicked again until it left: a kick can come too early */
            clock_gettime(CLOCK_REALTIME, &t);
            t.tv_nsec += 10000000;
            if (t.tv_nsec >= 1000000000) {
                t.tv_sec++;
                t.tv_nsec -= 1000000000;
            }
            if (pthread_timedjoin_np(k->cpu[i].thread, NULL, &t) == 0)
                break;
            pthread_kill(k->cpu[i].thread, SIGUSR1);
        }
    }
    return k->status;
}

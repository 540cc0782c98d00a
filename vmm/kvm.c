/* The /dev/kvm side: a VM with guest RAM, one vCPU with the host's CPUID
 * (plus KVM's and the TSC-frequency leaves), set to the entry state
 * boot.c computed, and the run loop. Every failed ioctl names itself and
 * ends nfvm with NFVM_STATUS_SETUP; the loop hands each exit to
 * nfvm_exit_handle(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
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
 * PVH path enables it), and leaf 0x40000010 with the TSC frequency. */
static int cpuid_set(struct nfvm_kvm *k, struct nfvm_cpu_features *f)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
    struct kvm_cpuid_entry2 *e;
    int rc = -1;

    if (!c)
        return kfail("calloc");
    c->nent = CPUID_MAX_ENTRIES - 3; /* room for the leaves added below */
    if (ioctl(k->kvm, KVM_GET_SUPPORTED_CPUID, c) < 0) {
        kfail("KVM_GET_SUPPORTED_CPUID");
        goto out;
    }
    if ((e = leaf(c, 1))) {
        f->xsave = !!(e->ecx & (1u << 26));
        f->avx = !!(e->ecx & (1u << 28));
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
    if (ioctl(k->vcpu, KVM_SET_CPUID2, c) < 0)
        kfail("KVM_SET_CPUID2");
    else
        rc = 0;
out:
    free(c);
    return rc;
}

int nfvm_kvm_open(struct nfvm_kvm *k, const struct nfvm_mem *m)
{
    int n;

    k->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (k->kvm < 0)
        return kfail("open /dev/kvm");
    k->vm = ioctl(k->kvm, KVM_CREATE_VM, 0);
    if (k->vm < 0)
        return kfail("KVM_CREATE_VM");
    if (ram_slots(k, m) < 0)
        return -1;
    k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
    if (k->vcpu < 0)
        return kfail("KVM_CREATE_VCPU");
    n = ioctl(k->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (n < (int)sizeof(struct kvm_run))
        return kfail("KVM_GET_VCPU_MMAP_SIZE");
    k->run_size = (size_t)n;
    k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu, 0);
    if (k->run == MAP_FAILED)
        return kfail("mmap of the vCPU's kvm_run");
    n = ioctl(k->vcpu, KVM_GET_TSC_KHZ, 0);
    k->tsc_khz = n > 0 ? (uint64_t)n : 0;
    return 0;
}

int nfvm_kvm_setup(struct nfvm_kvm *k, const struct nfvm_image *img, enum nfvm_boot_mode mode)
{
    struct nfvm_cpu_features f = { 0 };
    struct kvm_sregs s;
    struct kvm_regs r;
    uint64_t xcr0;

    if (cpuid_set(k, &f) < 0)
        return -1;
    if (ioctl(k->vcpu, KVM_GET_SREGS, &s) < 0)
        return kfail("KVM_GET_SREGS");
    nfvm_boot_cpu(img, mode, &f, &s, &r, &xcr0);
    if (ioctl(k->vcpu, KVM_SET_SREGS, &s) < 0)
        return kfail("KVM_SET_SREGS");
    if (xcr0) {
        struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = xcr0 } } };

        if (ioctl(k->vcpu, KVM_SET_XCRS, &x) < 0)
            return kfail("KVM_SET_XCRS");
    }
    if (ioctl(k->vcpu, KVM_SET_REGS, &r) < 0)
        return kfail("KVM_SET_REGS");
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
static void regs_dump(const struct nfvm_kvm *k)
{
    struct kvm_regs r;
    struct kvm_sregs s;

    if (ioctl(k->vcpu, KVM_GET_REGS, &r) < 0 || ioctl(k->vcpu, KVM_GET_SREGS, &s) < 0)
        return;
    fprintf(stderr,
            "nfvm: rip %#llx rsp %#llx rflags %#llx cs %#x cr0 %#llx cr2 %#llx cr3 %#llx "
            "cr4 %#llx efer %#llx\n",
            r.rip, r.rsp, r.rflags, s.cs.selector, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}

int nfvm_kvm_run(struct nfvm_kvm *k, struct nfvm *vm)
{
    for (;;) {
        int status;

        if (ioctl(k->vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR && vm->stop_signal)
                return 128 + vm->stop_signal;
            if (errno == EINTR || errno == EAGAIN)
                continue;
            kfail("KVM_RUN");
            return NFVM_STATUS_KVM;
        }
        if (vm->trace && !vm->exits) {
            struct timespec t;

            clock_gettime(CLOCK_MONOTONIC, &t);
            vm->first_exit_ms = (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
        }
        status = nfvm_exit_handle(vm, k->run, k->run_size);
        if (status != NFVM_RUNNING && !vm->guest_exited)
            regs_dump(k);
        if (status != NFVM_RUNNING)
            return status;
        if (vm->stop_signal) /* it came while nfvm served the exit */
            return 128 + vm->stop_signal;
    }
}

/* nfvm's /dev/kvm calls (kvm.c): the only file that talks to KVM. */
#ifndef NFVM_KVM_H
#define NFVM_KVM_H

#include <pthread.h>
#include "nfvm.h"

struct nfvm_vcpu {
    int fd;
    struct kvm_run *run;
    pthread_t thread; /* vCPU 0: main's */
};

struct nfvm_kvm {
    int kvm, vm;
    int lapic; /* each vCPU has a LAPIC in KVM (split irqchip) */
    unsigned nr_cpus;
    struct nfvm_vcpu cpu[NFVM_CPUS_MAX];
    size_t run_size;
    uint64_t tsc_khz; /* vCPU 0's, 0 when KVM does not say */
    int status;       /* nfvm_kvm_run: the first status a vCPU ended with */
};

/* Opens /dev/kvm, creates the VM with guest RAM m and its nr_cpus vCPUs.
 * 0 or -1 after naming the failed call on stderr. */
int nfvm_kvm_open(struct nfvm_kvm *k, const struct nfvm_mem *m, unsigned nr_cpus);
/* Each vCPU's CPUID (nfvm's leaf with flags, NFVM_BOOT_F_*), then the
 * registers of the entry mode boot.c describes: vCPU 0 at the entry, vCPU
 * i > 0 at the AP entry on the block cpus->block[i] (cpus NULL: one). */
int nfvm_kvm_setup(struct nfvm_kvm *k, const struct nfvm_image *img, enum nfvm_boot_mode mode,
                   const struct nfvm_cpus *cpus, uint32_t flags);
/* Where the vCPUs' CPUID table came from, for --trace: "the cache",
 * "KVM (cached)", "KVM (not cached)", "KVM (no cache)" or "not asked". */
const char *nfvm_kvm_cpuid_from(void);
/* Has KVM signal fd on every 4-byte guest write to addr (of the value
 * match, unless match < 0), with no exit to nfvm (a virtqueue kick). 0 or
 * -1; the caller keeps the MMIO path. */
int nfvm_kvm_ioeventfd(struct nfvm_kvm *k, uint64_t addr, int fd, int64_t match);
/* Runs the guest until an exit of any vCPU ends it: vCPU 0 on the calling
 * thread (it takes the stop signals), each other one on a thread of its
 * own (signals blocked but SIGUSR1, the kick). The first status a vCPU
 * ends with stops all of them (kicked out of KVM_RUN, woken from a sleep)
 * and is nfvm's; all threads are joined before this returns. */
int nfvm_kvm_run(struct nfvm_kvm *k, struct nfvm *vm);

#endif /* NFVM_KVM_H */

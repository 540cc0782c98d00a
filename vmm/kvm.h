/* nfvm's /dev/kvm calls (kvm.c): the only file that talks to KVM. */
#ifndef NFVM_KVM_H
#define NFVM_KVM_H

#include "nfvm.h"

struct nfvm_kvm {
    int kvm, vm, vcpu;
    struct kvm_run *run;
    size_t run_size;
    uint64_t tsc_khz; /* the vCPU's, 0 when KVM does not say */
};

/* Opens /dev/kvm, creates the VM with guest RAM m and its vCPU. 0 or -1
 * after naming the failed call on stderr. */
int nfvm_kvm_open(struct nfvm_kvm *k, const struct nfvm_mem *m);
/* CPUID, then the registers of the entry mode boot.c describes. */
int nfvm_kvm_setup(struct nfvm_kvm *k, const struct nfvm_image *img, enum nfvm_boot_mode mode);
/* Has KVM signal fd on every 4-byte guest write to addr (of the value
 * match, unless match < 0), with no exit to nfvm (a virtqueue kick). 0 or
 * -1; the caller keeps the MMIO path. */
int nfvm_kvm_ioeventfd(struct nfvm_kvm *k, uint64_t addr, int fd, int64_t match);
/* Runs the guest until an exit ends it; returns nfvm's status. */
int nfvm_kvm_run(struct nfvm_kvm *k, struct nfvm *vm);

#endif /* NFVM_KVM_H */

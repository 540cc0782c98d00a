/* What several of nfvm's unit tests build the same way (testvm.c): the
 * nfvm_note of a small image at 1 MiB, a struct nfvm with a quiet console
 * and a stop eventfd, and port exits as KVM would hand them over. */
#ifndef NFVM_TESTS_TESTVM_H
#define NFVM_TESTS_TESTVM_H

#include <stdint.h>
#include "nfvm.h"

#define TESTVM_RUN_SIZE 4096 /* a test's struct kvm_run buffer */

/* The note of a 64 KiB image at 1 MiB with its tables inside: entry,
 * stacks, page tables, GDT, IDT and TSS; no SMP (cpus_max 0). */
struct nfvm_note testvm_note(void);

/* vm zeroed, with nr_cpus vCPUs, its console on /dev/null and a stop
 * eventfd (nothing pending); testvm_close closes both. */
void testvm_open(struct nfvm *vm, unsigned nr_cpus);
void testvm_close(struct nfvm *vm);

/* run (TESTVM_RUN_SIZE bytes) as a port exit: direction dir, port, size,
 * count; returns where its data goes (1 KiB in). */
uint8_t *testvm_port(struct kvm_run *run, uint8_t dir, uint16_t port, uint8_t size, uint32_t count);
/* One out of v (size bytes of it) to port by vCPU cpu, handled: what
 * nfvm_exit_handle returns. */
int testvm_out(struct nfvm *vm, struct kvm_run *run, unsigned cpu, uint16_t port, uint32_t v,
               uint8_t size);

#endif /* NFVM_TESTS_TESTVM_H */

/* The unit tests' shared set-ups (testvm.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "testvm.h"

#define MIB (1ULL << 20)

struct nfvm_note testvm_note(void)
{
    return (struct nfvm_note){ .abi_version = NFVM_ABI_VERSION,
                               .entry = MIB + 4,
                               .stack3_top = MIB + 0x8000,
                               .stack0_top = MIB + 0x9000,
                               .pml4 = MIB + 0x1000,
                               .gdt = MIB + 0x2000,
                               .idt = MIB + 0x3000,
                               .tss = MIB + 0x4000,
                               .gdt_limit = 55,
                               .idt_limit = 511 };
}

void testvm_open(struct nfvm *vm, unsigned nr_cpus)
{
    memset(vm, 0, sizeof(*vm));
    vm->con.fd = open("/dev/null", O_WRONLY);
    vm->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    vm->nr_cpus = nr_cpus;
}

void testvm_close(struct nfvm *vm)
{
    close(vm->stop_fd);
    close(vm->con.fd);
}

uint8_t *testvm_port(struct kvm_run *run, uint8_t dir, uint16_t port, uint8_t size, uint32_t count)
{
    run->exit_reason = KVM_EXIT_IO;
    run->io.direction = dir;
    run->io.port = port;
    run->io.size = size;
    run->io.count = count;
    run->io.data_offset = 1024;
    return (uint8_t *)run + 1024;
}

int testvm_out(struct nfvm *vm, struct kvm_run *run, unsigned cpu, uint16_t port, uint32_t v,
               uint8_t size)
{
    memcpy(testvm_port(run, KVM_EXIT_IO_OUT, port, size, 1), &v, 4);
    return nfvm_exit_handle(vm, cpu, run, TESTVM_RUN_SIZE);
}
